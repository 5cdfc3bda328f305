import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../lib/errors';
import { loadFile, type LoadSummary } from '../loader/loadFile';
import { createTestDatabase, type TestDatabase } from './support/database';
import { HEADER, tempDir, writeFile } from './support/files';

let db: TestDatabase;
const dir = tempDir();

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());
beforeEach(async () => {
  await db.pool.query('TRUNCATE loans, load_rejects, loads');
});

async function load(file: string, strict = false, force = false): Promise<LoadSummary> {
  return loadFile(db.pool, file, { strict, force });
}

async function loans(): Promise<string[]> {
  const result = await db.pool.query<{ row: string }>(
    `SELECT concat_ws(',', repayment_date, number_of_loans, defaults, liquidations) AS row FROM loans ORDER BY repayment_date`,
  );
  return result.rows.map((r) => r.row);
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the load to fail');
}

const GOOD = [HEADER, '2021-08-28,32,5,27', '2021-08-29,39,2,37', '2021-08-30,45,0,43'];

test('loads a file and records the load', async () => {
  const file = writeFile(dir, 'good.csv', GOOD);
  const summary = await load(file);
  expect(summary).toMatchObject({ read: 3, loaded: 3, rejected: 0, blank: 0, inserted: 3, updated: 0, unchanged: 0 });
  expect(await loans()).toEqual(['2021-08-28,32,5,27', '2021-08-29,39,2,37', '2021-08-30,45,0,43']);
  const recorded = await db.pool.query('SELECT * FROM loads');
  expect(recorded.rows).toEqual([
    expect.objectContaining({
      file,
      status: 'succeeded',
      sha256: createHash('sha256').update(readFileSync(file)).digest('hex'),
      as_of: { defaults: '2023-05-09', liquidations: '2023-05-09' },
      rows_read: 3,
      rows_loaded: 3,
      rows_rejected: 0,
      lines_blank: 0,
      rows_inserted: 3,
      rows_updated: 0,
      rows_unchanged: 0,
      error: null,
    }),
  ]);
});

test('rejects each bad line with its line number, raw text and reason, and loads the rest', async () => {
  const lines = [
    HEADER, //                             line 1
    '2021-08-28,32,5,27', //               2 ok
    '2021/08/29,39,2,37', //               3
    '2021-02-30,10,1,1', //                4
    '2021-08-31,-4,0,0', //                5
    '2021-09-01,12.5,1,1', //              6
    '2021-09-02,3000000000,1,1', //        7
    '2021-09-03,5,3,4', //                 8
    '2021-09-04,5,3', //                   9
    '2021-09-05,5,3,1,9', //               10
    '', //                                 11 blank
    '2021-09-06,,1,1', //                  12
    '2021-08-28,99,1,1', //                13 repeats line 2
    '2021-09-07,8,1,1', //                 14 ok
  ];
  const summary = await load(writeFile(dir, 'rejects.csv', lines));
  expect(summary).toMatchObject({ read: 13, loaded: 2, rejected: 10, blank: 1 });
  expect(summary.read).toBe(summary.loaded + summary.rejected + summary.blank);
  expect(await loans()).toEqual(['2021-08-28,32,5,27', '2021-09-07,8,1,1']);

  const rejects = await db.pool.query<{ line_number: number; raw_line: string; reason: string }>(
    'SELECT line_number, raw_line, reason FROM load_rejects WHERE load_id = $1 ORDER BY line_number',
    [summary.loadId],
  );
  expect(rejects.rows).toEqual([
    { line_number: 3, raw_line: lines[2], reason: 'repayment_date "2021/08/29" is not a date in YYYY-MM-DD form' },
    { line_number: 4, raw_line: lines[3], reason: 'repayment_date 2021-02-30 does not exist on the calendar' },
    { line_number: 5, raw_line: lines[4], reason: 'number_of_loans -4 is negative' },
    { line_number: 6, raw_line: lines[5], reason: 'number_of_loans "12.5" is not a whole number' },
    { line_number: 7, raw_line: lines[6], reason: 'number_of_loans 3000000000 is larger than 2147483647' },
    { line_number: 8, raw_line: lines[7], reason: 'defaults + liquidations (7) exceed number_of_loans (5)' },
    { line_number: 9, raw_line: lines[8], reason: 'expected 4 fields, found 3' },
    { line_number: 10, raw_line: lines[9], reason: 'expected 4 fields, found 5' },
    { line_number: 12, raw_line: lines[11], reason: 'number_of_loans is empty' },
    {
      line_number: 13,
      raw_line: lines[12],
      reason: 'repayment_date 2021-08-28 repeats line 2; the first row of a day wins',
    },
  ]);
});

test('a rejected line of a CRLF file is stored without its line end', async () => {
  const summary = await load(writeFile(dir, 'crlf.csv', `${HEADER}\r\n2021-08-28,5,3,4\r\n2021-08-29,5,1,1\r\n`));
  const rejects = await db.pool.query('SELECT line_number, raw_line FROM load_rejects WHERE load_id = $1', [
    summary.loadId,
  ]);
  expect(rejects.rows).toEqual([{ line_number: 2, raw_line: '2021-08-28,5,3,4' }]);
});

test('keeps tabs, backslashes and NUL bytes of a rejected line readable', async () => {
  const raw = '2021-08-28,3\t2,C:\\path,\u0000';
  const summary = await load(writeFile(dir, 'odd.csv', [HEADER, raw]));
  const rejects = await db.pool.query('SELECT raw_line FROM load_rejects WHERE load_id = $1', [summary.loadId]);
  expect(rejects.rows).toEqual([{ raw_line: '2021-08-28,3\t2,C:\\path,\u2400' }]);
});

test('reading the same file again (--force) changes nothing', async () => {
  const file = writeFile(dir, 'again.csv', GOOD);
  await load(file);
  const versions = await db.pool.query('SELECT repayment_date, xmin::text, updated_at FROM loans ORDER BY 1');
  const second = await load(file, false, true);
  expect(second.unchangedSinceLoadId).toBeUndefined();
  expect(second).toMatchObject({ loaded: 3, inserted: 0, updated: 0, unchanged: 3 });
  // Same row versions: not even rewritten with the same values.
  expect((await db.pool.query('SELECT repayment_date, xmin::text, updated_at FROM loans ORDER BY 1')).rows).toEqual(
    versions.rows,
  );
});

test('a file with new numbers for existing days updates those days and adds new ones', async () => {
  await load(writeFile(dir, 'first.csv', GOOD));
  const summary = await load(
    writeFile(dir, 'correction.csv', [HEADER, '2021-08-29,39,3,36', '2021-08-30,45,0,43', '2021-08-31,50,1,2']),
  );
  expect(summary).toMatchObject({ inserted: 1, updated: 1, unchanged: 1 });
  expect(await loans()).toEqual([
    '2021-08-28,32,5,27',
    '2021-08-29,39,3,36',
    '2021-08-30,45,0,43',
    '2021-08-31,50,1,2',
  ]);
  const owner = await db.pool.query('SELECT repayment_date, load_id FROM loans ORDER BY 1');
  expect(owner.rows.map((r) => r.load_id)).toEqual([
    expect.any(String),
    String(summary.loadId),
    expect.any(String),
    String(summary.loadId),
  ]);
  expect(owner.rows[0].load_id).not.toBe(String(summary.loadId));
});

test('matches columns by name: any order, any case, a BOM and CRLF line ends', async () => {
  const file = writeFile(
    dir,
    'reordered.csv',
    '\uFEFF"LIQUIDATION",default,Number Of Loans,"date of repayment"\r\n27,5,32,2021-08-28\r\n37,2,39,2021-08-29\r\n',
  );
  const summary = await load(file);
  expect(summary).toMatchObject({ loaded: 2, rejected: 0 });
  expect(await loans()).toEqual(['2021-08-28,32,5,27', '2021-08-29,39,2,37']);
});

describe('a file that cannot be loaded changes nothing', () => {
  beforeEach(async () => {
    await load(writeFile(dir, 'before.csv', GOOD));
  });

  async function expectRefused(file: string, message: RegExp | string, strict = false): Promise<void> {
    const before = await loans();
    const loadsBefore = Number((await db.pool.query('SELECT count(*) FROM loads')).rows[0].count);
    const error = await failure(load(file, strict));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(message);
    expect(error.message.startsWith(file)).toBe(true);
    expect(await loans()).toEqual(before);
    // The attempt is recorded, and only that.
    const failed = await db.pool.query("SELECT file, error FROM loads WHERE status = 'failed'");
    expect(failed.rows).toEqual([{ file, error: error.message }]);
    expect(Number((await db.pool.query('SELECT count(*) FROM loads')).rows[0].count)).toBe(loadsBefore + 1);
    expect((await db.pool.query('SELECT count(*) FROM load_rejects')).rows[0].count).toBe('0');
  }

  test('a missing column', async () => {
    const file = writeFile(dir, 'missing.csv', ['Date of Repayment,Number of Loans,Default', '2021-08-31,1,1']);
    await expectRefused(file, /:1: bad header: missing column liquidations/);
  });

  test('an unknown column', async () => {
    const file = writeFile(dir, 'unknown.csv', [`${HEADER},Notes`, '2021-08-31,1,1,0,x']);
    await expectRefused(file, /:1: bad header: unknown column "Notes" \(field 5\)/);
  });

  test('an empty file', async () => {
    await expectRefused(writeFile(dir, 'empty.csv', ''), /: the file is empty/);
  });

  test('only blank lines', async () => {
    await expectRefused(writeFile(dir, 'blank.csv', '\n\n  \n'), /: the file is empty or has only blank lines/);
  });

  test('a header and no rows', async () => {
    await expectRefused(writeFile(dir, 'header-only.csv', [HEADER]), /: the file has a header but no rows/);
  });

  test('no such file', async () => {
    await expectRefused(path.join(dir, 'nope.csv'), /nope\.csv: no such file$/);
  });

  test('a directory', async () => {
    const folder = path.join(dir, 'a-folder.csv');
    mkdirSync(folder, { recursive: true });
    await expectRefused(folder, /: is a directory, not a CSV file$/);
  });

  test('an unterminated quote after many good rows rolls everything back', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => {
      const day = new Date(Date.UTC(2000, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
      return `${day},10,1,1`;
    });
    const file = writeFile(dir, 'unterminated.csv', [HEADER, ...rows, '2021-09-01,"10,1,1', '2021-09-02,10,1,1']);
    await expectRefused(file, /:5002: a quoted field is opened here and never closed/);
  });

  test('--strict with a rejected row', async () => {
    const file = writeFile(dir, 'strict.csv', [HEADER, '2021-08-31,10,1,1', '2021-09-01,5,3,4']);
    await expectRefused(
      file,
      /--strict and 1 row was rejected, nothing loaded; line 3: defaults \+ liquidations/,
      true,
    );
  });

  test('a database error during the merge', async () => {
    await db.pool.query(`
      CREATE FUNCTION refuse_2021_09_02() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.repayment_date = '2021-09-02' THEN RAISE EXCEPTION 'refused by test trigger'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse BEFORE INSERT ON loans FOR EACH ROW EXECUTE FUNCTION refuse_2021_09_02();`);
    try {
      const before = await loans();
      const file = writeFile(dir, 'trigger.csv', [HEADER, '2021-08-28,1,0,0', '2021-09-01,1,0,0', '2021-09-02,1,0,0']);
      const error = await failure(load(file));
      expect(error.message).toMatch(/refused by test trigger/);
      expect(await loans()).toEqual(before);
    } finally {
      await db.pool.query('DROP TRIGGER refuse ON loans; DROP FUNCTION refuse_2021_09_02()');
    }
  });
});
