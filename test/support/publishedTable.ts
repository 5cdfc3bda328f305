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
