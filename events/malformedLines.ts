import { MAX_LINE_BYTES, QUARANTINE_REASONS, type QuarantineReason } from '../lake/validateEvent';
import type { Random } from '../lib/random';

/**
 * The lines that break a rule of the event lake's validator (docs/events-generator.md, "Malformed
 * lines"), each made from a valid event so that it breaks the rule it is tagged with FIRST: the
 * validator checks the rules in the order of REASONS and reports the first one that fails.
 */

// The validator's own reasons and limit: the generator cannot tag a line with a reason the lake
// does not give, nor miss one it adds.
export const REASONS = QUARANTINE_REASONS;
export type Reason = QuarantineReason;

// line_too_long lines are a megabyte each: one per started million events, not a share of them.
const EVENTS_PER_TOO_LONG = 1_000_000;

export interface EventObject {
  data: { id: string; type: string; attributes: Record<string, unknown> };
  meta: { created_at: number } & Record<string, unknown>;
}

export interface BreakContext {
  random: Random;
  /** A valid type other than the event's, for type_mismatch. */
  otherType: string;
  /** A fresh event id, for the second data of a duplicate_key line. */
  newId(): string;
}

type Make = (event: EventObject, context: BreakContext) => string | Buffer;

const json = JSON.stringify;

/** The event's JSON with bytes that are no UTF-8 put inside its id (after its first 4 characters). */
function withBytes(bytes: readonly number[]): Make {
  return (event) => {
    const text = Buffer.from(json(event));
    const at = text.indexOf('"id":"') + 10;
    return Buffer.concat([text.subarray(0, at), Buffer.from(bytes), text.subarray(at)]);
  };
}

const withData = (event: EventObject, data: Record<string, unknown>): string => json({ data, meta: event.meta });
const withMeta = (event: EventObject, meta: unknown): string => json({ data: event.data, meta });
const withoutKey = (object: object, key: string): Record<string, unknown> =>
  Object.fromEntries(Object.entries(object).filter(([name]) => name !== key));
const withType = (event: EventObject, type: string): string => withData(event, { ...event.data, type });
const withCreatedAt = (event: EventObject, createdAt: unknown): string =>
  withMeta(event, { ...event.meta, created_at: createdAt });
const camelCase = (type: string): string =>
  type
    .split(/[_.-]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
const padded = (text: string, length: number): string => text.padEnd(length, 'x').slice(0, length);

/** Every way each rule is broken, taken in turn: the docs' table lists the same. */
const VARIANTS: Record<Reason, readonly Make[]> = {
  line_too_long: [
    (event) => json({ ...event, data: { ...event.data, attributes: { payload: 'x'.repeat(MAX_LINE_BYTES) } } }),
  ],
  invalid_utf8: [
    withBytes([0xff]),
    withBytes([0xc3]), // a two-byte sequence cut short
    withBytes([0xe2, 0x82]), // a three-byte sequence cut short
    withBytes([0x80]), // a continuation byte with nothing to continue
    withBytes([0xc0, 0xaf]), // "/" in two bytes (overlong)
    withBytes([0xed, 0xa0, 0x80]), // a UTF-16 surrogate, which UTF-8 must not encode
    withBytes([0xe9]), // "é" in Latin-1
  ],
  not_json: [
    (event, { random }) => {
      const text = json(event);
      return text.slice(0, Math.floor(text.length * (0.2 + 0.6 * random.fraction())));
    },
    (event) => `${json(event).slice(0, -1)},}`,
    (event) => json(event).replace(/"created_at":-?\d+/, '"created_at":NaN'),
    (event) => json(event).replaceAll('"', "'"),
    (event) => json(event).replace(/"(\w+)":/g, '$1:'),
    (event) => json(event).repeat(2),
    (event) => `${json(event)} // retried`,
  ],
  not_object: [
    (event) => json([event]),
    (event) => json(json(event)),
    (event) => String(event.meta.created_at),
    () => 'null',
    () => 'true',
  ],
  missing_field: [
    (event) => json({ meta: event.meta }),
    (event) => withData(event, withoutKey(event.data, 'id')),
    (event) => withData(event, withoutKey(event.data, 'type')),
    (event) => withData(event, withoutKey(event.data, 'attributes')),
    (event) => json({ data: event.data }),
    (event) => withMeta(event, withoutKey(event.meta, 'created_at')),
  ],
  wrong_type: [
    (event) => json({ data: event.data.type, meta: event.meta }),
    (event) => json({ data: [event.data], meta: event.meta }),
    (event) => withMeta(event, event.meta.created_at),
    (event) => withData(event, { ...event.data, id: 12345 }),
    (event) => withData(event, { ...event.data, id: null }),
    (event) => withData(event, { ...event.data, type: 7 }),
    (event) => withData(event, { ...event.data, attributes: null }),
    (event) => withData(event, { ...event.data, attributes: [event.data.attributes] }),
    (event) => withData(event, { ...event.data, attributes: json(event.data.attributes) }),
    (event) => withCreatedAt(event, String(event.meta.created_at)),
    (event) => withCreatedAt(event, event.meta.created_at + 0.5),
    (event) => withCreatedAt(event, true),
    (event) => withCreatedAt(event, null),
  ],
  bad_id: [
    (event) => withData(event, { ...event.data, id: '' }),
    (event) => withData(event, { ...event.data, id: padded(event.data.id, 257) }),
    (event) => withData(event, { ...event.data, id: padded(event.data.id, 1000) }),
  ],
  created_at_out_of_range: [
    (event) => withCreatedAt(event, Math.floor(event.meta.created_at / 1000)), // epoch seconds
    (event) => withCreatedAt(event, event.meta.created_at * 1000), // epoch microseconds
    (event) => withCreatedAt(event, Date.UTC(2200, 0, 1) + (event.meta.created_at % 86_400_000)),
    (event) => withCreatedAt(event, 0),
    (event) => withCreatedAt(event, -1),
    (event) => withCreatedAt(event, Date.UTC(2000, 0, 1) - 1),
  ],
  unsafe_type: [
    (event) => withType(event, `../${event.data.type}`),
    (event) => withType(event, `events/${event.data.type}`),
    (event) => withType(event, `type=${event.data.type}`),
    (event) => withType(event, ''),
    (event) => withType(event, padded(`${event.data.type}_`, 101)),
    (event) => withType(event, padded(`${event.data.type}_`, 300)),
    (event) => withType(event, `${event.data.type}\u0000`),
    (event) => withType(event, camelCase(event.data.type)),
    (event) => withType(event, 'ünïcode_created'),
    (event) => withType(event, `${event.data.type}_\u{1f389}`),
    (event) => withType(event, `\u200f${event.data.type}`), // a right-to-left mark
    (event) => withType(event, event.data.type.replace(/[_.-]/, '\\')),
    (event) => withType(event, event.data.type.replace(/[_.-]/, ' ')),
    (event) => withType(event, `${event.data.type}\t`),
    (event) => withType(event, `_${event.data.type}`),
    (event) => withType(event, `.${event.data.type}`),
  ],
  type_mismatch: [(event, { otherType }) => withType(event, otherType)],
  duplicate_key: [
    // JSON.parse keeps the last of two keys, other readers the first: both are valid events here.
    (event, { newId }) => `${json(event).slice(0, -1)},"data":${json({ ...event.data, id: newId() })}}`,
    (event) => `${json(event).slice(0, -1)},"meta":${json({ ...event.meta, created_at: event.meta.created_at + 1 })}}`,
    (event, { newId }) => json(event).replace(/^\{"data":\{"id":("[^"]*")/, `{"data":{"id":"${newId()}","id":$1`),
  ],
};

/**
 * The reason of each of `total` malformed lines, in turn: the other reasons round and round, so
 * that each gets its share, and line_too_long (a megabyte each) only once per started million
 * events, spread over the run, and only when there are malformed lines enough for every reason.
 * type_mismatch only under --per-type, where a line has a folder of a type to differ from.
 */
export class MalformedLines {
  private readonly rotation: readonly Reason[];
  private readonly tooLong: number;
  private made = 0;
  private tooLongMade = 0;
  private rotated = 0;
  private readonly madeOfReason = new Map<Reason, number>();

  constructor(
    private readonly total: number,
    events: number,
    perType: boolean,
  ) {
    this.rotation = REASONS.filter((reason) => reason !== 'line_too_long' && (perType || reason !== 'type_mismatch'));
    this.tooLong =
      total < this.rotation.length
        ? 0
        : Math.min(Math.ceil(events / EVENTS_PER_TOO_LONG), Math.floor(total / this.rotation.length));
  }

  private nextReason(): Reason {
    const slot = this.made;
    this.made += 1;
    if (
      this.tooLongMade < this.tooLong &&
      slot === Math.floor(((this.tooLongMade + 0.5) * this.total) / this.tooLong)
    ) {
      this.tooLongMade += 1;
      return 'line_too_long';
    }
    this.rotated += 1;
    return this.rotation[(this.rotated - 1) % this.rotation.length]!;
  }

  /** The next malformed line, made from a valid event (which it may change). */
  make(event: EventObject, context: BreakContext): { reason: Reason; text: string | Buffer } {
    const reason = this.nextReason();
    const variants = VARIANTS[reason];
    const count = this.madeOfReason.get(reason) ?? 0;
    this.madeOfReason.set(reason, count + 1);
    return { reason, text: variants[count % variants.length]!(event, context) };
  }
}
