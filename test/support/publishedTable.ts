import { closeTo, parseFraction, show, type Fraction } from './fraction';
import type { ReferenceRow } from './referenceRollingAverage';

/** A row of default_liquidation_rolling_avg_hist as the pool returns it (dates as text). */
export interface PublishedRow {
  repayment_date: string;
  number_of_loans: number;
  defaults: number;
  liquidations: number;
  liquidation_to_default_ratio: string | null;
  rolling_avg_7d: string | null;
  created_at: Date;
  changed_at: Date;
}

/** Every published row against the expected one, as readable differences (none: they agree). */
export function differences(actual: readonly PublishedRow[], expected: readonly ReferenceRow[]): string[] {
  const found: string[] = [];
  if (actual.length !== expected.length) found.push(`${actual.length} rows, expected ${expected.length}`);
  const same = (value: string | null, want: Fraction | null): boolean =>
    value === null ? want === null : want !== null && closeTo(parseFraction(value), want);
  expected.forEach((want, i) => {
    const row = actual[i];
    if (row === undefined) return;
    if (row.repayment_date !== want.date) found.push(`row ${i}: date ${row.repayment_date}, expected ${want.date}`);
    if (!same(row.liquidation_to_default_ratio, want.ratio)) {
      found.push(`${want.date}: ratio ${row.liquidation_to_default_ratio}, expected ${show(want.ratio)}`);
    }
    if (!same(row.rolling_avg_7d, want.rollingAvg)) {
      found.push(`${want.date}: rolling_avg_7d ${row.rolling_avg_7d}, expected ${show(want.rollingAvg)}`);
    }
  });
  return found;
}

/** What one refresh wrote, read from the table before and after it (see checkRefreshStamps). */
export interface RefreshStamps {
  /** Rows that carry the refresh's created_at: every row it recomputed. */
  written: number;
  /** That created_at (undefined when it wrote nothing). */
  stamp?: number;
  /** Days whose numbers are new or changed: the rows whose changed_at is the refresh's. */
  changed: string[];
}

/**
 * The timestamps a refresh must leave, from the table before and after it: the rows it wrote all
 * carry one created_at, taken during the run; a row whose numbers are new or changed was written
 * and its changed_at is that created_at; a row written with the same numbers keeps its changed_at;
 * a row not written keeps both. Throws a readable message otherwise.
 */
export function checkRefreshStamps(
  before: readonly PublishedRow[],
  after: readonly PublishedRow[],
  ran: { from: number; to: number },
): RefreshStamps {
  const old = new Map(before.map((row) => [row.repayment_date, row]));
  const numbers = (row: PublishedRow): string =>
    JSON.stringify([
      row.number_of_loans,
      row.defaults,
      row.liquidations,
      row.liquidation_to_default_ratio,
      row.rolling_avg_7d,
    ]);
  const stamps = new Set<number>();
  const problems: string[] = [];
  const changed: string[] = [];
  for (const row of after) {
    const was = old.get(row.repayment_date);
    const written = was === undefined || was.created_at.getTime() !== row.created_at.getTime();
    const numbersChanged = was === undefined || numbers(was) !== numbers(row);
    if (written) stamps.add(row.created_at.getTime());
    if (numbersChanged) {
      changed.push(row.repayment_date);
      if (!written) problems.push(`${row.repayment_date}: its numbers changed but its created_at did not`);
      if (row.changed_at.getTime() !== row.created_at.getTime()) {
        problems.push(`${row.repayment_date}: its numbers changed but its changed_at is not the refresh's created_at`);
      }
    } else if (was.changed_at.getTime() !== row.changed_at.getTime()) {
      problems.push(`${row.repayment_date}: same numbers but its changed_at moved`);
    }
  }
  if (stamps.size > 1) problems.push(`the rows written carry ${stamps.size} different created_at`);
  const [stamp] = stamps;
  if (stamp !== undefined && (stamp < ran.from - 1000 || stamp > ran.to + 1000)) {
    problems.push(`the rows written carry created_at ${new Date(stamp).toISOString()}, outside the run`);
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  const written = after.filter((row) => row.created_at.getTime() === stamp).length;
  return stamp === undefined ? { written, changed } : { written, stamp, changed };
}

/** A row without its two timestamps: what two refreshes of the same data must agree on. */
export function withoutStamps({ created_at: _c, changed_at: _u, ...rest }: PublishedRow) {
  return rest;
}
