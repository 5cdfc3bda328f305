import { randomInt } from 'node:crypto';
import { randomFor, uuidV4, type Random } from '../lib/random';

/**
 * What GET /ads returns (docs/ads-api.md): 100 made-up ad impressions per call, with the quirks of
 * the API of the brief this pipeline comes from (issue 10): epoch seconds as a float, a campaign
 * that may be the string "__unknown", an ad_scheme on some impressions only. Call n of seed s at
 * time t is always the same impressions, so a test or a demo can be reproduced byte for byte.
 */

export const IMPRESSIONS_PER_CALL = 100;
export const AD_GROUPS = ['marketing', 'recruiting', 'brand', 'investment'] as const;
export const UNKNOWN_CAMPAIGN = '__unknown';
export const FIRST_CAMPAIGN = 500;
export const LAST_CAMPAIGN = 999;
/** shown_at lies within this many seconds before the call. */
export const SHOWN_WITHIN_SECONDS = 28 * 3600;
export const UNKNOWN_CAMPAIGN_SHARE = 0.1;
export const AD_SCHEME_SHARE = 0.2;
/** Seeds are whole numbers from 0 to this (what ADS_API_SEED accepts). */
export const MAX_SEED = 2 ** 31 - 1;

export type AdGroup = (typeof AD_GROUPS)[number];

export interface AdScheme {
  origin: 'manual' | 'automatic';
  approved: boolean;
}

/** One impression, its keys in the order the API writes them. */
export interface AdImpression {
  ad_id: string;
  ad_group: AdGroup;
  ad_campaign: number | typeof UNKNOWN_CAMPAIGN;
  /** Epoch seconds with the full precision of a double, as Python's time.time() gives them. */
  shown_at: number;
  ad_scheme?: AdScheme;
}

function generateImpression(random: Random, nowSeconds: number): AdImpression {
  const impression: AdImpression = {
    ad_id: uuidV4(random),
    ad_group: AD_GROUPS[random.below(AD_GROUPS.length)]!,
    ad_campaign: random.chance(UNKNOWN_CAMPAIGN_SHARE)
      ? UNKNOWN_CAMPAIGN
      : FIRST_CAMPAIGN + random.below(LAST_CAMPAIGN - FIRST_CAMPAIGN + 1),
    shown_at: nowSeconds - random.fraction() * SHOWN_WITHIN_SECONDS,
  };
  if (random.chance(AD_SCHEME_SHARE)) {
    impression.ad_scheme = { origin: random.chance(0.5) ? 'manual' : 'automatic', approved: random.chance(0.5) };
  }
  return impression;
}

/** The impressions of call `call` (1 for the first) of `seed`, made at `now`. */
export function generateImpressions(seed: number, call: number, now: Date): AdImpression[] {
  const random = randomFor(seed, call);
  const nowSeconds = now.getTime() / 1000;
  return Array.from({ length: IMPRESSIONS_PER_CALL }, () => generateImpression(random, nowSeconds));
}

/** A seed for a start without ADS_API_SEED: a restart must not repeat the ad_ids of the last run. */
export function newSeed(): number {
  return randomInt(0, MAX_SEED + 1);
}
