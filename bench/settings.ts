import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../lib/sqlFiles';

/**
 * Everything `npm run bench` can be told, read from the command line and BENCH_* variables in
 * this one place. A bad value stops the run at once with one message naming every problem.
 */

export const COMPARISONS = [
  'loader',
  'reload',
  'rebuild',
  'incremental',
  'soak',
  'scheduler',
  'ads-archive',
  'lake',
  'stream',
  'web',
] as const;
export type ComparisonName = (typeof COMPARISONS)[number];

/** Full refreshes in the soak: back to back at the middle size, and of data/loans.csv (quick mode: fewer). */
export const SOAK_REFRESHES = 30;
export const LOANS_CSV_REFRESHES = 10;

/** YYYY-MM-DD dates run from 0001-01-01 to 9999-12-31: no loans file has more distinct days. */
export const CALENDAR_DAYS = 3_652_059;

export interface BenchSettings {
  only: ReadonlySet<ComparisonName>;
  /** A, B pairs per comparison and size. */
  pairs: number;
  /** Row counts of the growth table, smallest first; the middle one is where the targets are judged. */
  sizes: readonly [number, number, number];
  /** Distinct days a file can hold; rows past it repeat earlier days (quick mode lowers it). */
  maxDays: number;
  schedulerSeconds: number;
  /** Impressions of the one shown day that ads-archive archives. */
  adsRows: number;
  /** Valid events the event generator makes for the lake comparison (item 10), one day of them. */
  lakeEvents: number;
  /** Item 11, events over a queue: the steady rate (events/s) and how long it is sent. */
  streamRate: number;
  streamSeconds: number;
  /** The step-up to the highest sustained rate: seconds per step, doubling from streamRate up to streamMaxRate. */
  streamStepSeconds: number;
  streamMaxRate: number;
  /** Messages queued up for the bare receive+delete loop, the queue server's own limit. */
  streamRawMessages: number;
  /** Item 12, the dashboard: runs in job_runs, days in the rolling average, impressions in ads. */
  webRuns: number;
  webDays: number;
  webAdsRows: number;
  /** Requests timed per URL, after warm-ups not timed (quick mode: fewer). */
  webRequests: number;
  webWarmups: number;
  /** Full refreshes back to back in the soak, at the middle size (quick mode: fewer). */
  soakRefreshes: number;
  /** Full refreshes of data/loans.csv whose median duration the soak judges (quick mode: fewer). */
  loansCsvRefreshes: number;
  quick: boolean;
  resultsPath: string;
  /** The psql the reference commands run. */
  psql: string;
  /** Where data files and the embedded server go; removed at the end. */
  tempParent: string;
}

export const USAGE =
  'usage: npm run bench [-- loader reload rebuild incremental soak scheduler ads-archive lake stream web]   (default: all; or BENCH_ONLY=loader,rebuild)';

type Env = Record<string, string | undefined>;

function wholeNumber(env: Env, name: string, fallback: number, min: number, problems: string[]): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!/^[\d_]+$/.test(raw) || value < min) {
    problems.push(`${name}=${JSON.stringify(raw)}: expected a whole number >= ${min}`);
    return fallback;
  }
  return value;
}

function readSizes(env: Env, fallback: [number, number, number], problems: string[]): [number, number, number] {
  const raw = env.BENCH_SIZES?.trim();
  if (raw === undefined || raw === '') return fallback;
  const sizes = raw.split(',').map((s) => Number(s.trim().replace(/_/g, '')));
  if (sizes.length !== 3 || sizes.some((n) => !Number.isInteger(n) || n < 100) || !(sizes[0]! < sizes[1]!)) {
    problems.push(
      `BENCH_SIZES=${JSON.stringify(raw)}: expected three row counts >= 100, smallest first, e.g. 200000,2000000,10000000`,
    );
    return fallback;
  }
  return sizes as [number, number, number];
}

export function readSettings(args: readonly string[], env: Env = process.env): BenchSettings {
  const problems: string[] = [];
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  const names = [...args, ...(env.BENCH_ONLY ?? '').split(',')].map((s) => s.trim()).filter((s) => s !== '');
  for (const name of names) {
    if (!(COMPARISONS as readonly string[]).includes(name)) problems.push(`unknown comparison ${JSON.stringify(name)}`);
  }
  const chosen = names.filter((n): n is ComparisonName => (COMPARISONS as readonly string[]).includes(n));
  const settings: BenchSettings = {
    only: new Set(chosen.length > 0 ? chosen : COMPARISONS),
    // Fewer than 3 is allowed (a long comparison run once to see where it stands); the report calls it a partial run.
    pairs: wholeNumber(env, 'BENCH_PAIRS', quick ? 1 : 3, 1, problems),
    sizes: readSizes(env, quick ? [1_000, 5_000, 20_000] : [200_000, 2_000_000, 10_000_000], problems),
    // Quick mode has its own small calendar so that its largest file repeats days, like the 10M one.
    maxDays: quick ? 12_000 : CALENDAR_DAYS,
    schedulerSeconds: wholeNumber(env, 'BENCH_SCHEDULER_SECONDS', quick ? 5 : 600, 2, problems),
    adsRows: wholeNumber(env, 'BENCH_ADS_ROWS', quick ? 10_000 : 1_000_000, 100, problems),
    lakeEvents: wholeNumber(env, 'BENCH_LAKE_EVENTS', quick ? 5_000 : 10_000_000, 1_000, problems),
    streamRate: wholeNumber(env, 'BENCH_STREAM_RATE', quick ? 200 : 2_000, 1, problems),
    streamSeconds: wholeNumber(env, 'BENCH_STREAM_SECONDS', quick ? 8 : 600, 1, problems),
    streamStepSeconds: wholeNumber(env, 'BENCH_STREAM_STEP_SECONDS', quick ? 3 : 60, 1, problems),
    streamMaxRate: wholeNumber(env, 'BENCH_STREAM_MAX_RATE', quick ? 400 : 128_000, 1, problems),
    streamRawMessages: wholeNumber(env, 'BENCH_STREAM_RAW_MESSAGES', quick ? 2_000 : 20_000, 10, problems),
    webRuns: wholeNumber(env, 'BENCH_WEB_RUNS', quick ? 1_000 : 10_000, 10, problems),
    webDays: wholeNumber(env, 'BENCH_WEB_DAYS', quick ? 20_000 : 2_000_000, 400, problems),
    webAdsRows: wholeNumber(env, 'BENCH_WEB_ADS_ROWS', quick ? 2_000 : 200_000, 100, problems),
    webRequests: wholeNumber(env, 'BENCH_WEB_REQUESTS', quick ? 3 : 20, 1, problems),
    webWarmups: quick ? 1 : 3,
    soakRefreshes: quick ? 5 : SOAK_REFRESHES,
    loansCsvRefreshes: quick ? 3 : LOANS_CSV_REFRESHES,
    quick,
    resultsPath: path.resolve(env.BENCH_RESULTS ?? path.join(projectRoot, 'bench', 'RESULTS.md')),
    psql: env.BENCH_PSQL?.trim() || 'psql',
    tempParent: os.tmpdir(),
  };
  if (problems.length > 0) throw new Error(`${problems.join('; ')}\n${USAGE}`);
  return settings;
}
