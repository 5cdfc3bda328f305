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

/**
 * What a refresh must have written, from the table before and after it: the days that are new,
 * gone or whose numbers changed. Those it wrote carry one created_at (returned), taken during the
 * run; every other row keeps the created_at it had. Throws a readable message otherwise.
 */
export function writtenByRefresh(
  before: readonly PublishedRow[],
  after: readonly PublishedRow[],
  ran: { from: number; to: number },
): { written: number; stamp?: number } {
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
  let written = before.filter((row) => !after.some((now) => now.repayment_date === row.repayment_date)).length;
  for (const row of after) {
    const was = old.get(row.repayment_date);
    if (was === undefined || numbers(was) !== numbers(row)) {
      written += 1;
      stamps.add(row.created_at.getTime());
    } else if (was.created_at.getTime() !== row.created_at.getTime()) {
      problems.push(`${row.repayment_date}: unchanged but its created_at moved`);
    }
  }
  if (stamps.size > 1) problems.push(`the rows written carry ${stamps.size} different created_at`);
  const [stamp] = stamps;
  if (stamp !== undefined && (stamp < ran.from - 1000 || stamp > ran.to + 1000)) {
    problems.push(`the rows written carry created_at ${new Date(stamp).toISOString()}, outside the run`);
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return stamp === undefined ? { written } : { written, stamp };
}
