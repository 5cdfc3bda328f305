import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readConfig } from '../lib/config';
import { projectRoot } from '../lib/sqlFiles';
import { loadFile } from '../loader/loadFile';
import { runWorkflow } from '../scheduler/runWorkflow';
import { resolveParams } from '../scheduler/workflow';
import { defineWorkflows } from '../scheduler/workflows';
import { createTestDatabase, type TestDatabase } from './support/database';
import { HEADER, tempDir, writeFile } from './support/files';
import { parseFraction } from './support/fraction';
import { captureLogger } from './support/logs';
import { differences, writtenByRefresh, type PublishedRow } from './support/publishedTable';
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
  // created_at: the rows whose numbers changed carry the run's time; the others keep theirs.
  expect(outcome.rows).toBe(writtenByRefresh(before, after, { from, to: Date.now() }).written);
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
