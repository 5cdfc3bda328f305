import { randomFor, uuidV4, type Random } from '../lib/random';

/**
 * The catalogue of event types (docs/events-generator.md, "Event types"): up to 1000 names made of
 * a noun and a verb (user_created, page.viewed), each with the service that emits it, a fixed
 * schema of attributes, whether it carries a user_id, and for about a quarter of them a drift: from
 * a moment of the span on, a field is added or a number becomes a string, as when a producer ships
 * a new version. It is drawn from a fixed seed, not --seed, and type n is the same whatever --types
 * says: a type keeps its name, rank and schema across runs, which a later ingest can rely on.
 */

/** What the validator accepts as data.type, and what a per-type folder name is made of. */
export const SAFE_TYPE_NAME = /^[a-z0-9][a-z0-9_.-]{0,99}$/;
export const MAX_TYPES = 1000;

export type FieldValue =
  | { kind: 'word'; words: readonly string[] }
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'amount'; max: number }
  | { kind: 'boolean' }
  | { kind: 'uuid' }
  | { kind: 'object'; fields: readonly Field[] };

export interface Field {
  name: string;
  value: FieldValue;
}

export interface Drift {
  /** field_added: the field appears; number_to_string: the (numeric) field is written as a string. */
  change: 'field_added' | 'number_to_string';
  field: Field;
  /** Where in the span it happens, from 0 (its start) to 1 (its end). */
  spanFraction: number;
}

export interface EventType {
  name: string;
  service: string;
  carriesUserId: boolean;
  /** meta.version: 1, or 2 once the type drifted. */
  sendsVersion: boolean;
  fields: readonly Field[];
  drift?: Drift;
}

const word = (...words: string[]): FieldValue => ({ kind: 'word', words });
const integer = (min: number, max: number): FieldValue => ({ kind: 'integer', min, max });
const amount = (max: number): FieldValue => ({ kind: 'amount', max });
const BOOLEAN: FieldValue = { kind: 'boolean' };
const UUID: FieldValue = { kind: 'uuid' };

const NAME: Field = { name: 'name', value: word('John', 'Mary', 'Aiko', 'Omar', 'Lena', 'Carlos', 'Priya', 'Wei') };
const FAVOURITE_ICE_CREAM: Field = {
  name: 'favourite_ice_cream',
  value: word('vanilla', 'chocolate', 'strawberry', 'pistachio', 'mint', 'salted_caramel'),
};
const COUNTRY = word('DE', 'FR', 'GB', 'US', 'BR', 'IN', 'JP', 'NG', 'PL', 'ES');

/** What a schema is drawn from; every type takes two to five of them. */
const FIELDS: readonly Field[] = [
  NAME,
  FAVOURITE_ICE_CREAM,
  { name: 'plan', value: word('free', 'basic', 'pro', 'enterprise') },
  { name: 'country', value: COUNTRY },
  { name: 'currency', value: word('EUR', 'USD', 'GBP', 'JPY', 'BRL') },
  { name: 'channel', value: word('web', 'ios', 'android', 'api', 'email') },
  { name: 'status', value: word('ok', 'pending', 'failed', 'retrying') },
  { name: 'reason', value: word('user_request', 'timeout', 'fraud_check', 'expired', 'duplicate') },
  { name: 'language', value: word('en', 'de', 'fr', 'es', 'ja', 'pt') },
  { name: 'amount', value: amount(1000) },
  { name: 'price', value: amount(250) },
  { name: 'quantity', value: integer(1, 10) },
  { name: 'score', value: integer(0, 100) },
  { name: 'duration_ms', value: integer(0, 60_000) },
  { name: 'attempt', value: integer(1, 5) },
  { name: 'is_test', value: BOOLEAN },
  { name: 'accepted', value: BOOLEAN },
  { name: 'first_time', value: BOOLEAN },
  { name: 'reference_id', value: UUID },
  {
    name: 'device',
    value: {
      kind: 'object',
      fields: [
        { name: 'os', value: word('ios', 'android', 'windows', 'macos', 'linux') },
        { name: 'app_version', value: integer(100, 420) },
      ],
    },
  },
  {
    name: 'location',
    value: {
      kind: 'object',
      fields: [
        { name: 'country', value: COUNTRY },
        { name: 'city', value: word('Berlin', 'Paris', 'London', 'Austin', 'Lagos', 'Osaka') },
      ],
    },
  },
  {
    name: 'utm',
    value: {
      kind: 'object',
      fields: [
        { name: 'source', value: word('google', 'newsletter', 'partner', 'direct') },
        { name: 'medium', value: word('cpc', 'email', 'social', 'referral') },
      ],
    },
  },
];

/** Noun, the separator between noun and verb, the service that emits it, whether it is about a user. */
const NOUNS: readonly (readonly [string, '_' | '.', string, boolean])[] = [
  ['user', '_', 'identity', true],
  ['page', '.', 'storefront', true],
  ['session', '.', 'storefront', true],
  ['order', '.', 'checkout', true],
  ['cart', '.', 'checkout', true],
  ['payment', '.', 'billing', true],
  ['search', '.', 'storefront', true],
  ['email', '.', 'messaging', true],
  ['product', '.', 'catalog', true],
  ['notification', '.', 'messaging', true],
  ['account', '_', 'identity', true],
  ['subscription', '.', 'billing', true],
  ['invoice', '.', 'billing', true],
  ['review', '.', 'catalog', true],
  ['shipment', '.', 'checkout', true],
  ['coupon', '.', 'checkout', true],
  ['refund', '.', 'billing', true],
  ['message', '.', 'messaging', true],
  ['file', '.', 'platform', true],
  ['report', '.', 'platform', false],
  ['comment', '.', 'catalog', true],
  ['profile', '_', 'identity', true],
  ['two-factor', '.', 'identity', true],
  ['device', '_', 'identity', true],
  ['login', '_', 'identity', true],
  ['team', '.', 'platform', true],
  ['project', '.', 'platform', true],
  ['task', '.', 'platform', true],
  ['ticket', '.', 'platform', true],
  ['campaign', '.', 'marketing', false],
  ['experiment', '.', 'marketing', false],
  ['feature_flag', '.', 'platform', false],
  ['api_key', '.', 'platform', true],
  ['webhook', '.', 'platform', false],
  ['wishlist', '.', 'catalog', true],
  ['address', '_', 'identity', true],
  ['loan', '.', 'lending', true],
  ['repayment', '.', 'lending', true],
  ['ad', '.', 'marketing', false],
  ['oauth2_token', '.', 'identity', true],
];

const VERBS = [
  'created',
  'updated',
  'deleted',
  'viewed',
  'started',
  'completed',
  'failed',
  'cancelled',
  'submitted',
  'sent',
  'opened',
  'clicked',
  'approved',
  'rejected',
  'shared',
  'exported',
  'archived',
  'restored',
  'renamed',
  'assigned',
  'expired',
  'renewed',
  'scheduled',
  'closed',
  'imported',
];

// The busiest types of a shop-like product lead the ranking, so that most events have a name that
// makes sense; the rest (page.renewed and the like) follow noun by verb, with few events each.
const LEADING = [
  'user_created',
  'page.viewed',
  'session.started',
  'order.created',
  'cart.updated',
  'payment.completed',
  'search.submitted',
  'ad.clicked',
  'email.sent',
  'product.viewed',
  'notification.opened',
  'login_failed',
  'email.opened',
  'webhook.failed',
  'user_updated',
  'session.completed',
  'order.completed',
  'cart.created',
  'payment.failed',
  'report.completed',
  'product.updated',
  'notification.sent',
  'email.clicked',
  'subscription.renewed',
  'invoice.sent',
  'order.cancelled',
  'review.submitted',
  'shipment.sent',
  'refund.approved',
  'message.sent',
  'file.shared',
  'account_deleted',
  'login_completed',
  'ticket.opened',
  'ticket.closed',
  'task.assigned',
  'project.created',
  'coupon.expired',
  'loan.approved',
  'repayment.completed',
  'experiment.started',
  'feature_flag.updated',
];

const CATALOGUE_SEED = 0x65766e74;
const DRIFT_SHARE = 0.25;
const VERSION_SHARE = 0.4;

/** Every noun-verb pair, the leading ones first, then by the sum of their positions in the lists. */
function rankedNames(): { name: string; noun: (typeof NOUNS)[number] }[] {
  const pairs = NOUNS.flatMap((noun, n) =>
    VERBS.map((verb, v) => ({ name: `${noun[0]}${noun[1]}${verb}`, noun, order: (n + v) * NOUNS.length + n })),
  );
  const missing = LEADING.filter((name) => !pairs.some((pair) => pair.name === name));
  if (missing.length > 0) throw new Error(`leading types that no noun and verb make: ${missing.join(', ')}`);
  const lead = (name: string): number => {
    const at = LEADING.indexOf(name);
    return at < 0 ? LEADING.length : at;
  };
  return pairs.sort((a, b) => lead(a.name) - lead(b.name) || a.order - b.order);
}

function drawFields(random: Random, count: number): Field[] {
  const pool = FIELDS.slice();
  const fields: Field[] = [];
  for (let i = 0; i < count; i += 1) fields.push(pool.splice(random.below(pool.length), 1)[0]!);
  return fields;
}

function drawDrift(random: Random, fields: readonly Field[]): Drift | undefined {
  if (!random.chance(DRIFT_SHARE)) return undefined;
  const spanFraction = 0.25 + random.fraction() * 0.5;
  const numbers = fields.filter((field) => field.value.kind === 'integer' || field.value.kind === 'amount');
  if (numbers.length > 0 && random.chance(0.5)) {
    return { change: 'number_to_string', field: numbers[random.below(numbers.length)]!, spanFraction };
  }
  const absent = FIELDS.filter((field) => !fields.includes(field));
  return { change: 'field_added', field: absent[random.below(absent.length)]!, spanFraction };
}

const CATALOGUE: readonly EventType[] = (() => {
  const random = randomFor(CATALOGUE_SEED, 0);
  return rankedNames().map(({ name, noun }) => {
    // Lines and folder names are made of them as they are: nothing in them may need an escape.
    if (!SAFE_TYPE_NAME.test(name) || !SAFE_TYPE_NAME.test(noun[2])) throw new Error(`unsafe name ${name}`);
    // The example event of the event lake's brief, field for field.
    const fields = name === 'user_created' ? [NAME, FAVOURITE_ICE_CREAM] : drawFields(random, 2 + random.below(4));
    const drift = drawDrift(random, fields);
    return {
      name,
      service: noun[2],
      carriesUserId: noun[3],
      sendsVersion: random.chance(VERSION_SHARE),
      fields,
      ...(drift === undefined ? {} : { drift }),
    };
  });
})();

/** The first `count` types (1 to MAX_TYPES), the busiest first. */
export function eventTypeCatalogue(count: number): readonly EventType[] {
  return CATALOGUE.slice(0, count);
}

/** When the type drifts in a span of `hours` from `startMs`, to the minute; undefined if it never does. */
export function driftAtMs(type: EventType, startMs: number, hours: number): number | undefined {
  if (type.drift === undefined) return undefined;
  const minutes = Math.round(type.drift.spanFraction * hours * 60);
  return startMs + minutes * 60_000;
}

/** Writes one value as JSON text: the lines are written out as text (generateEvents.ts says why). */
type ValueWriter = (random: Random) => string;

/** A number of cents as JavaScript writes it: 12.5 for 1250, 3 for 300. */
function centsAsNumber(cents: number): string {
  const units = Math.floor(cents / 100);
  const rest = cents % 100;
  if (rest === 0) return String(units);
  return rest % 10 === 0 ? `${units}.${rest / 10}` : `${units}.${String(rest).padStart(2, '0')}`;
}

/** A JSON string, checked to need no escape, so that it can be written between quotes as is. */
function plainString(text: string): string {
  const quoted = JSON.stringify(text);
  if (quoted !== `"${text}"`) throw new Error(`${quoted} needs escaping: not for a catalogue word`);
  return quoted;
}

function writerOf(value: FieldValue, asString: boolean): ValueWriter {
  switch (value.kind) {
    case 'word': {
      const words = value.words.map(plainString);
      return (random) => words[random.below(words.length)]!;
    }
    case 'integer': {
      const { min, max } = value;
      return asString
        ? (random) => `"${min + random.below(max - min + 1)}"`
        : (random) => String(min + random.below(max - min + 1));
    }
    case 'amount': {
      const cents = value.max * 100;
      // As a producer that formats money writes it: always two decimals.
      return asString
        ? (random) => {
            const amount = random.below(cents);
            return `"${Math.floor(amount / 100)}.${String(amount % 100).padStart(2, '0')}"`;
          }
        : (random) => centsAsNumber(random.below(cents));
    }
    case 'boolean':
      return (random) => (random.chance(0.5) ? 'true' : 'false');
    case 'uuid':
      return (random) => `"${uuidV4(random)}"`;
    case 'object':
      return objectWriter(value.fields, []);
  }
}

/** `{"a":…,"b":…}` of the fields; the ones of `asStrings` with their numbers written as strings. */
function objectWriter(fields: readonly Field[], asStrings: readonly Field[]): ValueWriter {
  const members = fields.map((field, i) => ({
    prefix: `${i === 0 ? '' : ','}${plainString(field.name)}:`,
    write: writerOf(field.value, asStrings.includes(field)),
  }));
  return (random) => {
    let text = '{';
    for (const member of members) text += member.prefix + member.write(random);
    return `${text}}`;
  };
}

/**
 * Writes the attributes of one event of the type as JSON text: user_id first when it carries one,
 * then its fields (two to five, never none), as of before or after its drift.
 */
export function attributeWriter(
  type: EventType,
): (random: Random, userId: string | undefined, drifted: boolean) => string {
  const before = objectWriter(type.fields, []);
  const drift = type.drift;
  const after =
    drift === undefined
      ? before
      : drift.change === 'number_to_string'
        ? objectWriter(type.fields, [drift.field])
        : objectWriter([...type.fields, drift.field], []);
  return (random, userId, drifted) => {
    const fields = (drifted ? after : before)(random);
    return userId === undefined ? fields : `{"user_id":"${userId}",${fields.slice(1)}`;
  };
}
