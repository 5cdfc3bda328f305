import path from 'node:path';
import { readConfig } from '../lib/config';
import { loadFile } from '../loader/loadFile';
import { runWorkflow } from '../scheduler/runWorkflow';
import { resolveParams } from '../scheduler/workflow';
import { defineWorkflows } from '../scheduler/workflows';
import { createTestDatabase, type TestDatabase } from './support/database';
import { sqlBlockUnder } from './support/docs';
import { captureLogger } from './support/logs';

/** What readers see while the job publishes (docs/rolling-average.md, "How it publishes"). */

const job = defineWorkflows(readConfig({}))[0]!;
const { logger } = captureLogger();
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  await loadFile(db.pool, path.join(__dirname, 'fixtures', 'rolling', 'first_days.csv'), { strict: true });
});
afterAll(() => db.drop());

/** A rebuild after every day's numbers changed, so that it rewrites every row. */
async function publish(): Promise<void> {
  await db.pool.query('UPDATE loans SET number_of_loans = number_of_loans + 1');
  const outcome = await runWorkflow(db.pool, job, { trigger: 'manual', params: resolveParams(job) }, logger);
  expect(outcome.status).toBe('succeeded');
}

const SNAPSHOT = 'SELECT count(*)::int AS n, min(created_at) AS created_at FROM default_liquidation_rolling_avg_hist';

test('a REPEATABLE READ reader keeps seeing the version it started with, whole', async () => {
  await publish();
  const reader = await db.pool.connect();
  try {
    await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const before = (await reader.query(SNAPSHOT)).rows[0];
    expect(before.n).toBe(8);
    await publish();
    await publish();
    expect((await reader.query(SNAPSHOT)).rows[0]).toEqual(before);
    await reader.query('COMMIT');
    const after = (await reader.query(SNAPSHOT)).rows[0];
    expect(after.n).toBe(8);
    expect(after.created_at.getTime()).toBeGreaterThan(before.created_at.getTime());
  } finally {
    reader.release();
  }
});

test('readers polling during 100 publishes never see an empty or partial table, and never fail', async () => {
  await publish();
  let publishing = true;
  const seen: number[] = [];
  const readers = [0, 1].map(async () => {
    while (publishing) {
      const { rows } = await db.pool.query(
        'SELECT count(*)::int AS n, count(DISTINCT created_at)::int AS versions FROM default_liquidation_rolling_avg_hist',
      );
      seen.push(rows[0].n * 10 + rows[0].versions);
    }
  });
  for (let i = 0; i < 100; i += 1) await publish();
  publishing = false;
  await Promise.all(readers);
  expect(seen.length).toBeGreaterThan(100);
  // Always all 8 rows, all from one rebuild.
  expect(new Set(seen)).toEqual(new Set([81]));
});

test('the check by hand of docs/rolling-average.md, read from that file, agrees with the published table', async () => {
  await publish();
  const { rows } = await db.pool.query(sqlBlockUnder('docs/rolling-average.md', 'Check it by hand'));
  expect(rows).toHaveLength(8);
  for (const row of rows) expect(Number(row.by_hand)).toBeCloseTo(Number(row.rolling_avg_7d), 12);
});
