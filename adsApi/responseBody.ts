import type { Faults } from './faults';
import type { AdImpression } from './impressions';
import { breakEvery } from './ruleBreaks';

/**
 * The bytes of a 200 answer of GET /ads: the impressions as a compact JSON array, or what the
 * faults bad_every and body asked for instead (docs/ads-api.md, "Faults").
 */

/** What a proxy in front of a real API answers when the API behind it is down: no JSON at all. */
export const MALFORMED_BODY =
  '<html><head><title>502 Bad Gateway</title></head><body>upstream sent no JSON</body></html>\n';

export function adsBody(impressions: readonly AdImpression[], faults: Faults, now: Date): string {
  const items =
    faults.badEvery === undefined
      ? impressions.map((impression) => JSON.stringify(impression))
      : breakEvery(impressions, faults.badEvery, now);
  // The same bytes as JSON.stringify(impressions) when nothing is broken.
  const array = `[${items.join(',')}]`;
  switch (faults.body) {
    case 'malformed':
      return MALFORMED_BODY;
    case 'truncated':
      // A strict prefix of an array never closes its "[": never valid JSON.
      return array.slice(0, Math.floor(array.length / 2));
    case 'object':
      return `{"ads":${array}}`;
    case undefined:
      return array;
  }
}
