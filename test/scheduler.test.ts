import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readConfig } from '../lib/config';
import { createPool, waitForDatabase } from '../lib/db';
import { DatabaseUnavailableError } from '../lib/errors';
import { loadFile } from '../loader/loadFile';
import { runWorkflow, type RunRequest } from '../scheduler/runWorkflow';
import { Scheduler } from '../scheduler/scheduler';
import { defineWorkflow, param, resolveParams, type Workflow } from '../scheduler/workflow';
import { defineWorkflows } from '../scheduler/workflows';
import { createTestDatabase, type TestDatabase } from './support/database';
import { FAILING_AUDIT_ERROR, withFailingAudit } from './support/failingAudit';
import { captureLogger } from './support/logs';
import { freePort } from '../lib/embeddedPostgres';

const rollingAverage = defineWorkflows(readConfig({}))[0]!;

/** A workflow of the tests' own: its build sleeps job.sleep_ms, and its audit fails when asked to. */
function makeTestJob(taskTimeoutMs = 10_000): Workflow {
  return defineWorkflow({
    name: 'test_job',
    description: 'sleeps, then appends one row to test_job_output',
    schedule: '* * * * * *',
    transaction: true,
    taskTimeoutMs,
    params: {
      sleep_ms: param.integer({ default: 0, min: 0, max: 60_000, description: 'how long the build sleeps' }),
      fail_audit: param.boolean({ default: false, description: 'make the audit fail' }),
    },
    tasks: ({ sql, audit, publish }) => ({
      build: sql('../test/fixtures/sql/test_job_build.sql'),
      audit: audit('../test/fixtures/sql/test_job_audit.sql', { after: ['build'] }),
      publish: publish('../test/fixtures/sql/test_job_publish.sql', { after: ['audit'] }),
    }),
  });
}
const testJob = makeTestJob();

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  await loadFile(db.pool, path.join(__dirname, 'fixtures', 'rolling', 'first_days.csv'), { strict: true });
});
afterAll(() => db.drop());
beforeEach(async () => {
  await db.pool.query('TRUNCATE job_runs CASCADE');
  await db.pool.query('DROP TABLE IF EXISTS test_job_output');
});

function request(job: Workflow, params: Record<string, string> = {}, extra: Partial<RunRequest> = {}): RunRequest {
  return { trigger: 'manual', params: resolveParams(job, params), ...extra };
}

async function jobRuns(): Promise<Record<string, unknown>[]> {
  return (await db.pool.query('SELECT * FROM job_runs ORDER BY started_at')).rows;
}

test('a run is recorded in job_runs and logged as started, then succeeded', async () => {
  const { logger, entries } = captureLogger();
  const outcome = await runWorkflow(db.pool, rollingAverage, request(rollingAverage), logger);
  expect(outcome).toMatchObject({ status: 'succeeded', rows: 8 });
  expect(await jobRuns()).toEqual([
    expect.objectContaining({
      run_id: outcome.runId,
      job: rollingAverage.name,
      trigger: 'manual',
      status: 'succeeded',
      rows: 8,
      params: { window_days: 7, include_current_day: true, mode: 'full' },
      error: null,
      finished_at: expect.any(Date),
    }),
  ]);
  // One line for the run's start and end, one per task between them; all with job and run.
  expect(entries.map((e) => [e.job, e.run, e.task, e.status])).toEqual([
    [rollingAverage.name, outcome.runId, undefined, 'started'],
    [rollingAverage.name, outcome.runId, 'plan', 'succeeded'],
    [rollingAverage.name, outcome.runId, 'build', 'succeeded'],
    [rollingAverage.name, outcome.runId, 'publish', 'succeeded'],
    [rollingAverage.name, outcome.runId, 'audit', 'succeeded'],
    [rollingAverage.name, outcome.runId, 'record', 'succeeded'],
    [rollingAverage.name, outcome.runId, undefined, 'succeeded'],
  ]);
  expect(entries.at(-1)).toMatchObject({ rows: 8, duration_ms: expect.any(Number) });
  const tasks = await db.pool.query(
    'SELECT task, attempt, status, rows FROM task_runs WHERE run_id = $1 ORDER BY started_at',
    [outcome.runId],
  );
  expect(tasks.rows).toEqual([
    { task: 'plan', attempt: 1, status: 'succeeded', rows: 0 },
    // build defines the view that publish reads: no rows of its own.
    { task: 'build', attempt: 1, status: 'succeeded', rows: 0 },
    { task: 'publish', attempt: 1, status: 'succeeded', rows: 8 },
    { task: 'audit', attempt: 1, status: 'succeeded', rows: 0 },
    // The entries of loans_changes it consumed: the load's.
    { task: 'record', attempt: 1, status: 'succeeded', rows: expect.any(Number) },
  ]);
});

test('a failed audit rolls back what publish wrote and fails the run with the reason', async () => {
  const { logger, entries } = captureLogger();
  await runWorkflow(db.pool, rollingAverage, request(rollingAverage), logger);
  const before = (await db.pool.query('SELECT * FROM default_liquidation_rolling_avg_hist ORDER BY 1')).rows;
  const failing = withFailingAudit(rollingAverage);

  const outcome = await runWorkflow(db.pool, failing, request(failing), logger);

  expect(outcome.status).toBe('failed');
  expect(outcome.error).toBe(FAILING_AUDIT_ERROR);
  // The audit checks the rows publish wrote, inside the run's transaction: they are rolled back.
  expect(outcome.tasks).toMatchObject({
    build: { status: 'succeeded' },
    publish: { status: 'succeeded', rows: 8 },
    audit: { status: 'failed' },
    record: { status: 'skipped', reason: 'audit failed' },
  });
  // What publish wrote was rolled back: the run wrote nothing.
  expect(outcome.rows).toBe(0);
  expect((await db.pool.query('SELECT * FROM default_liquidation_rolling_avg_hist ORDER BY 1')).rows).toEqual(before);
  expect((await jobRuns())[1]).toMatchObject({ status: 'failed', error: outcome.error });
  expect(entries.at(-1)).toMatchObject({ level: 'error', status: 'failed', error: outcome.error });
});

test('a tick that finds the previous run still going is skipped, not run alongside', async () => {
  const { logger, entries } = captureLogger();
  // The deployment's parameters (WORKFLOW_<NAME>_<PARAM>) make every scheduled run slow.
  const scheduler = new Scheduler(db.pool, [testJob], logger, { WORKFLOW_TEST_JOB_SLEEP_MS: '800' });
  const first = scheduler.tick(testJob, 'schedule', new Date('2026-01-01T00:00:00Z'));
  await sleep(100);
  const second = await scheduler.tick(testJob, 'schedule', new Date('2026-01-01T00:00:01Z'));
  expect(second).toMatchObject({ status: 'skipped', error: 'the previous run is still going' });
  expect(await first).toMatchObject({ status: 'succeeded' });
  expect(entries.filter((e) => e.status === 'skipped')).toEqual([
    expect.objectContaining({ job: 'test_job', scheduled_for: '2026-01-01T00:00:01.000Z' }),
  ]);
  expect((await db.pool.query('SELECT count(*)::int AS n FROM test_job_output')).rows[0].n).toBe(1);
});

test('the advisory lock keeps a second process from running the job at the same time', async () => {
  const { logger } = captureLogger();
  const holder = await db.pool.connect();
  try {
    await holder.query('SELECT pg_advisory_lock(hashtext($1))', ['job:test_job']);
    const outcome = await runWorkflow(db.pool, testJob, request(testJob), logger);
    expect(outcome).toMatchObject({
      status: 'skipped',
      error: 'another run of this workflow is still going (advisory lock held)',
    });
    expect(await jobRuns()).toEqual([]);
    await holder.query('SELECT pg_advisory_unlock(hashtext($1))', ['job:test_job']);
    expect(await runWorkflow(db.pool, testJob, request(testJob), logger)).toMatchObject({ status: 'succeeded' });
  } finally {
    holder.release();
  }
});

test('two scheduler replicas run each tick once between them', async () => {
  const { logger } = captureLogger();
  const otherPool = createPool(db.config, 'replica 2');
  try {
    const replicaA = new Scheduler(db.pool, [testJob], logger);
    const replicaB = new Scheduler(otherPool, [testJob], logger);
    for (let second = 0; second < 5; second += 1) {
      // Timers of two hosts fire a few milliseconds apart: the tick is the same second.
      const tick = new Date(Date.UTC(2026, 0, 1, 0, 0, second));
      const outcomes = await Promise.all([
        replicaA.tick(testJob, 'schedule', tick),
        replicaB.tick(testJob, 'schedule', new Date(tick.getTime() + 7)),
      ]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(['skipped', 'succeeded']);
    }
    // A replica that gets there after the other one finished finds the tick taken, too.
    const late = new Date(Date.UTC(2026, 0, 1, 0, 0, 4));
    expect(await replicaB.tick(testJob, 'schedule', late)).toMatchObject({
      status: 'skipped',
      error: 'this tick was already run by another scheduler',
    });
    const runs = await jobRuns();
    expect(runs).toHaveLength(5);
    expect(new Set(runs.map((r) => (r.scheduled_for as Date).toISOString())).size).toBe(5);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM test_job_output')).rows[0].n).toBe(5);
  } finally {
    await otherPool.end();
  }
});

test('a statement longer than the job timeout is cancelled on the server and the run fails', async () => {
  const { logger } = captureLogger();
  const quick = makeTestJob(200);
  const started = Date.now();
  const outcome = await runWorkflow(db.pool, quick, request(quick, { sleep_ms: '5000' }), logger);
  expect(Date.now() - started).toBeLessThan(3000);
  expect(outcome).toMatchObject({
    status: 'failed',
    error: 'build: timed out after 200 ms',
  });
  expect((await jobRuns())[0]).toMatchObject({ status: 'failed', error: outcome.error });
  const active = await db.pool.query(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()",
  );
  expect(active.rows[0].n).toBe(0);
});

test('stop() lets a run finish within the timeout', async () => {
  const { logger } = captureLogger();
  const scheduler = new Scheduler(db.pool, [testJob], logger);
  const run = scheduler.tick(testJob, 'manual');
  await sleep(50);
  await scheduler.stop(5000);
  expect(await run).toMatchObject({ status: 'succeeded' });
  expect((await jobRuns())[0]).toMatchObject({ status: 'succeeded' });
});

test('stop() cancels a run that outlasts the shutdown timeout, and records it', async () => {
  const { logger } = captureLogger();
  const scheduler = new Scheduler(db.pool, [testJob], logger, { WORKFLOW_TEST_JOB_SLEEP_MS: '20000' });
  const run = scheduler.tick(testJob, 'manual');
  await sleep(300);
  const started = Date.now();
  await scheduler.stop(300);
  expect(Date.now() - started).toBeLessThan(3000);
  const cancelled = 'build: cancelled: the scheduler is shutting down';
  expect(await run).toMatchObject({ status: 'failed', error: cancelled });
  expect((await jobRuns())[0]).toMatchObject({ status: 'failed', error: cancelled });
  const afterStop = await scheduler.tick(testJob, 'schedule', new Date());
  expect(afterStop).toMatchObject({ status: 'skipped', error: 'the scheduler is shutting down' });
});

test('a run whose process died is marked abandoned by the next run', async () => {
  const { logger } = captureLogger();
  await db.pool.query(
    "INSERT INTO job_runs (run_id, job, trigger, status, host, pid, logical_date) VALUES ('dead0000beef', 'test_job', 'manual', 'running', 'gone', 1, '2026-01-01')",
  );
  expect(await runWorkflow(db.pool, testJob, request(testJob), logger)).toMatchObject({ status: 'succeeded' });
  const dead = (await db.pool.query("SELECT status, error FROM job_runs WHERE run_id = 'dead0000beef'")).rows[0];
  expect(dead.status).toBe('failed');
  expect(dead.error).toMatch(/^abandoned/);
});

test('a run with the database down fails, is logged, and does not throw', async () => {
  const { logger, entries } = captureLogger();
  const deadPool = createPool({ ...db.config, port: await freePort() }, 'nowhere');
  try {
    const outcome = await runWorkflow(deadPool, testJob, request(testJob), logger);
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(/ECONNREFUSED/);
    expect(entries.at(-1)).toMatchObject({ level: 'error', status: 'failed', job: 'test_job', run: outcome.runId });
  } finally {
    await deadPool.end();
  }
});

test('the cron schedule runs the job on its ticks, after one run at start', async () => {
  const { logger } = captureLogger();
  const scheduler = new Scheduler(db.pool, [testJob], logger);
  scheduler.start();
  await sleep(2600);
  await scheduler.stop(5000);
  const runs = await jobRuns();
  expect(runs[0]).toMatchObject({ trigger: 'startup', status: 'succeeded', scheduled_for: null });
  const scheduled = runs.filter((r) => r.trigger === 'schedule');
  expect(scheduled.length).toBeGreaterThanOrEqual(2);
  for (const run of scheduled) {
    expect(run.status).toBe('succeeded');
    expect((run.scheduled_for as Date).getMilliseconds()).toBe(0);
  }
});

describe('waitForDatabase', () => {
  test('gives up after DB_WAIT_TIMEOUT with a message that says what to check', async () => {
    const { logger, entries } = captureLogger();
    const config = { ...db.config, port: await freePort() };
    const pool = createPool(config, 'nowhere');
    const started = Date.now();
    try {
      await expect(waitForDatabase(pool, config, 1200, logger)).rejects.toThrow(DatabaseUnavailableError);
      await expect(waitForDatabase(pool, config, 0, logger)).rejects.toThrow(
        /did not accept connections within 0 s .*check that it runs and that PGHOST\/PGPORT/,
      );
    } finally {
      await pool.end();
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(1200);
    expect(entries.filter((e) => e.message === 'waiting for database').length).toBeGreaterThanOrEqual(2);
  });

  test('fails at once on a wrong password', async () => {
    const { logger } = captureLogger();
    const config = { ...db.config, password: 'wrong' };
    const pool = createPool(config, 'bad password');
    const started = Date.now();
    try {
      await expect(waitForDatabase(pool, config, 30_000, logger)).rejects.toThrow(/check PGUSER, PGPASSWORD/);
    } finally {
      await pool.end();
    }
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

test('a connection killed in the middle of a run fails that run only; the next run succeeds', async () => {
  const { logger } = captureLogger();
  const run = runWorkflow(db.pool, testJob, request(testJob, { sleep_ms: '5000' }), logger);
  const admin = createPool(db.config, 'killer', { max: 1 });
  try {
    let killed = 0;
    for (let i = 0; i < 50 && killed === 0; i += 1) {
      await sleep(100);
      const result = await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(current_setting%' AND pid <> pg_backend_pid()",
      );
      killed = result.rowCount ?? 0;
    }
    expect(killed).toBe(1);
    const outcome = await run;
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(/terminat/i);
    // The task's connection died, not the run's: the failure is recorded with its reason.
    expect(await runWorkflow(db.pool, testJob, request(testJob), logger)).toMatchObject({ status: 'succeeded' });
    const runs = await jobRuns();
    expect(runs.map((r) => r.status)).toEqual(['failed', 'succeeded']);
    expect(runs[0]!.error).toMatch(/^build: .*terminating connection/);
  } finally {
    await admin.end();
  }
});
