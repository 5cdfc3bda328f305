import { randomBytes } from 'node:crypto';
import { createPool, type Pool } from '../lib/db';
import { createTestDatabase, type TestDatabase } from './support/database';
import { HEADER, tempDir, writeFile } from './support/files';
import { killStarted, startNode } from './support/processes';
import { pgEnvironment } from './support/server';

/**
 * Least privilege: the loader and the scheduler run as users of the loans_loader and
 * loans_scheduler roles (made by sql/migrations/0005_roles.sql), a person in Adminer as one of
 * loans_reader; each can do its work and nothing else.
 */

let db: TestDatabase;
const suffix = randomBytes(3).toString('hex');
const users = { loader: `loader_${suffix}`, scheduler: `scheduler_${suffix}`, reader: `reader_${suffix}` };
const pools: Pool[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  for (const [kind, name] of Object.entries(users)) {
    // Test code: the names are ours, and CREATE ROLE takes no bound parameters.
    await db.pool.query(`CREATE ROLE ${name} LOGIN PASSWORD 'pw' IN ROLE loans_${kind}`);
  }
});
afterAll(async () => {
  killStarted();
  await Promise.all(pools.map((pool) => pool.end()));
  await db.drop();
  const admin = createPool({ ...db.config, database: 'postgres' }, 'cleanup', { max: 1 });
  for (const name of Object.values(users)) await admin.query(`DROP ROLE IF EXISTS ${name}`);
  await admin.end();
});

const as = (user: string) => ({ ...db.config, user, password: 'pw' });
function poolAs(user: string): Pool {
  const pool = createPool(as(user), 'privileges test', { max: 1 });
  pools.push(pool);
  return pool;
}
async function refused(pool: Pool, sql: string): Promise<string> {
  const error = await pool.query(sql).then(
    () => undefined,
    (caught: unknown) => caught as { code?: string; message: string },
  );
  expect(error?.code).toBe('42501');
  return error!.message;
}

test('the loader loads as a loans_loader user, and cannot touch what the scheduler builds', async () => {
  const file = writeFile(tempDir('privileges-'), 'days.csv', [HEADER, '2021-09-01,10,2,6', '2021-09-02,10,x,1']);
  const loaded = startNode(['dist/loader/main.js', file], { ...pgEnvironment(as(users.loader)) });
  expect(await loaded.exited).toBe(0);
  const pool = poolAs(users.loader);
  expect(await refused(pool, 'DELETE FROM default_liquidation_rolling_avg_hist')).toMatch(/permission denied/);
  expect(await refused(pool, 'SELECT * FROM job_runs')).toMatch(/permission denied/);
  expect(await refused(pool, 'DROP TABLE loans')).toMatch(/must be owner/);
});

test('the scheduler runs the workflow as a loans_scheduler user, and cannot write loans', async () => {
  const ran = startNode(['dist/scheduler/cli.js', 'default_liquidation_rolling_avg_hist'], {
    ...pgEnvironment(as(users.scheduler)),
  });
  expect(await ran.exited).toBe(0);
  expect((await db.pool.query('SELECT count(*)::int AS n FROM default_liquidation_rolling_avg_hist')).rows[0].n).toBe(
    1,
  );
  const pool = poolAs(users.scheduler);
  expect(await refused(pool, "INSERT INTO loans VALUES ('2021-01-01', 1, 0, 0)")).toMatch(/permission denied/);
  expect(await refused(pool, 'DELETE FROM loads')).toMatch(/permission denied/);
});

test('the scheduler refreshes incrementally as a loans_scheduler user: it consumes loans_changes and records its state', async () => {
  await db.pool.query("INSERT INTO loans VALUES ('2021-09-03', 10, 5, 5)");
  const ran = startNode(
    ['dist/scheduler/cli.js', 'default_liquidation_rolling_avg_hist', '--param', 'mode=incremental'],
    { ...pgEnvironment(as(users.scheduler)) },
  );
  expect(await ran.exited).toBe(0);
  expect(ran.output()).not.toMatch(/full rebuild instead/);
  const { rows } = await db.pool.query('SELECT repayment_date FROM default_liquidation_rolling_avg_hist ORDER BY 1');
  expect(rows.map((r) => r.repayment_date)).toEqual(['2021-09-01', '2021-09-03']);
  expect((await db.pool.query('SELECT mode FROM default_liquidation_rolling_avg_hist_state')).rows).toEqual([
    { mode: 'incremental' },
  ]);
  expect((await db.pool.query('SELECT count(*)::int AS n FROM loans_changes')).rows[0].n).toBe(0);
});

test('a loans_reader user reads every table and writes none', async () => {
  const pool = poolAs(users.reader);
  for (const table of [
    'loans',
    'loads',
    'load_rejects',
    'default_liquidation_rolling_avg_hist',
    'job_runs',
    'task_runs',
    'default_liquidation_rolling_avg_hist_state',
  ]) {
    await expect(pool.query(`SELECT count(*) FROM ${table}`)).resolves.toBeDefined();
  }
  expect(await refused(pool, "INSERT INTO loans VALUES ('2021-01-01', 1, 0, 0)")).toMatch(/permission denied/);
  expect(await refused(pool, 'DELETE FROM default_liquidation_rolling_avg_hist')).toMatch(/permission denied/);
});

test('a user that may not change the schema gets a clear message while migrations are pending', async () => {
  await db.pool.query("DELETE FROM schema_migrations WHERE name = '0005_roles.sql'");
  try {
    const loaded = startNode(['dist/loader/main.js', 'data/loans.csv'], { ...pgEnvironment(as(users.loader)) });
    expect(await loaded.exited).toBe(2);
    expect(loaded.stderr()).toMatch(
      /migrations are pending and this database user may not apply them .*npm run migrate/,
    );
  } finally {
    const migrated = startNode(['dist/lib/migrateMain.js'], { ...pgEnvironment(db.config) });
    expect(await migrated.exited).toBe(0);
  }
});
