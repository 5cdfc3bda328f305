import { chmodSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPool } from '../lib/db';
import { Scheduler } from '../scheduler/scheduler';
import { defineWorkflow } from '../scheduler/workflow';
import { createTestDatabase, type TestDatabase } from './support/database';
import { HEADER, tempDir, writeFile, writeManyDays } from './support/files';
import { freePort } from '../lib/embeddedPostgres';
import { captureLogger } from './support/logs';
import { RestartableServer } from './support/postgresServer';
import { killStarted, startNode, stopProcess, waitForLoaderCopy, waitUntil } from './support/processes';
import { pgEnvironment } from './support/server';

/** Faults: the database late, restarting, a process killed or stopped mid-run, a slow job. */

afterAll(killStarted);

// The rolling average, every second here, is what these tests watch. api_load, hourly, runs once
// at start too and fails (no ads API here); a run it had going when the database went away stays
// 'running' until its next run, an hour later, marks it abandoned (docs/workflows.md, "What a run guarantees").
const ROLLING_AVERAGE = 'default_liquidation_rolling_avg_hist';
const runLine = new RegExp(` job=${ROLLING_AVERAGE} run=[0-9a-f]{12} status=(succeeded|failed) `, 'g');
const runStatuses = (log: string): string[] => [...log.matchAll(runLine)].map((m) => m[1]!);

test('the database comes up late, then restarts: the loader and the scheduler wait, survive, and carry on', async () => {
  const dir = tempDir('restart-');
  chmodSync(dir, 0o755); // as root, the server runs as 'postgres'
  const server = new RestartableServer(path.join(dir, 'pgdata'), await freePort());
  const env = { ...pgEnvironment(server.database), DB_WAIT_TIMEOUT: '60', SHUTDOWN_TIMEOUT: '2' };
  const cronLog = path.join(dir, 'cron.log');
  const log = (): string => (existsSync(cronLog) ? readFileSync(cronLog, 'utf8') : '');

  // Both start before the database exists.
  const loader = startNode(['dist/loader/main.js', 'data/loans.csv'], env);
  const scheduler = startNode(['dist/scheduler/main.js'], { ...env, CRON_SCHEDULE: '* * * * * *', CRON_LOG: cronLog });
  await waitUntil(
    () => loader.output().includes('waiting for database') && log().includes('waiting for database'),
    15_000,
    scheduler,
  );
  await server.start();
  expect(await loader.exited).toBe(0);
  await waitUntil(() => runStatuses(log()).includes('succeeded'), 30_000, scheduler);

  // The database goes away: runs fail and are logged; the scheduler stays up.
  await server.stop();
  const failedBefore = runStatuses(log()).filter((s) => s === 'failed').length;
  await waitUntil(() => runStatuses(log()).filter((s) => s === 'failed').length > failedBefore, 15_000, scheduler);
  expect(scheduler.child.exitCode).toBeNull();

  // It comes back: the next ticks succeed again.
  await server.start();
  const succeededBefore = runStatuses(log()).filter((s) => s === 'succeeded').length;
  await waitUntil(
    () => runStatuses(log()).filter((s) => s === 'succeeded').length > succeededBefore,
    30_000,
    scheduler,
  );

  const stopped = await stopProcess(scheduler, 'SIGTERM');
  expect(stopped.code).toBe(0);
  expect(stopped.ms).toBeLessThan(10_000);
  const pool = createPool({ ...server.database }, 'check');
  try {
    const runs = await pool.query(
      'SELECT status, count(*)::int AS n FROM job_runs WHERE job = $1 GROUP BY status ORDER BY status',
      [ROLLING_AVERAGE],
    );
    // Runs that failed while the database was down could not be recorded there; none is left "running".
    expect(runs.rows.map((r) => r.status)).not.toContain('running');
    expect((await pool.query('SELECT count(*)::int AS n FROM default_liquidation_rolling_avg_hist')).rows[0].n).toBe(
      620,
    );
  } finally {
    await pool.end();
    await server.stop();
  }
});

describe('against the shared test server', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  test('the loader killed (SIGKILL) in the middle of a large file leaves loans unchanged; the next load works', async () => {
    const dir = tempDir('kill-');
    expect(
      await startNode(
        ['dist/loader/main.js', writeFile(dir, 'small.csv', [HEADER, '2021-01-01,5,1,1'])],
        pgEnvironment(db.config),
      ).exited,
    ).toBe(0);
    const before = (await db.pool.query('SELECT count(*)::int AS n, max(load_id)::int AS last FROM loans')).rows[0];
    const big = writeManyDays(dir, 'big.csv', 1_500_000);
    const loader = startNode(['dist/loader/main.js', big], pgEnvironment(db.config));
    await waitForLoaderCopy(db.pool, loader);
    loader.child.kill('SIGKILL');
    await loader.exited;
    // The server notices the dead connection and rolls its transaction back.
    await waitUntil(async () => {
      const { rowCount } = await db.pool.query(
        "SELECT 1 FROM pg_stat_activity WHERE application_name = 'loader' AND datname = current_database()",
      );
      return rowCount === 0;
    }, 10_000);
    expect((await db.pool.query('SELECT count(*)::int AS n, max(load_id)::int AS last FROM loans')).rows[0]).toEqual(
      before,
    );
    expect((await db.pool.query('SELECT count(*)::int AS n FROM load_rejects')).rows[0].n).toBe(0);
    const again = startNode(
      ['dist/loader/main.js', writeFile(dir, 'next.csv', [HEADER, '2021-01-02,5,1,1'])],
      pgEnvironment(db.config),
    );
    expect(await again.exited).toBe(0);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM loans')).rows[0].n).toBe(before.n + 1);
  });

  test('SIGTERM during a run: the run is cancelled and recorded, and the scheduler exits 0 within 10 s', async () => {
    const cronLog = path.join(tempDir('sigterm-'), 'cron.log');
    // Hold loans locked so that the scheduler's first run waits in its plan (for its own lock on loans).
    const blocker = await db.pool.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE loans IN ACCESS EXCLUSIVE MODE');
      const scheduler = startNode(['dist/scheduler/main.js'], {
        ...pgEnvironment(db.config),
        CRON_LOG: cronLog,
        SHUTDOWN_TIMEOUT: '2',
      });
      await waitUntil(
        async () => {
          const { rowCount } = await db.pool.query(
            "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'scheduler' AND wait_event_type = 'Lock'",
          );
          return (rowCount ?? 0) > 0;
        },
        20_000,
        scheduler,
      );
      const stopped = await stopProcess(scheduler, 'SIGTERM');
      expect(stopped.code).toBe(0);
      expect(stopped.ms).toBeLessThan(10_000);
      // The other workflows' start-up runs (api_load: no API here; ads_archive: nothing to archive) do not wait for loans.
      const { rows } = await db.pool.query(
        "SELECT status, error FROM job_runs WHERE trigger = 'startup' AND job = $1",
        [ROLLING_AVERAGE],
      );
      expect(rows).toEqual([{ status: 'failed', error: 'plan: cancelled: the scheduler is shutting down' }]);
      expect(readFileSync(cronLog, 'utf8')).toMatch(
        /status=failed .*error=plan: cancelled: the scheduler is shutting down/,
      );
    } finally {
      await blocker.query('ROLLBACK');
      blocker.release();
    }
  });

  test('a job slower than its schedule: ticks are skipped and logged, runs never overlap', async () => {
    const { logger, entries } = captureLogger();
    const slow = defineWorkflow({
      name: 'slower_than_its_schedule',
      description: 'takes 2.2 s, scheduled every second',
      schedule: '* * * * * *',
      params: {},
      tasks: ({ fn }) => ({ sleep: fn('sleep', () => sleep(2200)) }),
    });
    const scheduler = new Scheduler(db.pool, [slow], logger);
    scheduler.start();
    await sleep(5500);
    await scheduler.stop(5000);
    const { rows } = await db.pool.query<{ started: Date; finished: Date }>(
      "SELECT started_at AS started, finished_at AS finished FROM job_runs WHERE job = 'slower_than_its_schedule' ORDER BY started_at",
    );
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < rows.length; i += 1)
      expect(rows[i]!.started.getTime()).toBeGreaterThanOrEqual(rows[i - 1]!.finished.getTime());
    expect(
      entries.filter((e) => e.status === 'skipped' && String(e.message).includes('previous run is still going')).length,
    ).toBeGreaterThanOrEqual(2);
  });
});
