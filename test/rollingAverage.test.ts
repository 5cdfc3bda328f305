import pg from 'pg';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readConfig } from '../lib/config';
import { projectRoot, querySqlFile, readSql } from '../lib/sqlFiles';
import { loadFile } from '../loader/loadFile';
import { runWorkflow } from '../scheduler/runWorkflow';
import { resolveParams } from '../scheduler/workflow';
import { defineWorkflows } from '../scheduler/workflows';
import { createTestDatabase, type TestDatabase } from './support/database';
import { HEADER, tempDir, writeFile } from './support/files';
import { parseFraction } from './support/fraction';
import { captureLogger } from './support/logs';
import { checkRefreshStamps, differences, type PublishedRow } from './support/publishedTable';
import { parseLoansCsv, referenceRollingAverage, type ReferenceRow } from './support/referenceRollingAverage';

/**
 * SQL regression tests of default_liquidation_rolling_avg_hist: the table the job publishes is
 * compared with expected tables computed by hand (test/fixtures/rolling/*.expected.csv) and with
 * an independent implementation (test/support/referenceRollingAverage.ts).
 */

const FIXTURES = path.join(__dirname, 'fixtures', 'rolling');
const REAL_FILE = path.resolve(projectRoot, '..', 'shared', 'fixtures', 'perpay-loans.csv');
const job = defineWorkflows(readConfig({}))[0]!;
const { logger } = captureLogger();
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

async function loadFresh(...files: string[]): Promise<void> {
  await db.pool.query('TRUNCATE loans, load_rejects, loads');
  for (const file of files) await loadFile(db.pool, file, { strict: true });
}

async function rebuild(params: Record<string, string> = {}): Promise<PublishedRow[]> {
  const table = 'SELECT * FROM default_liquidation_rolling_avg_hist ORDER BY repayment_date';
  const before = (await db.pool.query<PublishedRow>(table)).rows;
  const from = Date.now();
  const outcome = await runWorkflow(db.pool, job, { trigger: 'manual', params: resolveParams(job, params) }, logger);
  expect(outcome).toMatchObject({ status: 'succeeded' });
  const after = (await db.pool.query<PublishedRow>(table)).rows;
  // A full refresh writes every row, all with the run's created_at; changed_at moves only where
  // the numbers did.
  expect(checkRefreshStamps(before, after, { from, to: Date.now() }).written).toBe(after.length);
  expect(outcome.rows).toBe(after.length);
  return after;
}

function readExpected(file: string): ReferenceRow[] {
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'));
  expect(lines[0]).toBe('repayment_date,liquidation_to_default_ratio,rolling_avg_7d');
  return lines.slice(1).map((line) => {
    const [date, ratio, avg] = line.split(',');
    return {
      date: date!,
      ratio: ratio === '' ? null : parseFraction(ratio!),
      rollingAvg: avg === '' ? null : parseFraction(avg!),
    };
  });
}

function expectedFile(name: string, params: Record<string, string>): string {
  const suffix = Object.entries(params)
    .map(([key, value]) => `.${key}=${value}`)
    .join('');
  return path.join(FIXTURES, `${name}${suffix}.expected.csv`);
}

function reference(file: string, params: Record<string, string>): ReferenceRow[] {
  const days = parseLoansCsv(readFileSync(file, 'utf8'));
  return referenceRollingAverage(days, Number(params.window_days ?? 7), params.include_current_day !== 'false');
}

describe('hand-computed cases', () => {
  test.each([
    ['gaps', {}],
    ['gaps', { include_current_day: 'false' }],
    ['gaps', { window_days: '3' }],
    ['zero_defaults', {}],
    ['single_day', {}],
    ['single_day', { include_current_day: 'false' }],
    ['first_days', {}],
    ['first_days', { include_current_day: 'false' }],
  ] as [string, Record<string, string>][])('%s with %j', async (name, params) => {
    const input = path.join(FIXTURES, `${name}.csv`);
    await loadFresh(input);
    const published = await rebuild(params);
    expect(differences(published, readExpected(expectedFile(name, params)))).toEqual([]);
    // The reference agrees with the hand computation, and so with the SQL.
    expect(differences(published, reference(input, params))).toEqual([]);
    // The other columns are the loans of the day, untouched.
    const days = parseLoansCsv(readFileSync(input, 'utf8'));
    expect(published.map((r) => [r.repayment_date, r.number_of_loans, r.defaults, r.liquidations])).toEqual(
      days.map((d) => [d.date, d.loans, d.defaults, d.liquidations]),
    );
  });

  test('a correction loaded later is reflected in the next rebuild', async () => {
    await loadFresh(path.join(FIXTURES, 'first_days.csv'));
    await rebuild();
    await loadFile(db.pool, path.join(FIXTURES, 'first_days.correction.csv'), { strict: true });
    const published = await rebuild();
    expect(differences(published, readExpected(path.join(FIXTURES, 'first_days.correction.expected.csv')))).toEqual([]);
  });
});

describe('whole files against the reference implementation', () => {
  const files = [path.join(projectRoot, 'data', 'loans.csv'), ...(existsSync(REAL_FILE) ? [REAL_FILE] : [])];
  const settings: Record<string, string>[] = [
    {},
    { include_current_day: 'false' },
    { window_days: '3' },
    { window_days: '30' },
  ];

  test.each(files)('%s', async (file) => {
    await loadFresh(file);
    for (const params of settings) {
      const published = await rebuild(params);
      expect(published.length).toBe(parseLoansCsv(readFileSync(file, 'utf8')).length);
      expect({ params, differences: differences(published, reference(file, params)) }).toEqual({
        params,
        differences: [],
      });
    }
  });

  test('random days with gaps, for many windows', async () => {
    let state = 12345;
    const random = (): number => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state / 2147483648;
    };
    const lines = [HEADER];
    let dayMs = Date.UTC(2022, 0, 1);
    for (let i = 0; i < 150; i += 1) {
      dayMs += (random() < 0.3 ? 2 + Math.floor(random() * 5) : 1) * 86_400_000;
      const loans = Math.floor(random() * 60);
      const defaults = random() < 0.3 ? 0 : Math.floor(random() * (loans / 3));
      const liquidations = Math.floor(random() * (loans - defaults + 1));
      lines.push(`${new Date(dayMs).toISOString().slice(0, 10)},${loans},${defaults},${liquidations}`);
    }
    const file = writeFile(tempDir(), 'random.csv', lines);
    await loadFresh(file);
    for (const windowDays of [1, 2, 5, 7, 10]) {
      for (const include of ['true', 'false']) {
        const params = { window_days: String(windowDays), include_current_day: include };
        const published = await rebuild(params);
        expect({ params, differences: differences(published, reference(file, params)) }).toEqual({
          params,
          differences: [],
        });
      }
    }
  });
});

describe('how the numbers are stored', () => {
  test('one text per value, without trailing zeros, the mean at the precision of the untrimmed ratios', async () => {
    const file = writeFile(tempDir(), 'scale.csv', [
      HEADER,
      '2023-01-01,100,4,1', // 1/4
      '2023-01-02,100,1,10', // 10
      '2023-01-03,100,2,1', // 1/2
      '2023-01-04,100,3,1', // 1/3
      '2023-01-05,100,0,9', // no default: no ratio
    ]);
    await loadFresh(file);
    const rows = await rebuild();
    // By hand: the means of 1/4; 1/4, 10; 1/4, 10, 1/2 (= 43/12); 1/4, 10, 1/2, 1/3 (= 133/48),
    // to the 20 decimals PostgreSQL divides to here; the last day has no ratio and the mean of
    // the same four. Were the ratios trimmed before the mean was taken (10 instead of
    // 10.0000000000000000), 43/12 would come out with 16 decimals: 3.5833333333333333.
    expect(rows.map((r) => [r.liquidation_to_default_ratio, r.rolling_avg_7d])).toEqual([
      ['0.25', '0.25'],
      ['10', '5.125'],
      ['0.5', '3.58333333333333333333'],
      ['0.33333333333333333333', '2.77083333333333333333'],
      [null, '2.77083333333333333333'],
    ]);
  });
});

describe('created_at shows every refresh', () => {
  test('a full refresh of unchanged data stamps every row with its own time; changed_at stays', async () => {
    await loadFresh(path.join(projectRoot, 'data', 'loans.csv'));
    const first = await rebuild();
    const second = await rebuild();
    const stampsOf = (rows: PublishedRow[], column: 'created_at' | 'changed_at') =>
      new Set(rows.map((row) => row[column].getTime()));
    expect(stampsOf(first, 'created_at').size).toBe(1);
    expect(stampsOf(second, 'created_at').size).toBe(1);
    expect([...stampsOf(second, 'created_at')][0]).toBeGreaterThan([...stampsOf(first, 'created_at')][0]!);
    expect(second.map((row) => row.changed_at)).toEqual(first.map((row) => row.changed_at));
  });
});

describe('the SQL files by hand', () => {
  test('run in order in a fresh session, as plan.sql says, they refresh the table and print no notice', async () => {
    await loadFresh(path.join(projectRoot, 'data', 'loans.csv'));
    const client = new pg.Client(db.config);
    const notices: string[] = [];
    client.on('notice', (notice) => notices.push(notice.message ?? ''));
    await client.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      for (const file of ['plan', 'build', 'publish', 'audit', 'record']) {
        await client.query(readSql(`jobs/default_liquidation_rolling_avg_hist/${file}.sql`));
      }
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
    expect(notices).toEqual([]);
    const { rows } = await db.pool.query<PublishedRow>(
      'SELECT * FROM default_liquidation_rolling_avg_hist ORDER BY repayment_date',
    );
    expect(differences(rows, reference(path.join(projectRoot, 'data', 'loans.csv'), {}))).toEqual([]);
  });
});

describe('the audit checks the rows as published, inside the transaction', () => {
  const SQL = 'jobs/default_liquidation_rolling_avg_hist';

  /** plan, build and publish in a transaction, then `spoil`, then what audit.sql returns; rolled back. */
  async function auditAfter(mode: 'full' | 'incremental', spoil: string): Promise<unknown[]> {
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await client.query("SELECT set_config('job.mode', $1, true)", [mode]);
      for (const file of ['plan', 'build', 'publish']) await querySqlFile(client, `${SQL}/${file}.sql`);
      const plan = await client.query('SELECT mode FROM pg_temp.default_liquidation_rolling_avg_hist_plan');
      expect(plan.rows).toEqual([{ mode }]);
      await client.query(spoil);
      return (await querySqlFile(client, `${SQL}/audit.sql`)).rows;
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  }

  beforeAll(async () => {
    await loadFresh(path.join(FIXTURES, 'first_days.csv'));
    await rebuild();
  });

  test('as published, the rows pass', async () => {
    expect(await auditAfter('full', 'SELECT 1')).toEqual([]);
  });

  test('a day missing from what was written fails the row count', async () => {
    const spoil = "DELETE FROM default_liquidation_rolling_avg_hist WHERE repayment_date = '2021-08-30'";
    expect(await auditAfter('full', spoil)).toEqual([
      { check: 'row count', problem: '7 rows written for the days covered, but loans has 8 there' },
    ]);
  });

  test('a ratio that is NULL on a day with defaults (or set on one without) is listed by day', async () => {
    const spoil = `UPDATE default_liquidation_rolling_avg_hist
                   SET liquidation_to_default_ratio = CASE WHEN defaults = 0 THEN 1 END
                   WHERE repayment_date IN ('2021-08-29', '2021-09-01')`;
    expect(await auditAfter('full', spoil)).toEqual([
      { check: 'ratio NULL exactly when defaults = 0', problem: '2021-08-29: defaults 2, ratio ' },
      { check: 'ratio NULL exactly when defaults = 0', problem: '2021-09-01: defaults 0, ratio 1' },
    ]);
  });

  test('an incremental refresh counts the days of its ranges only', async () => {
    // A new day's window reaches the 6 days after it: 2021-09-10 … 2021-09-16, of which loans has 1.
    await db.pool.query(
      "INSERT INTO loans (repayment_date, number_of_loans, defaults, liquidations) VALUES ('2021-09-10', 10, 2, 3)",
    );
    try {
      const spoil = "DELETE FROM default_liquidation_rolling_avg_hist WHERE repayment_date = '2021-09-10'";
      expect(await auditAfter('incremental', spoil)).toEqual([
        { check: 'row count', problem: '0 rows written for the days covered, but loans has 1 there' },
      ]);
      expect(await auditAfter('incremental', 'SELECT 1')).toEqual([]);
    } finally {
      await db.pool.query("DELETE FROM loans WHERE repayment_date = '2021-09-10'");
      await rebuild();
    }
  });
});
