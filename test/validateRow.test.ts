import { mapHeader } from '../loader/header';
import { MAX_DAY_NUMBER, parseCount, parseIsoDate, validateRow } from '../loader/validateRow';

const header = mapHeader(['Date of Repayment', 'Number of Loans', 'Default', 'Liquidation']);

function reason(fields: string[]): string {
  const result = validateRow(fields, header);
  if (result.ok) throw new Error(`accepted ${fields.join(',')}`);
  return result.problem;
}

describe('parseIsoDate', () => {
  // The reference is JavaScript's own calendar, counted from 1970-01-01 (day 719162 since 0001-01-01).
  const referenceDay = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 86_400_000 + 719_162;

  test.each(['2021-08-28', '2000-02-29', '1970-01-01', '2023-05-09', '1900-03-01', '9999-12-31'])(
    '%s gets the same day number as the JavaScript calendar',
    (iso) => {
      expect(parseIsoDate(iso)).toEqual({ ok: true, value: referenceDay(iso) });
    },
  );

  test('every day of four years is consecutive', () => {
    let previous = (parseIsoDate('2019-12-31') as { value: number }).value;
    for (let ms = Date.UTC(2020, 0, 1); ms < Date.UTC(2024, 0, 1); ms += 86_400_000) {
      const day = parseIsoDate(new Date(ms).toISOString().slice(0, 10));
      expect(day).toEqual({ ok: true, value: previous + 1 });
      previous += 1;
    }
  });

  test('the largest day number is 9999-12-31', () => {
    expect(MAX_DAY_NUMBER).toBe(referenceDay('9999-12-31'));
  });

  test.each([
    ['2021-02-29', 'does not exist on the calendar'],
    ['1900-02-29', 'does not exist on the calendar'],
    ['2021-13-01', 'does not exist on the calendar'],
    ['2021-04-31', 'does not exist on the calendar'],
    ['0000-01-01', 'does not exist on the calendar'],
    ['2021-00-10', 'does not exist on the calendar'],
    ['2021/08/28', 'is not a date in YYYY-MM-DD form'],
    ['28-08-2021', 'is not a date in YYYY-MM-DD form'],
    ['2021-8-28', 'is not a date in YYYY-MM-DD form'],
    ['2021-08-28T00:00', 'is not a date in YYYY-MM-DD form'],
  ])('%s is refused: %s', (text, problem) => {
    const result = parseIsoDate(text);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem).toContain(problem);
  });
});

describe('parseCount', () => {
  test.each([
    ['0', 0],
    ['42', 42],
    ['007', 7],
    ['+5', 5],
    ['2147483647', 2147483647],
  ])('%s is %d', (text, value) => {
    expect(parseCount(text)).toEqual({ ok: true, value });
  });

  test.each([
    ['', 'is empty'],
    ['-1', '-1 is negative'],
    ['1.5', '"1.5" is not a whole number'],
    ['1e3', '"1e3" is not a whole number'],
    ['abc', '"abc" is not a whole number'],
    ['2147483648', '2147483648 is larger than 2147483647'],
  ])('%j is refused: %s', (text, problem) => {
    expect(parseCount(text)).toEqual({ ok: false, problem });
  });
});

describe('validateRow', () => {
  test('accepts a good row, trimming spaces', () => {
    expect(validateRow(['2021-08-28', ' 32 ', '5', '27'], header)).toEqual({
      ok: true,
      value: {
        repaymentDate: '2021-08-28',
        dayNumber: 738_029 /* Python: date(2021, 8, 28).toordinal() - 1 */,
        numberOfLoans: 32,
        defaults: 5,
        liquidations: 27,
      },
    });
  });

  test('names the sum that exceeds the number of loans', () => {
    expect(reason(['2021-08-28', '5', '3', '4'])).toBe('defaults + liquidations (7) exceed number_of_loans (5)');
  });

  test('accepts defaults + liquidations equal to the number of loans', () => {
    expect(validateRow(['2021-08-28', '7', '3', '4'], header).ok).toBe(true);
  });

  test('names a wrong number of fields', () => {
    expect(reason(['2021-08-28', '5', '3'])).toBe('expected 4 fields, found 3');
    expect(reason(['2021-08-28', '5', '3', '1', ''])).toBe('expected 4 fields, found 5');
  });

  test('lists every problem of a row', () => {
    expect(reason(['2021-02-30', 'x', '-1', ''])).toBe(
      'repayment_date 2021-02-30 does not exist on the calendar; number_of_loans "x" is not a whole number; ' +
        'defaults -1 is negative; liquidations is empty',
    );
  });

  test('names an empty date', () => {
    expect(reason(['', '5', '1', '1'])).toBe('repayment_date is empty');
  });
});
