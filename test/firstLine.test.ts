import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createPool } from '../lib/db';
import { createTestDatabase, type TestDatabase } from './support/database';
import { HEADER, tempDir, writeFile } from './support/files';
import { killStarted, startNode, stopProcess, waitUntil } from './support/processes';
import { pgEnvironment, testServer } from './support/server';

// The test server's host as a regular expression (localhost, or 127.0.0.1 against an external server).
const HOST = testServer().host.replace(/\./g, '\\.');

/**
 * Every command says first which database it uses and where that setting came from, never with
 * the password; the read-only ones create nothing (issue 2).
 */

let db: TestDatabase;
let empty: TestDatabase;
const dir = tempDir('first-line-');
// Test code: the name is ours, and CREATE ROLE takes no bound parameters.
const user = `first_line_${randomBytes(3).toString('hex')}`;
// Characters a URL must escape, so that an escaped copy of it would be caught too.
const password = `pw: it's @${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  db = await createTestDatabase();
  empty = await createTestDatabase({ empty: true });
  await db.pool.query(`CREATE ROLE ${user} LOGIN SUPERUSER PASSWORD '${password.replace(/'/g, "''")}'`);
});
afterAll(async () => {
  killStarted();
  await db.drop();
  await empty.drop();
  const admin = createPool({ ...db.config, database: 'postgres' }, 'cleanup', { max: 1 });
  await admin.query(`DROP ROLE IF EXISTS ${user}`);
  await admin.end();
});

async function run(args: string[], env: Record<string, string>) {
  const running = startNode(args, { DB_WAIT_TIMEOUT: '5', CRON_LOG: path.join(dir, 'cron.log'), ...env });
  return { code: await running.exited, output: running.output(), stderr: running.stderr() };
}

const firstLine = (output: string): string => output.split('\n')[0]!;

test('load, migrate, job and history name their database first, and the password nowhere', async () => {
  const env = { ...pgEnvironment({ ...db.config, user, password }) };
  const file = writeFile(dir, 'days.csv', [HEADER, '2021-08-28,10,2,6']);
  const where = `host=${db.config.host} port=${db.config.port} database=${db.config.database} user=${user}`;
  const from = 'from="the PG* variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE; defaults for the rest)"';
  for (const args of [
    ['dist/loader/main.js', file],
    ['dist/lib/migrateMain.js'],
    ['dist/scheduler/cli.js', 'default_liquidation_rolling_avg_hist'],
    ['dist/scheduler/cli.js', 'history'],
  ]) {
    const result = await run(args, env);
    expect({ args, code: result.code }).toEqual({ args, code: 0 });
    expect(firstLine(result.output)).toMatch(new RegExp(`INFO +\\w+ ${where} ${literal(from)} using this database$`));
    expect(result.output).not.toContain(password);
    expect(result.output).not.toContain(encodeURIComponent(password));
  }
});

test('the scheduler too, and its cron.log', async () => {
  const cronLog = path.join(dir, 'scheduler.log');
  const running = startNode(['dist/scheduler/main.js'], {
    DATABASE_URL: `postgresql://${user}:${encodeURIComponent(password)}@${db.config.host}:${db.config.port}/${db.config.database}`,
    CRON_LOG: cronLog,
  });
  await waitUntil(() => / run=[0-9a-f]{12} status=succeeded /.test(running.output()), 30_000, running);
  expect((await stopProcess(running)).code).toBe(0);
  expect(firstLine(running.output())).toMatch(
    new RegExp(
      `INFO +scheduler host=${HOST} port=\\d+ database=test_\\w+ user=${user} from=DATABASE_URL using this database$`,
    ),
  );
  for (const text of [running.output(), readFileSync(cronLog, 'utf8')]) {
    expect(text).not.toContain(password);
    expect(text).not.toContain(encodeURIComponent(password));
  }
});

test('history on a database without the schema says how to create it, exits 2 and creates nothing', async () => {
  const result = await run(['dist/scheduler/cli.js', 'history'], pgEnvironment(empty.config));
  expect(result.code).toBe(2);
  expect(result.stderr.trim().split('\n')).toEqual([
    expect.stringMatching(
      new RegExp(
        `ERROR +job failed error=database ${empty.config.database} on ${HOST}:\\d+ has no schema yet \\(.*relation "job_runs" does not exist.*\\): ` +
          'create it with npm run migrate \\(or npm start, for the embedded database\\)$',
      ),
    ),
  ]);
  const created = await empty.pool.query(
    "SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace",
  );
  expect(created.rows[0].n).toBe(0);
  expect((await empty.pool.query("SELECT to_regclass('schema_migrations') AS t")).rows[0].t).toBeNull();
});

test('list and --dry-run do not even connect', async () => {
  const offline = { ...pgEnvironment(db.config), PGPORT: '1' };
  const list = await run(['dist/scheduler/cli.js', 'list'], offline);
  expect(list.code).toBe(0);
  expect(list.output).toMatch(/^default_liquidation_rolling_avg_hist {2}schedule /);
  const dryRun = await run(['dist/scheduler/cli.js', 'default_liquidation_rolling_avg_hist', '--dry-run'], offline);
  expect(dryRun.code).toBe(0);
  expect(dryRun.output).not.toMatch(/using this database|waiting for database/);
});

/** text as a regular expression that matches it exactly. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
