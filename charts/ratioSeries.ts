import type pg from 'pg';
import { ConfigError } from '../lib/errors';
import { querySqlFile } from '../lib/sqlFiles';
import { isDate } from '../lake/partitions';

/**
 * The points of the ratio chart, read from default_liquidation_rolling_avg_hist and cut down to
 * at most maxPoints in SQL (sql/charts/ratio_series.sql), so that a table of 2,000,000 days costs
 * what 2,000 points cost. The same function serves the chart files and the dashboard.
 */

export interface RatioPoint {
  /** YYYY-MM-DD: the day, or the first day of its bucket. */
  day: string;
  /** The mean of the bucket's non-null ratios; null when it has none (a gap, never 0). */
  ratio: number | null;
  rollingAvg: number | null;
}

export interface RatioSeries {
  points: RatioPoint[];
  /** The rolling window in days the table was built with, as its last refresh recorded it; null before any. */
  window: number | null;
  /** Whether that window includes the row's own day (D-(n-1) … D) or ends the day before; null with window. */
  includeCurrentDay: boolean | null;
  /** Calendar days from the first to the last day of the range that have a row (days missing between count: they are gaps). */
  totalDays: number;
  /** Days per point: 1 = one point per day. */
  bucketDays: number;
  /** True when buckets are longer than 16 days, and their means are over 16 of their days (docs/charts.md, "Downsampling"). */
  sampled: boolean;
  /** The first and last day with a row within the range asked for; null when there is none. */
  from: string | null;
  to: string | null;
}

/** A Pool or a PoolClient. */
export interface Queryable {
  query: pg.Pool['query'];
}

interface SeriesRow {
  day: string;
  ratio: number | null;
  rolling_avg: number | null;
  total_days: number;
  bucket_days: number;
  sampled: boolean;
  first_day: string;
  last_day: string;
}

interface WindowRow {
  window_days: number;
  include_current_day: boolean;
}

/** Checks a from/to bound; the message names the bound (the command line's flag has the same name). */
export function checkDay(name: 'from' | 'to', value: string | undefined): void {
  if (value !== undefined && !isDate(value)) {
    throw new ConfigError(`--${name} ${JSON.stringify(value)}: expected a day of the calendar, YYYY-MM-DD`);
  }
}

export async function readRatioSeries(
  db: Queryable,
  range: { from?: string; to?: string },
  maxPoints = 2000,
): Promise<RatioSeries> {
  checkDay('from', range.from);
  checkDay('to', range.to);
  if (range.from !== undefined && range.to !== undefined && range.from > range.to) {
    throw new ConfigError(`--from ${range.from} is after --to ${range.to}`);
  }
  if (!Number.isInteger(maxPoints) || maxPoints < 1) {
    throw new ConfigError(`maxPoints ${maxPoints}: expected a whole number >= 1`);
  }
  const [series, state] = await Promise.all([
    querySqlFile<SeriesRow>(db, 'charts/ratio_series.sql', [range.from ?? null, range.to ?? null, maxPoints]),
    querySqlFile<WindowRow>(db, 'charts/ratio_window.sql'),
  ]);
  const first = series.rows[0];
  const recorded = state.rows[0];
  return {
    points: series.rows.map((row) => ({ day: row.day, ratio: row.ratio, rollingAvg: row.rolling_avg })),
    window: recorded?.window_days ?? null,
    includeCurrentDay: recorded?.include_current_day ?? null,
    totalDays: first?.total_days ?? 0,
    bucketDays: first?.bucket_days ?? 1,
    sampled: first?.sampled ?? false,
    from: first?.first_day ?? null,
    to: first?.last_day ?? null,
  };
}
