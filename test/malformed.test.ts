import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../lib/errors';
import { loadFile } from '../loader/loadFile';
import { createTestDatabase, type TestDatabase } from './support/database';
import { HEADER, tempDir, writeFile } from './support/files';

/**
 * The fault-injection suite for the loader's input: malformed files, each with a clear one-line
 * message naming the file, the line and the problem, and none losing what `loans` already has.
 * Refused files change nothing; files with bad rows load the rest, and every line is accounted
 * for (read = loaded + rejected + blank).
 */

let db: TestDatabase;
const dir = tempDir('malformed-');
const EXISTING = ['2020-01-01,10,1,1', '2020-01-02,20,2,2'];

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());
beforeEach(async () => {
  await db.pool.query('TRUNCATE loans, load_rejects, loads');
  await loadFile(db.pool, writeFile(dir, 'existing.csv', [HEADER, ...EXISTING]), { strict: true });
});

async function loans(): Promise<string[]> {
  const { rows } = await db.pool.query<{ row: string }>(
    `SELECT concat_ws(',', repayment_date, number_of_loans, defaults, liquidations) AS row FROM loans ORDER BY 1`,
  );
  return rows.map((r) => r.row);
}

/** A seeded stream of bytes, so that the "binary garbage" case is the same on every run. */
function garbage(length: number): Buffer {
  let state = 7;
  return Buffer.from(Array.from({ length }, () => (state = (state * 1103515245 + 12345) % 2147483648) % 256));
}

type Content = string | Buffer | readonly string[];

const refused: [string, () => string, RegExp][] = [
  ['an empty file', () => writeFile(dir, 'empty.csv', ''), /: the file is empty; expected a header line and rows$/],
  ['only blank lines', () => writeFile(dir, 'blank.csv', '\n \r\n\n'), /: the file is empty or has only blank lines/],
  ['a header and no rows', () => writeFile(dir, 'header-only.csv', [HEADER]), /: the file has a header but no rows/],
  ['no header', () => writeFile(dir, 'no-header.csv', EXISTING), /:1: the first line looks like data, not a header/],
  [
    'an unknown column',
    () => writeFile(dir, 'unknown.csv', [`${HEADER},Region`, '2021-01-01,1,0,0,x']),
    /:1: bad header: unknown column "Region" \(field 5\)/,
  ],
  [
    'a missing column',
    () => writeFile(dir, 'missing.csv', ['Date of Repayment,Number of Loans,Default', '2021-01-01,1,0']),
    /:1: bad header: missing column liquidations/,
  ],
  [
    'a duplicated column',
    () => writeFile(dir, 'dup.csv', [`${HEADER},Defaults`, '2021-01-01,1,0,0,0']),
    /:1: bad header: column defaults appears twice \(fields 3 and 5\)/,
  ],
  [
    'a semicolon delimiter',
    () => writeFile(dir, 'semicolon.csv', [HEADER.replaceAll(',', ';'), '2021-01-01;1;0;0']),
    /:1: the header has one column and contains ";": fields must be separated by commas/,
  ],
  [
    'a tab delimiter',
    () => writeFile(dir, 'tab.tsv', [HEADER.replaceAll(',', '\t'), '2021-01-01\t1\t0\t0']),
    /:1: the header has one column and contains "\\t"/,
  ],
  [
    'a header that is not UTF-8',
    () =>
      writeFile(
        dir,
        'latin1-header.csv',
        Buffer.concat([
          Buffer.from('Date of Repaym'),
          Buffer.from([0xe9]),
          Buffer.from('nt,Number of Loans,Default,Liquidation\n2021-01-01,1,0,0\n'),
        ]),
      ),
    /:1: the header is not valid UTF-8/,
  ],
  ['binary garbage', () => writeFile(dir, 'garbage.bin', garbage(4096)), /garbage\.bin:\d+: /],
  [
    'an unterminated quote',
    () => writeFile(dir, 'quote.csv', [HEADER, '2021-01-01,1,0,0', '2021-01-02,"1,0,0', '2021-01-03,1,0,0']),
    /:3: a quoted field is opened here and never closed/,
  ],
  [
    'a huge line in the middle',
    () => writeFile(dir, 'huge-middle.csv', [HEADER, '2021-01-01,1,0,0', `2021-01-02,${'9'.repeat(100_000)},0,0`]),
    /:3: a record longer than 65536 bytes starts here/,
  ],
  [
    'a directory',
    () => {
      const folder = path.join(dir, 'folder.csv');
      mkdirSync(folder, { recursive: true });
      return folder;
    },
    /: is a directory, not a CSV file$/,
  ],
  ['no such file', () => path.join(dir, 'nowhere.csv'), /nowhere\.csv: no such file$/],
];

describe('files that are refused as a whole change nothing', () => {
  test.each(refused)('%s', async (_name, make, message) => {
    const file = make();
    const before = await loans();
    let error: unknown;
    try {
      await loadFile(db.pool, file, { strict: false });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InputError);
    const text = (error as Error).message;
    expect(text).toMatch(message);
    expect(text.startsWith(file)).toBe(true);
    expect(text).not.toContain('\n');
    expect(await loans()).toEqual(before);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM load_rejects')).rows[0].n).toBe(0);
  });

  test('a single enormous line with no line break: refused after reading a bounded part of it', async () => {
    const file = writeFile(dir, 'one-line.csv', `${HEADER}\n2021-01-01,${'1'.repeat(20 * 1024 * 1024)}`);
    let readAtMost = 0;
    const error = await loadFile(db.pool, file, {
      strict: false,
      onProgress: (bytesRead) => (readAtMost = Math.max(readAtMost, bytesRead)),
    }).catch((caught: unknown) => caught as Error);
    expect((error as Error).message).toMatch(/one-line\.csv:2: a record longer than 65536 bytes starts here/);
    // csv-parse gives up at 64 KiB; the read stops within a few chunks of that, not at 20 MB.
    expect(readAtMost).toBeLessThan(2 * 1024 * 1024);
    expect(await loans()).toEqual(EXISTING);
  });
});

const rowCases: [string, Content, { loaded: number; blank: number; rejects: [number, RegExp][] }][] = [
  [
    'a date in another format',
    [HEADER, '01/02/2021,1,0,0'],
    { loaded: 0, blank: 0, rejects: [[2, /repayment_date "01\/02\/2021" is not a date in YYYY-MM-DD form/]] },
  ],
  [
    'a date not on the calendar',
    [HEADER, '2021-02-29,1,0,0'],
    { loaded: 0, blank: 0, rejects: [[2, /repayment_date 2021-02-29 does not exist on the calendar/]] },
  ],
  [
    'a negative count',
    [HEADER, '2021-03-01,-1,0,0'],
    { loaded: 0, blank: 0, rejects: [[2, /number_of_loans -1 is negative/]] },
  ],
  [
    'a decimal count',
    [HEADER, '2021-03-01,1.5,0,0'],
    { loaded: 0, blank: 0, rejects: [[2, /number_of_loans "1\.5" is not a whole number/]] },
  ],
  [
    'a count too large for an integer',
    [HEADER, '2021-03-01,99999999999,0,0'],
    { loaded: 0, blank: 0, rejects: [[2, /number_of_loans 99999999999 is larger than 2147483647/]] },
  ],
  [
    'more resolved than loans',
    [HEADER, '2021-03-01,2,2,1'],
    { loaded: 0, blank: 0, rejects: [[2, /defaults \+ liquidations \(3\) exceed number_of_loans \(2\)/]] },
  ],
  ['too few fields', [HEADER, '2021-03-01,2,1'], { loaded: 0, blank: 0, rejects: [[2, /expected 4 fields, found 3/]] }],
  [
    'a trailing comma',
    [HEADER, '2021-03-01,2,1,1,'],
    { loaded: 0, blank: 0, rejects: [[2, /expected 4 fields, found 5/]] },
  ],
  ['an empty field', [HEADER, '2021-03-01,,1,1'], { loaded: 0, blank: 0, rejects: [[2, /number_of_loans is empty/]] }],
  [
    'a date repeated in the file',
    [HEADER, '2021-03-01,2,1,1', '2021-03-01,3,1,1'],
    { loaded: 1, blank: 0, rejects: [[3, /repayment_date 2021-03-01 repeats line 2; the first row of a day wins/]] },
  ],
  [
    'a stray quote in a number',
    [HEADER, '2021-03-01,1"0,1,1'],
    { loaded: 0, blank: 0, rejects: [[2, /number_of_loans "1\\"0" is not a whole number/]] },
  ],
  [
    'bytes that are not UTF-8 in a row',
    Buffer.concat([
      Buffer.from(`${HEADER}\n2021-03-01,2,1,1\n2021-03-02,`),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(',1,1\n'),
    ]),
    { loaded: 1, blank: 0, rejects: [[3, /the line is not valid UTF-8/]] },
  ],
  [
    'a NUL byte',
    [HEADER, '2021-03-01,2\u0000,1,1'],
    { loaded: 0, blank: 0, rejects: [[2, /number_of_loans "2\\u0000" is not a whole number/]] },
  ],
  [
    'a bare CR inside a line',
    `${HEADER}\n2021-03-01,2,1,1\r2021-03-02,2,1,1\n2021-03-03,2,1,1\n`,
    { loaded: 1, blank: 0, rejects: [[2, /contains a bare carriage return \(CR, old Mac line ends\)/]] },
  ],
  [
    'blank and whitespace-only lines',
    [HEADER, '', '2021-03-01,2,1,1', '   ', '2021-03-02,2,1,1'],
    { loaded: 2, blank: 2, rejects: [] },
  ],
  [
    'a BOM and CRLF line ends',
    `\uFEFF${HEADER}\r\n2021-03-01,2,1,1\r\n\r\n2021-03-02,2,1,9\r\n`,
    { loaded: 1, blank: 1, rejects: [[4, /exceed number_of_loans/]] },
  ],
];

describe('files with bad rows load the rest, and every line is accounted for', () => {
  test.each(rowCases)('%s', async (_name, content, expected) => {
    const file = writeFile(dir, `rows-${Math.random().toString(36).slice(2)}.csv`, content);
    const before = await loans();
    const summary = await loadFile(db.pool, file, { strict: false });
    expect({ loaded: summary.loaded, blank: summary.blank, rejected: summary.rejected }).toEqual({
      loaded: expected.loaded,
      blank: expected.blank,
      rejected: expected.rejects.length,
    });
    expect(summary.read).toBe(summary.loaded + summary.rejected + summary.blank);
    const { rows } = await db.pool.query<{ line_number: number; reason: string }>(
      'SELECT line_number, reason FROM load_rejects WHERE load_id = $1 ORDER BY line_number',
      [summary.loadId],
    );
    expect(rows.map((r) => r.line_number)).toEqual(expected.rejects.map(([line]) => line));
    rows.forEach((row, i) => expect(row.reason).toMatch(expected.rejects[i]![1]));
    // Nothing that was in loans is lost.
    const after = await loans();
    for (const row of before) expect(after).toContain(row);
  });
});
