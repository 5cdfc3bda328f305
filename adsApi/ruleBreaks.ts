import type { AdImpression } from './impressions';

/**
 * bad_every=N (docs/ads-api.md, "Bad impressions"): the impressions at positions N-1, 2N-1, 3N-1, …
 * of the array (from 0) each break one rule of what a loader must accept, the first of them the
 * first break below, the next one the second, and so on round the list, starting again with every
 * response. Everything else about a broken impression stays valid, so it breaks exactly one rule.
 */

/** A value written into the JSON text as is, for what JSON.stringify cannot write (1e400). */
class RawJson {
  constructor(readonly text: string) {}
}

type Fields = Record<string, unknown>;

export interface RuleBreak {
  /** What ad_rejects should say, in a word or two. */
  kind: string;
  apply(impression: Fields, nowSeconds: number): void;
}

/** In this order, round and round. */
export const RULE_BREAKS: readonly RuleBreak[] = [
  { kind: 'ad_id missing', apply: (i) => delete i.ad_id },
  // Looks like a UUID, but "z" is no hex digit: only a strict check refuses it.
  { kind: 'ad_id not a UUID', apply: (i) => (i.ad_id = `${String(i.ad_id).slice(0, -1)}z`) },
  { kind: 'shown_at missing', apply: (i) => delete i.shown_at },
  { kind: 'shown_at a string', apply: (i) => (i.shown_at = String(i.shown_at)) },
  // JSON.parse reads 1e400 as Infinity.
  { kind: 'shown_at not finite', apply: (i) => (i.shown_at = new RawJson('1e400')) },
  { kind: 'shown_at in the future', apply: (i, nowSeconds) => (i.shown_at = nowSeconds + 3600) },
  { kind: 'ad_campaign an unknown string', apply: (i) => (i.ad_campaign = 'unknown') },
  { kind: 'ad_campaign not an integer', apply: (i) => (i.ad_campaign = 12.5) },
  { kind: 'ad_group not a string', apply: (i) => (i.ad_group = 2) },
  { kind: 'ad_scheme not an object', apply: (i) => (i.ad_scheme = 'manual') },
];

/** The rule the impression at `position` breaks under bad_every=`every`, if any. */
export function ruleBreakAt(position: number, every: number): RuleBreak | undefined {
  if ((position + 1) % every !== 0) return undefined;
  return RULE_BREAKS[((position + 1) / every - 1) % RULE_BREAKS.length];
}

/** JSON.stringify of a flat object, but with RawJson values written as they are. */
function toJson(fields: Fields): string {
  const members = Object.entries(fields).map(
    ([key, value]) => `${JSON.stringify(key)}:${value instanceof RawJson ? value.text : JSON.stringify(value)}`,
  );
  return `{${members.join(',')}}`;
}

/** The JSON text of each impression, with every `every`-th one broken. */
export function breakEvery(impressions: readonly AdImpression[], every: number, now: Date): string[] {
  return impressions.map((impression, position) => {
    const rule = ruleBreakAt(position, every);
    if (rule === undefined) return JSON.stringify(impression);
    const fields: Fields = { ...impression };
    rule.apply(fields, now.getTime() / 1000);
    return toJson(fields);
  });
}
