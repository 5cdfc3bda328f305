import { add, divide, fraction, type Fraction } from './fraction';

/**
 * An independent implementation of default_liquidation_rolling_avg_hist for the tests: plain
 * loops, calendar arithmetic on JavaScript dates and exact fractions, sharing nothing with the
 * SQL in sql/jobs/. It follows the definitions of docs/rolling-average.md, "What is computed", word
 * for word.
 */

export interface LoanDay {
  date: string;
  loans: number;
  defaults: number;
  liquidations: number;
}

export interface ReferenceRow {
  date: string;
  ratio: Fraction | null;
  rollingAvg: Fraction | null;
}

const DAY_MS = 86_400_000;

export function referenceRollingAverage(
  days: readonly LoanDay[],
  windowDays = 7,
  includeCurrentDay = true,
): ReferenceRow[] {
  const ratios = days.map((d) => ({
    dayMs: Date.parse(`${d.date}T00:00:00Z`),
    date: d.date,
    ratio: d.defaults === 0 ? null : fraction(d.liquidations, d.defaults),
  }));
  // Days before D that belong to D's window: 0 … n-1 with D itself, 1 … n without it.
  const nearest = includeCurrentDay ? 0 : 1;
  const farthest = includeCurrentDay ? windowDays - 1 : windowDays;
  return ratios
    .map((row) => {
      let sum = fraction(0);
      let count = 0;
      for (const other of ratios) {
        const daysBefore = (row.dayMs - other.dayMs) / DAY_MS;
        if (daysBefore >= nearest && daysBefore <= farthest && other.ratio !== null) {
          sum = add(sum, other.ratio);
          count += 1;
        }
      }
      return { date: row.date, ratio: row.ratio, rollingAvg: count === 0 ? null : divide(sum, count) };
    })
    .sort((a, b) => a.date.localeCompare(b.date));
}

/** The loans of a CSV in the project's format (header first, then date,loans,defaults,liquidations). */
export function parseLoansCsv(text: string): LoanDay[] {
  return text
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((line) => {
      const [date, loans, defaults, liquidations] = line.split(',');
      return { date: date!, loans: Number(loans), defaults: Number(defaults), liquidations: Number(liquidations) };
    });
}
