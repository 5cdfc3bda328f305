import { HeaderError, mapHeader, normaliseColumnName } from '../loader/header';

describe('normaliseColumnName', () => {
  test.each([
    ['Date of Repayment', 'date_of_repayment', undefined],
    ['  "Number of Loans" ', 'number_of_loans', undefined],
    ['\uFEFFDate of Repayment', 'date_of_repayment', undefined],
    ['Default (as of 2023-05-09)', 'default', '2023-05-09'],
    ['LIQUIDATION (AS OF 2023-05-09)', 'liquidation', '2023-05-09'],
    ['number-of-loans', 'number_of_loans', undefined],
    ['Repayment_Date', 'repayment_date', undefined],
  ])('%j becomes %s', (raw, name, asOf) => {
    expect(normaliseColumnName(raw)).toEqual(asOf === undefined ? { name } : { name, asOf });
  });
});

describe('mapHeader', () => {
  test('maps the real header and keeps the as-of dates', () => {
    const header = mapHeader([
      'Date of Repayment',
      'Number of Loans',
      'Default (as of 2023-05-09)',
      'Liquidation (as of 2023-05-09)',
    ]);
    expect(header).toEqual({
      index: { repayment_date: 0, number_of_loans: 1, defaults: 2, liquidations: 3 },
      fieldCount: 4,
      asOf: { defaults: '2023-05-09', liquidations: '2023-05-09' },
    });
  });

  test('matches columns by name in any order', () => {
    const header = mapHeader(['liquidations', 'DEFAULTS', 'repayment date', 'number of loans']);
    expect(header.index).toEqual({ repayment_date: 2, number_of_loans: 3, defaults: 1, liquidations: 0 });
    expect(header.asOf).toEqual({});
  });

  const problem = (fields: string[]): string => {
    try {
      mapHeader(fields);
    } catch (error) {
      expect(error).toBeInstanceOf(HeaderError);
      return (error as Error).message;
    }
    throw new Error('mapHeader accepted a bad header');
  };

  test('names a missing column', () => {
    expect(problem(['Date of Repayment', 'Number of Loans', 'Default'])).toMatch(/missing column liquidations/);
  });

  test('names every unknown column with its position', () => {
    const message = problem(['Date of Repayment', 'Number of Loans', 'Default', 'Liquidation', 'Recoveries']);
    expect(message).toMatch(/unknown column "Recoveries" \(field 5\)/);
  });

  test('names a column given twice', () => {
    expect(problem(['Date of Repayment', 'Defaults', 'Number of Loans', 'Default', 'Liquidation'])).toMatch(
      /column defaults appears twice \(fields 2 and 4\)/,
    );
  });

  test('reports a wrong delimiter', () => {
    expect(problem(['Date of Repayment;Number of Loans;Default;Liquidation'])).toMatch(/contains ";"/);
  });

  test('reports a first line that is data', () => {
    expect(problem(['2021-08-28', '32', '5', '27'])).toMatch(/looks like data, not a header/);
  });

  test('reports an empty header', () => {
    expect(problem(['', ''])).toMatch(/header line is empty/);
  });

  test('reports an impossible as-of date', () => {
    expect(problem(['Date of Repayment', 'Number of Loans', 'Default (as of 2023-02-30)', 'Liquidation'])).toMatch(
      /"as of" date "2023-02-30" is not a YYYY-MM-DD date/,
    );
  });
});
