import { epochSecondsToTimestamp } from './epochSeconds';

/**
 * What one element of the API's array must be to become a row of `ads` (docs/ads.md, "Rules of
 * an impression"). Every broken rule of an element is named, field first, so that ad_rejects
 * says what to look at; fields the table has no column for are ignored (the backup keeps them).
 */

/** A row of ads as the load writes it (the names are the table's columns). */
export interface Impression {
  ad_id: string;
  ad_group: string;
  /** NULL where the API said "__unknown". */
  ad_campaign: number | null;
  /** timestamptz text, exact to the microsecond of the API's float. */
  shown_at: string;
  ad_scheme: AdScheme | null;
}

export interface AdScheme {
  origin: 'manual' | 'automatic';
  approved: boolean;
}

export type Verdict = { ok: true; impression: Impression } | { ok: false; reason: string };

type Check<T> = { ok: true; value: T } | { ok: false; problem: string };

/** How far past the time the response was received a shown_at may be: the two clocks may differ. */
export const CLOCK_SKEW_MS = 5 * 60_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MIN_INT4 = -2_147_483_648;
const MAX_INT4 = 2_147_483_647;
// A UTF-16 surrogate without its pair: UTF-8 text, as PostgreSQL keeps it, cannot hold one.
const LONE_SURROGATE = /\p{Cs}/u;
const UNKNOWN_CAMPAIGN = '__unknown';
const ORIGINS: readonly string[] = ['manual', 'automatic'];

const MISSING = { ok: false, problem: 'missing' } as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value for a reason: its JSON, cut short, and what it is. */
function shown(value: unknown): string {
  const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
  if (value === null) return kind;
  const json = typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
  return `${json.length > 40 ? `${json.slice(0, 40)}…` : json} (${kind})`;
}

function checkAdId(value: unknown): Check<string> {
  if (value === undefined) return MISSING;
  if (typeof value !== 'string') return { ok: false, problem: `${shown(value)} is not a string` };
  if (!UUID.test(value)) return { ok: false, problem: `${JSON.stringify(value)} is not a UUID` };
  return { ok: true, value: value.toLowerCase() };
}

function checkAdGroup(value: unknown): Check<string> {
  if (value === undefined) return MISSING;
  if (typeof value !== 'string') return { ok: false, problem: `${shown(value)} is not a string` };
  if (value.trim() === '') return { ok: false, problem: 'is empty' };
  if (value.includes('\u0000') || LONE_SURROGATE.test(value)) {
    return { ok: false, problem: 'holds a NUL character or a lone surrogate, which PostgreSQL text cannot' };
  }
  return { ok: true, value };
}

function checkAdCampaign(value: unknown): Check<number | null> {
  if (value === undefined) return MISSING;
  if (value === UNKNOWN_CAMPAIGN) return { ok: true, value: null };
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    return { ok: false, problem: `${shown(value)} is neither an integer nor "${UNKNOWN_CAMPAIGN}"` };
  }
  if (value < MIN_INT4 || value > MAX_INT4) {
    return { ok: false, problem: `${value} is outside the integer range (${MIN_INT4} to ${MAX_INT4})` };
  }
  return { ok: true, value };
}

function checkShownAt(value: unknown, receivedAt: Date): Check<string> {
  if (value === undefined) return MISSING;
  if (typeof value !== 'number') return { ok: false, problem: `${shown(value)} is not a number` };
  // JSON has no Infinity, but JSON.parse reads a number too large for a double (1e400) as one.
  if (!Number.isFinite(value)) return { ok: false, problem: `${value} is not a finite number` };
  if (value < 0) return { ok: false, problem: `${value} is before 1970-01-01` };
  const latest = receivedAt.getTime() + CLOCK_SKEW_MS;
  if (value * 1000 > latest) {
    return {
      ok: false,
      problem: `${value} is in the future: later than the arrival of the response (${receivedAt.toISOString()}) plus ${CLOCK_SKEW_MS / 60_000} minutes`,
    };
  }
  return { ok: true, value: epochSecondsToTimestamp(value) };
}

function checkAdScheme(value: unknown): Check<AdScheme | null> {
  if (value === undefined || value === null) return { ok: true, value: null };
  if (!isRecord(value)) return { ok: false, problem: `${shown(value)} is not an object` };
  const problems: string[] = [];
  const { origin, approved } = value;
  if (typeof origin !== 'string' || !ORIGINS.includes(origin)) {
    problems.push(`origin ${origin === undefined ? 'is missing' : `${shown(origin)} is not "manual" or "automatic"`}`);
  }
  if (typeof approved !== 'boolean') {
    problems.push(`approved ${approved === undefined ? 'is missing' : `${shown(approved)} is not true or false`}`);
  }
  const unexpected = Object.keys(value).filter((key) => key !== 'origin' && key !== 'approved');
  if (unexpected.length > 0) problems.push(`unexpected field ${unexpected.map((k) => JSON.stringify(k)).join(', ')}`);
  if (problems.length > 0) return { ok: false, problem: problems.join(', ') };
  return { ok: true, value: { origin: origin as AdScheme['origin'], approved: approved as boolean } };
}

/**
 * The row of one element of the response, or why it cannot be one. receivedAt is when the
 * response arrived (ad_backups.stored_at): "in the future" means after it, so a replay of a
 * stored response judges it as its first load did.
 */
export function validateImpression(element: unknown, receivedAt: Date): Verdict {
  if (!isRecord(element)) return { ok: false, reason: `the impression is ${shown(element)}, not an object` };
  const adId = checkAdId(element.ad_id);
  const adGroup = checkAdGroup(element.ad_group);
  const adCampaign = checkAdCampaign(element.ad_campaign);
  const shownAt = checkShownAt(element.shown_at, receivedAt);
  const adScheme = checkAdScheme(element.ad_scheme);
  if (adId.ok && adGroup.ok && adCampaign.ok && shownAt.ok && adScheme.ok) {
    return {
      ok: true,
      impression: {
        ad_id: adId.value,
        ad_group: adGroup.value,
        ad_campaign: adCampaign.value,
        shown_at: shownAt.value,
        ad_scheme: adScheme.value,
      },
    };
  }
  const checks = { ad_id: adId, ad_group: adGroup, ad_campaign: adCampaign, shown_at: shownAt, ad_scheme: adScheme };
  const problems = Object.entries(checks).flatMap(([field, check]) => (check.ok ? [] : [`${field}: ${check.problem}`]));
  return { ok: false, reason: problems.join('; ') };
}
