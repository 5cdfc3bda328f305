import { describeError } from '../lib/errors';
import type { BenchContext } from './results';

/**
 * Runs two commands side by side in the same run — A, B, A, B … — so that whatever the machine
 * is doing at the time weighs on both alike, and summarises them with medians.
 */

export interface Sample {
  wallMs: number;
  peakRssBytes: number | undefined;
  /** The duration the job recorded itself (job_runs), for the job commands. */
  recordedMs?: number;
}

export interface Side {
  label: string;
  /** Brings the database to the state this side starts from; not timed. */
  prepare?: () => Promise<void>;
  run: () => Promise<Sample>;
}

export interface Pairs {
  a: Sample[];
  b: Sample[];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The value below which `share` (0…1) of the values lie, by the nearest-rank method. */
export function percentile(values: readonly number[], share: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))]!;
}

export function definedValues(values: readonly (number | undefined)[]): number[] {
  return values.filter((v): v is number => v !== undefined);
}

export async function runPairs(
  name: string,
  a: Side,
  b: Side,
  pairs: number,
  progress: (line: string) => void,
  /** Filled as samples come in, so that a failure keeps the ones before it. */
  result: Pairs = { a: [], b: [] },
): Promise<Pairs> {
  for (let pair = 1; pair <= pairs; pair += 1) {
    for (const [side, samples] of [
      [a, result.a],
      [b, result.b],
    ] as const) {
      await side.prepare?.();
      const sample = await side.run();
      samples.push(sample);
      const rss =
        sample.peakRssBytes === undefined ? '' : `, peak RSS ${(sample.peakRssBytes / 1048576).toFixed(0)} MB`;
      progress(`${name}: pair ${pair}/${pairs} ${side.label}: ${(sample.wallMs / 1000).toFixed(2)} s${rss}`);
    }
  }
  return result;
}

/** A alone, `runs` times, when there is no B to compare with (the loader on a file psql cannot load). */
export async function runAlone(
  name: string,
  a: Side,
  runs: number,
  progress: (line: string) => void,
  samples: Sample[] = [],
): Promise<Sample[]> {
  for (let run = 1; run <= runs; run += 1) {
    await a.prepare?.();
    const sample = await a.run();
    samples.push(sample);
    const rss = sample.peakRssBytes === undefined ? '' : `, peak RSS ${(sample.peakRssBytes / 1048576).toFixed(0)} MB`;
    progress(`${name}: run ${run}/${runs} ${a.label}: ${(sample.wallMs / 1000).toFixed(2)} s${rss}`);
  }
  return samples;
}

/** Runs a part of a comparison; its failure is kept in it, so that the parts after it (and the report) go on. */
export async function attempt(
  ctx: BenchContext,
  part: { error?: string },
  name: string,
  body: () => Promise<void>,
): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (ctx.interrupted.aborted) throw error;
    part.error = describeError(error);
    ctx.progress(`${name}: failed: ${part.error}`);
  }
}
