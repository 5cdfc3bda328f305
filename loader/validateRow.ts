import type { HeaderMapping, LoanColumn } from './header';

/**
 * Validation of one data record. Everything that a row must satisfy to enter `loans` is checked
 * here, so that a bad row becomes a reject with a reason instead of failing the whole COPY.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

export interface LoanRow {
  repaymentDate: string;
  /** Days since 0001-01-01 of repaymentDate: the key for spotting a date repeated in a file. */
  dayNumber: number;
  numberOfLoans: number;
  defaults: number;
  liquidations: number;
}

export const MAX_INTEGER = 2_147_483_647;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
// Days of the months before each month, in a common year.
const DAYS_BEFORE_MONTH = DAYS_IN_MONTH.map((_, m) => DAYS_IN_MONTH.slice(0, m).reduce((sum, n) => sum + n, 0));

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Days in the month, 0 for a month that does not exist. */
export function monthLength(year: number, month: number): number {
  return month >= 1 && month <= 12 ? DAYS_IN_MONTH[month - 1]! + (month === 2 && isLeapYear(year) ? 1 : 0) : 0;
}

/** Days from 0001-01-01 (day 0) to a valid date of the proleptic Gregorian calendar. */
export function daysSinceYearOne(year: number, month: number, day: number): number {
  const y = year - 1;
  const leapDay = month > 2 && isLeapYear(year) ? 1 : 0;
  return (
    y * 365 +
    Math.floor(y / 4) -
    Math.floor(y / 100) +
    Math.floor(y / 400) +
    DAYS_BEFORE_MONTH[month - 1]! +
    leapDay +
    day -
    1
  );
}

/** The largest day number parseIsoDate returns (9999-12-31). */
export const MAX_DAY_NUMBER = daysSinceYearOne(9999, 12, 31);

/** A YYYY-MM-DD date that exists on the calendar, as its day number. */
export function parseIsoDate(text: string): Parsed<number> {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match)
    return {
      ok: false,
      problem: `${JSON.stringify(text)} is not a date in YYYY-MM-DD form`,
    };
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const length = monthLength(year, month);
  if (year < 1 || length === 0 || day < 1 || day > length) {
    return { ok: false, problem: `${text} does not exist on the calendar` };
  }
  return { ok: true, value: daysSinceYearOne(year, month, day) };
}

/** A count: a whole number from 0 to the largest PostgreSQL integer. */
export function parseCount(text: string): Parsed<number> {
  if (text === '') return { ok: false, problem: 'is empty' };
  if (/^-\d+$/.test(text)) return { ok: false, problem: `${text} is negative` };
  if (!/^\+?\d+$/.test(text))
    return {
      ok: false,
      problem: `${JSON.stringify(text)} is not a whole number`,
    };
  const value = Number(text);
  if (value > MAX_INTEGER) return { ok: false, problem: `${text} is larger than ${MAX_INTEGER}` };
  return { ok: true, value };
}

export function validateRow(fields: readonly string[], header: HeaderMapping): Parsed<LoanRow> {
  if (fields.length !== header.fieldCount) {
    return {
      ok: false,
      problem: `expected ${header.fieldCount} fields, found ${fields.length}`,
    };
  }
  const field = (column: LoanColumn): string => fields[header.index[column]]!.trim();
  const problems: string[] = [];

  const date = field('repayment_date');
  const day = date === '' ? ({ ok: false, problem: 'is empty' } as const) : parseIsoDate(date);
  if (!day.ok) problems.push(`repayment_date ${day.problem}`);

  const counts = {} as Record<'number_of_loans' | 'defaults' | 'liquidations', number>;
  for (const column of ['number_of_loans', 'defaults', 'liquidations'] as const) {
    const count = parseCount(field(column));
    if (count.ok) counts[column] = count.value;
    else problems.push(`${column} ${count.problem}`);
  }
  if (problems.length === 0 && counts.defaults + counts.liquidations > counts.number_of_loans) {
    problems.push(
      `defaults + liquidations (${counts.defaults + counts.liquidations}) exceed number_of_loans (${counts.number_of_loans})`,
    );
  }
  if (problems.length > 0 || !day.ok) return { ok: false, problem: problems.join('; ') };
  return {
    ok: true,
    value: {
      repaymentDate: date,
      dayNumber: day.value,
      numberOfLoans: counts.number_of_loans,
      defaults: counts.defaults,
      liquidations: counts.liquidations,
    },
  };
}
