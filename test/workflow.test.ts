import { setTimeout as sleep } from 'node:timers/promises';
import { readConfig } from '../lib/config';
import { createPool, type Pool } from '../lib/db';
import { loadFile } from '../loader/loadFile';
import { ConfigError } from '../lib/errors';
import { listWorkflows } from '../scheduler/cli';
import { planWorkflow } from '../scheduler/plan';
import { runWorkflow, type RunOutcome } from '../scheduler/runWorkflow';
import { GRACE_MS } from '../scheduler/executor';
import { Scheduler } from '../scheduler/scheduler';
import {
  checkDeploymentParams,
  defineWorkflow,
  param,
  resolveParams,
  WorkflowDefinitionError,
  type Workflow,
} from '../scheduler/workflow';
import { defineWorkflows } from '../scheduler/workflows';
import { createTestDatabase, type TestDatabase } from './support/database';
import { HEADER, tempDir, writeFile } from './support/files';
import { dailyLoanTotals, shareResolved } from './fixtures/workflows/dailyLoanTotals';
import { captureLogger } from './support/logs';

/** The workflow DSL and its executor, task by task, with an injected clock and database. */

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const CLOCK = new Date('2021-09-04T06:00:00Z');
const clock = (): Date => new Date(CLOCK);

async function run(workflow: Workflow, params: Record<string, string> = {}): Promise<RunOutcome> {
  const { logger } = captureLogger();
  return runWorkflow(
    db.pool,
    workflow,
    { trigger: 'manual', params: resolveParams(workflow, params), now: clock },
    logger,
  );
}

async function taskRuns(runId: string): Promise<string[]> {
  const { rows } = await db.pool.query(
    `SELECT task || coalesce('[' || item || ']', '') || '#' || attempt || ':' || status AS line
     FROM task_runs WHERE run_id = $1 ORDER BY started_at, task`,
    [runId],
  );
  return rows.map((r) => r.line);
}

describe('defining a workflow', () => {
  const base = { name: 'w', description: 'test', schedule: '* * * * *', params: {} };

  test.each([
    [
      'a cycle',
      () => ({
        a: { kind: 'x', describe: 'a', after: ['c'], run: async () => ({}) },
        b: { kind: 'x', describe: 'b', after: ['a'], run: async () => ({}) },
        c: { kind: 'x', describe: 'c', after: ['b'], run: async () => ({}) },
      }),
      'workflow w: tasks form a cycle: a -> c -> b -> a',
    ],
    [
      'an unknown dependency',
      () => ({ a: { kind: 'x', describe: 'a', after: ['nope', 'gone'], run: async () => ({}) } }),
      'workflow w: task a comes after unknown tasks nope, gone',
    ],
    ['no task', () => ({}), 'workflow w: it has no tasks'],
    [
      'a bad task name',
      () => ({ 'Bad Name': { kind: 'x', describe: 'a', run: async () => ({}) } }),
      'workflow w: task name "Bad Name" must be lower_snake_case',
    ],
  ])('refuses %s, naming it', (_what, tasks, message) => {
    expect(() => defineWorkflow({ ...base, tasks })).toThrow(new WorkflowDefinitionError(message));
  });

  test('refuses a bad schedule and a default outside its bounds, all at once', () => {
    expect(() =>
      defineWorkflow({
        ...base,
        schedule: 'every day',
        params: { n: param.integer({ default: 0, min: 1, max: 5, description: 'n' }) },
        tasks: ({ fn }) => ({ a: fn('a', () => 1) }),
      }),
    ).toThrow(
      /workflow w: schedule "every day" is not a cron expression; parameter n: default 0: expected a whole number from 1 to 5/,
    );
  });

  test('orders the tasks after their dependencies', () => {
    const workflow = defineWorkflow({
      ...base,
      tasks: ({ fn }) => ({
        publish: fn('p', () => 1, { after: ['audit'] }),
        audit: fn('a', () => 1, { after: ['build'] }),
        build: fn('b', () => 1),
      }),
    });
    expect(workflow.order).toEqual(['build', 'audit', 'publish']);
  });

  test('without a schedule it runs only when asked: the scheduler neither starts it nor ticks it', async () => {
    const workflow = defineWorkflow({
      name: 'w',
      description: 'test',
      params: {},
      tasks: ({ fn }) => ({ only: fn('o', () => 1) }),
    });
    expect(workflow.schedule).toBeUndefined();
    expect(listWorkflows([workflow])).toEqual(['w  no schedule: runs only when asked  — test']);
    const run = { id: 'x', workflow: 'w', trigger: 'manual' as const, logicalDate: '2021-09-04' };
    expect(planWorkflow(workflow, {}, run)[1]).toBe('  schedule: none, runs only when asked; up to 2 tasks at once');
    const { logger, entries } = captureLogger();
    const scheduler = new Scheduler(db.pool, [workflow], logger);
    scheduler.start();
    await sleep(200);
    await scheduler.stop(1000);
    expect(entries).toEqual([]);
    expect((await db.pool.query("SELECT 1 FROM job_runs WHERE job = 'w'")).rowCount).toBe(0);
  });
});

describe('parameters', () => {
  const workflow = dailyLoanTotals;

  test('defaults, then the deployment environment, then the command line', () => {
    expect(resolveParams(workflow)).toEqual({ days: 7, notify: false });
    expect(resolveParams(workflow, {}, { WORKFLOW_DAILY_LOAN_TOTALS_DAYS: '3' })).toEqual({ days: 3, notify: false });
    expect(resolveParams(workflow, { days: '5' }, { WORKFLOW_DAILY_LOAN_TOTALS_DAYS: '3' })).toEqual({
      days: 5,
      notify: false,
    });
  });

  test('an unknown or invalid parameter is an error naming each, and nothing runs', () => {
    expect(() =>
      resolveParams(workflow, { days: '0', colour: 'red' }, { WORKFLOW_DAILY_LOAN_TOTALS_NOTIFY: 'yes' }),
    ).toThrow(
      new ConfigError(
        'workflow daily_loan_totals: unknown parameter colour (known: days, notify); days=0: expected a whole number from 1 to 366; ' +
          'WORKFLOW_DAILY_LOAN_TOTALS_NOTIFY=yes: expected true or false',
      ),
    );
  });
});

describe('the rolling average as a workflow', () => {
  const rollingAverage = defineWorkflows(readConfig({}))[0]!;

  test('the plan (dry run) lists the tasks in order with the resolved parameters', () => {
    const plan = planWorkflow(rollingAverage, resolveParams(rollingAverage, { window_days: '3' }), {
      id: 'x',
      workflow: rollingAverage.name,
      trigger: 'manual',
      logicalDate: '2021-09-04',
    });
    expect(plan).toEqual([
      'workflow default_liquidation_rolling_avg_hist: Liquidation-to-default ratio per day and its rolling average over a calendar window',
      '  schedule: * * * * * (UTC); all tasks in one transaction',
      '  parameters: window_days=3, include_current_day=true, mode=full',
      '  logical date: 2021-09-04',
      '  tasks, in order:',
      '  1. plan — which days to recompute: sql/jobs/default_liquidation_rolling_avg_hist/plan.sql [timeout 50000 ms]: runs',
      '  2. build — sql/jobs/default_liquidation_rolling_avg_hist/build.sql [after plan; timeout 50000 ms]: runs',
      '  3. publish — publish sql/jobs/default_liquidation_rolling_avg_hist/publish.sql [after build; timeout 50000 ms]: runs',
      '  4. audit — audit sql/jobs/default_liquidation_rolling_avg_hist/audit.sql [after publish; timeout 50000 ms]: runs',
      '  5. record — sql/jobs/default_liquidation_rolling_avg_hist/record.sql [after audit; timeout 50000 ms]: runs',
    ]);
  });

  test('runs plan, build, publish, audit and record, each recorded, with the logical date of the injected clock', async () => {
    const file = writeFile(tempDir(), 'days.csv', [HEADER, '2021-09-01,10,2,6', '2021-09-03,10,4,4']);
    await loadFile(db.pool, file, { strict: true });
    const outcome = await run(rollingAverage);
    expect(outcome).toMatchObject({
      status: 'succeeded',
      rows: 2,
      tasks: {
        plan: { status: 'succeeded', value: { mode: 'full', full_because: null } },
        build: { status: 'succeeded', rows: 0 },
        publish: { status: 'succeeded', rows: 2 },
        audit: { status: 'succeeded' },
      },
    });
    expect(await taskRuns(outcome.runId)).toEqual([
      'plan#1:succeeded',
      'build#1:succeeded',
      'publish#1:succeeded',
      'audit#1:succeeded',
      'record#1:succeeded',
    ]);
    const { rows } = await db.pool.query('SELECT logical_date::text AS day FROM job_runs WHERE run_id = $1', [
      outcome.runId,
    ]);
    expect(rows[0].day).toBe('2021-09-04');
  });
});

describe('conditions, fan-out, retries, timeouts and failures', () => {
  test('the workflow of docs/workflows.md: fan-out over days, one recorded execution per day, a skipped condition', async () => {
    await db.pool.query('TRUNCATE loans, load_rejects, loads CASCADE');
    await loadFile(db.pool, writeFile(tempDir(), 'days.csv', [HEADER, '2021-09-03,10,2,6', '2021-09-04,8,4,4']), {
      strict: true,
    });
    const outcome = await run(dailyLoanTotals, { days: '3' });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.tasks!.report).toMatchObject({ status: 'skipped', reason: 'its condition (when) is false' });
    expect(outcome.tasks!.compute).toMatchObject({ status: 'succeeded', attempts: 3, value: [1, 0.8, null] });
    expect((await taskRuns(outcome.runId)).filter((line) => line.startsWith('compute'))).toEqual([
      'compute[2021-09-04]#1:succeeded',
      'compute[2021-09-03]#1:succeeded',
      'compute[2021-09-02]#1:succeeded',
    ]);
    const { rows } = await db.pool.query(
      'SELECT day::text, share_resolved::float AS share FROM daily_loan_totals ORDER BY day',
    );
    expect(rows).toEqual([
      { day: '2021-09-02', share: null },
      { day: '2021-09-03', share: 0.8 },
      { day: '2021-09-04', share: 1 },
    ]);
  });

  test('a task retried after failures: each attempt is recorded, the run succeeds', async () => {
    let calls = 0;
    const workflow = defineWorkflow({
      name: 'flaky',
      description: 'fails twice, then works',
      schedule: '* * * * *',
      params: {},
      tasks: ({ fn }) => ({
        flaky: fn(
          'flaky call',
          () => {
            calls += 1;
            if (calls < 3) throw new Error(`attempt ${calls} failed`);
            return 'ok';
          },
          { retries: 3, retryDelayMs: 20 },
        ),
      }),
    });
    const outcome = await run(workflow);
    expect(outcome).toMatchObject({
      status: 'succeeded',
      tasks: { flaky: { status: 'succeeded', attempts: 3, value: 'ok' } },
    });
    expect(await taskRuns(outcome.runId)).toEqual(['flaky#1:retried', 'flaky#2:retried', 'flaky#3:succeeded']);
  });

  test('branching: the branch whose condition is false is skipped with everything after it', async () => {
    const workflow = defineWorkflow({
      name: 'branches',
      description: 'full or incremental',
      schedule: '* * * * *',
      params: { full: param.boolean({ default: false, description: 'full rebuild' }) },
      tasks: ({ fn }) => ({
        count: fn('count', () => 42),
        full: fn('full', () => 'full', { after: ['count'], when: (ctx) => ctx.params.full }),
        incremental: fn('incremental', () => 'incremental', {
          after: ['count'],
          when: (ctx) => !ctx.params.full && (ctx.upstream.count as number) > 10,
        }),
        after_full: fn('after full', () => 'x', { after: ['full'] }),
      }),
    });
    const { logger, entries } = captureLogger();
    const request = { trigger: 'manual' as const, params: resolveParams(workflow), now: clock };
    const outcome = await runWorkflow(db.pool, workflow, request, logger);
    expect(outcome.status).toBe('succeeded');
    // A false condition is a branch taken (info); a task skipped because the one before it was, a warning.
    const skipped = entries.filter((entry) => entry.status === 'skipped');
    expect(Object.fromEntries(skipped.map((entry) => [entry.task, entry.level]))).toEqual({
      full: 'info',
      after_full: 'warn',
    });
    expect(Object.fromEntries(Object.entries(outcome.tasks!).map(([k, v]) => [k, v.status]))).toEqual({
      count: 'succeeded',
      full: 'skipped',
      incremental: 'succeeded',
      after_full: 'skipped',
    });
    expect(outcome.tasks!.after_full!.reason).toBe('full was skipped');
    const plan = planWorkflow(workflow, resolveParams(workflow), {
      id: 'x',
      workflow: 'branches',
      trigger: 'manual',
      logicalDate: '2021-09-04',
    });
    expect(plan.slice(5)).toEqual([
      '  1. count — count [timeout 60000 ms]: runs',
      '  2. full — full [after count; timeout 60000 ms]: SKIPPED (its condition is false)',
      '  3. incremental — incremental [after count; timeout 60000 ms]: runs if its condition, decided at run time, is true',
      '  4. after_full — after full [after full; timeout 60000 ms]: SKIPPED (it comes after full, which is skipped)',
    ]);
  });

  test('a timeout cancels the query on the server; a failure skips what comes after; independent tasks run side by side', async () => {
    const spans: Record<string, [number, number]> = {};
    const timed = (name: string) => async () => {
      const start = Date.now();
      await sleep(300);
      spans[name] = [start, Date.now()];
      return name;
    };
    const workflow = defineWorkflow({
      name: 'mixed',
      description: 'a slow query, a failure, two parallel tasks',
      schedule: '* * * * *',
      concurrency: 2,
      params: {},
      tasks: ({ fn }) => ({
        left: fn('left', timed('left')),
        right: fn('right', timed('right')),
        slow: fn('a long query', (ctx) => ctx.db.query('SELECT pg_sleep(30)'), {
          after: ['left', 'right'],
          timeoutMs: 300,
        }),
        after_slow: fn('after slow', () => 1, { after: ['slow'] }),
      }),
    });
    const started = Date.now();
    const outcome = await run(workflow);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toBe('slow: timed out after 300 ms');
    expect(outcome.tasks).toMatchObject({
      left: { status: 'succeeded' },
      right: { status: 'succeeded' },
      slow: { status: 'failed', reason: 'timed out after 300 ms' },
      after_slow: { status: 'skipped', reason: 'slow failed' },
    });
    // left and right overlapped in time.
    expect(spans.left![0]).toBeLessThan(spans.right![1]);
    expect(spans.right![0]).toBeLessThan(spans.left![1]);
    const active = await db.pool.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query = 'SELECT pg_sleep(30)'",
    );
    expect(active.rows[0].n).toBe(0);
    const { rows } = await db.pool.query('SELECT status, error FROM job_runs WHERE run_id = $1', [outcome.runId]);
    expect(rows[0]).toEqual({ status: 'failed', error: 'slow: timed out after 300 ms' });
  });

  test('in a transaction workflow a failure undoes every task, and a retried attempt leaves no trace', async () => {
    await db.pool.query('CREATE TABLE IF NOT EXISTS tx_rows (n int)');
    await db.pool.query('TRUNCATE tx_rows');
    let attempts = 0;
    const make = (failAtEnd: boolean) =>
      defineWorkflow({
        name: 'in_one_transaction',
        description: 'all or nothing',
        schedule: '* * * * *',
        transaction: true,
        params: {},
        tasks: ({ fn }) => ({
          first: fn(
            'insert, fail once',
            async (ctx) => {
              await ctx.db.query('INSERT INTO tx_rows VALUES (1)');
              attempts += 1;
              if (attempts === 1) throw new Error('first attempt fails after its insert');
            },
            { retries: 1, retryDelayMs: 10 },
          ),
          last: fn(
            'maybe fail',
            () => {
              if (failAtEnd) throw new Error('the last task fails');
            },
            { after: ['first'] },
          ),
        }),
      });
    const failed = await run(make(true));
    expect(failed.status).toBe('failed');
    expect((await db.pool.query('SELECT count(*)::int AS n FROM tx_rows')).rows[0].n).toBe(0);
    attempts = 0;
    const succeeded = await run(make(false));
    expect(succeeded.status).toBe('succeeded');
    // Two attempts of `first` inserted a row each; the failed one was rolled back to its savepoint.
    expect((await db.pool.query('SELECT count(*)::int AS n FROM tx_rows')).rows[0].n).toBe(1);
  });
});

test('business logic is unit-tested on its own, without a database', () => {
  expect(shareResolved({ number_of_loans: 10, defaults: 2, liquidations: 6 })).toBe(0.8);
  expect(shareResolved({ number_of_loans: 0, defaults: 0, liquidations: 0 })).toBe(0);
});

describe('the load task and an audit with a check', () => {
  test('loads a CSV with the loader, then judges a result with a predicate', async () => {
    const file = writeFile(tempDir(), 'more.csv', [HEADER, '2022-02-01,5,1,1', '2022-02-02,5,1,x']);
    const workflow = defineWorkflow({
      name: 'load_then_check',
      description: 'load a file, check the count',
      schedule: '* * * * *',
      params: { at_least: param.integer({ default: 1, min: 0, max: 1000, description: 'rows expected' }) },
      tasks: ({ load, audit }) => ({
        load: load(file),
        check: audit('../test/fixtures/sql/count_loans_on_2022_02.sql', {
          after: ['load'],
          check: (rows, ctx) =>
            Number(rows[0]!.n) >= ctx.params.at_least ? undefined : `only ${String(rows[0]!.n)} days in 2022-02`,
        }),
      }),
    });
    const ok = await run(workflow);
    expect(ok).toMatchObject({ status: 'succeeded', tasks: { load: { rows: 1 }, check: { status: 'succeeded' } } });
    const refused = await run(workflow, { at_least: '2' });
    expect(refused.status).toBe('failed');
    expect(refused.error).toBe('check: audit failed, nothing published: only 1 days in 2022-02');
  });
});

describe('stopping tasks for real', () => {
  const { logger } = captureLogger();
  const runWith = (workflow: Workflow, extra: { signal?: AbortSignal; pool?: Pool } = {}) =>
    runWorkflow(
      extra.pool ?? db.pool,
      workflow,
      {
        trigger: 'manual',
        params: resolveParams(workflow),
        now: clock,
        ...(extra.signal ? { signal: extra.signal } : {}),
      },
      logger,
    );

  beforeEach(async () => {
    await db.pool.query('CREATE TABLE IF NOT EXISTS stop_rows (n int)');
    await db.pool.query('TRUNCATE stop_rows');
  });
  const count = async (): Promise<number> =>
    (await db.pool.query('SELECT count(*)::int AS n FROM stop_rows')).rows[0].n;

  test('a shutdown between two tasks fails the run and commits nothing', async () => {
    const shutdown = new AbortController();
    const workflow = defineWorkflow({
      name: 'stopped_between',
      description: 'shutdown after the first task',
      schedule: '* * * * *',
      transaction: true,
      params: {},
      tasks: ({ fn }) => ({
        first: fn('insert, then the shutdown comes', async (ctx) => {
          await ctx.db.query('INSERT INTO stop_rows VALUES (1)');
          setImmediate(() => shutdown.abort()); // right after this task has ended
        }),
        second: fn('never runs', () => 1, { after: ['first'] }),
      }),
    });
    const outcome = await runWith(workflow, { signal: shutdown.signal });
    expect(outcome).toMatchObject({ status: 'failed', error: 'cancelled: the scheduler is shutting down' });
    expect(outcome.tasks).toMatchObject({ first: { status: 'succeeded' }, second: { status: 'skipped' } });
    expect(await count()).toBe(0);
  });

  test('a timed-out attempt that ignores its signal is waited for and undone before the retry', async () => {
    let calls = 0;
    const workflow = defineWorkflow({
      name: 'slow_then_fast',
      description: 'the first attempt overruns its timeout, then inserts anyway',
      schedule: '* * * * *',
      transaction: true,
      params: {},
      tasks: ({ fn }) => ({
        write: fn(
          'insert one row',
          async (ctx) => {
            calls += 1;
            if (calls === 1) await sleep(500); // ignores ctx.signal
            await ctx.db.query('INSERT INTO stop_rows VALUES ($1)', [calls]);
          },
          { timeoutMs: 100, retries: 1, retryDelayMs: 10 },
        ),
      }),
    });
    const outcome = await runWith(workflow);
    expect(outcome.status).toBe('succeeded');
    expect(await taskRuns(outcome.runId)).toEqual(['write#1:retried', 'write#2:succeeded']);
    // Only the second attempt's row: the first one's was rolled back with its savepoint.
    expect((await db.pool.query('SELECT n FROM stop_rows')).rows).toEqual([{ n: 2 }]);
  });

  test('a shutdown during a retry wait starts no new attempt', async () => {
    const shutdown = new AbortController();
    let calls = 0;
    const workflow = defineWorkflow({
      name: 'backing_off',
      description: 'fails, waits 5 s to retry',
      schedule: '* * * * *',
      params: {},
      tasks: ({ fn }) => ({
        flaky: fn(
          'always fails',
          () => {
            calls += 1;
            setTimeout(() => shutdown.abort(), 100);
            throw new Error('down');
          },
          { retries: 3, retryDelayMs: 5000 },
        ),
      }),
    });
    const started = Date.now();
    const outcome = await runWith(workflow, { signal: shutdown.signal });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(calls).toBe(1);
    expect(outcome).toMatchObject({ status: 'failed' });
    expect(await taskRuns(outcome.runId)).toEqual(['flaky#1:retried', 'flaky#2:failed']);
  });

  test('a shutdown stops a task that ignores its signal, and the run is recorded as failed', async () => {
    const shutdown = new AbortController();
    const workflow = defineWorkflow({
      name: 'deaf_task',
      description: 'sleeps without looking at ctx.signal',
      schedule: '* * * * *',
      params: {},
      tasks: ({ fn }) => ({ deaf: fn('sleep 1 s', () => sleep(1000)) }),
    });
    setTimeout(() => shutdown.abort(), 100);
    const started = Date.now();
    const outcome = await runWith(workflow, { signal: shutdown.signal });
    expect(Date.now() - started).toBeLessThan(GRACE_MS + 1000);
    expect(outcome).toMatchObject({ status: 'failed', error: 'deaf: cancelled: the scheduler is shutting down' });
    const { rows } = await db.pool.query('SELECT status FROM job_runs WHERE run_id = $1', [outcome.runId]);
    expect(rows[0].status).toBe('failed');
  });

  test('a timeout is enforced and recorded even when the pool has no connection to spare', async () => {
    const smallPool = createPool(db.config, 'two connections', { max: 2 });
    try {
      const workflow = defineWorkflow({
        name: 'starved',
        description: 'lock connection + run transaction = the whole pool',
        schedule: '* * * * *',
        transaction: true,
        params: {},
        tasks: ({ fn }) => ({
          slow: fn('a long query', (ctx) => ctx.db.query('SELECT pg_sleep(30)'), { timeoutMs: 200 }),
        }),
      });
      const started = Date.now();
      const outcome = await runWith(workflow, { pool: smallPool });
      expect(Date.now() - started).toBeLessThan(3000);
      expect(outcome).toMatchObject({ status: 'failed', error: 'slow: timed out after 200 ms' });
      expect(await taskRuns(outcome.runId)).toEqual(['slow#1:failed']);
    } finally {
      await smallPool.end();
    }
  });
});

describe('parameters reach SQL, and only the task they are for', () => {
  const settingsWorkflow = (transaction: boolean) =>
    defineWorkflow({
      name: transaction ? 'settings_in_transaction' : 'settings_autocommit',
      description: 'reads its settings back',
      schedule: '* * * * *',
      transaction,
      params: { n: param.integer({ default: 5, min: 0, max: 10, description: 'a number' }) },
      tasks: ({ sql }) => ({
        fan: sql('../test/fixtures/sql/read_settings.sql', { forEach: () => ['x', 'y'] }),
        plain: sql('../test/fixtures/sql/read_settings.sql', { after: ['fan'] }),
      }),
    });

  test.each([false, true])('transaction: %s', async (transaction) => {
    const outcome = await run(settingsWorkflow(transaction));
    expect(outcome.status).toBe('succeeded');
    expect(outcome.tasks!.fan!.value).toEqual([[{ n: '5', item: 'x' }], [{ n: '5', item: 'y' }]]);
    // The fan-out's job.item does not leak into the next task.
    expect(outcome.tasks!.plain!.value).toEqual([{ n: '5', item: null }]);
  });
});

describe('more definition and parameter checks', () => {
  test('a forEach that fails fails its task, recorded', async () => {
    const workflow = defineWorkflow({
      name: 'bad_list',
      description: 'the list cannot be made',
      schedule: '* * * * *',
      params: {},
      tasks: ({ fn }) => ({
        each: fn('per item', () => 1, {
          forEach: () => {
            throw new Error('no list today');
          },
        }),
      }),
    });
    const outcome = await run(workflow);
    expect(outcome).toMatchObject({ status: 'failed', error: 'each: forEach: no list today' });
    expect(await taskRuns(outcome.runId)).toEqual(['each#1:failed']);
  });

  test('runAfterSkipped: the join after an if/else runs', async () => {
    const workflow = defineWorkflow({
      name: 'join',
      description: 'if/else, then a join',
      schedule: '* * * * *',
      params: { full: param.boolean({ default: true, description: 'full' }) },
      tasks: ({ fn }) => ({
        full: fn('full', () => 'full', { when: (ctx) => ctx.params.full }),
        incremental: fn('incremental', () => 'incremental', { when: (ctx) => !ctx.params.full }),
        join: fn('join', (ctx) => ctx.upstream.full ?? ctx.upstream.incremental, {
          after: ['full', 'incremental'],
          runAfterSkipped: true,
        }),
      }),
    });
    const outcome = await run(workflow, { full: 'false' });
    expect(outcome.tasks).toMatchObject({
      full: { status: 'skipped' },
      incremental: { status: 'succeeded' },
      join: { status: 'succeeded', value: 'incremental' },
    });
  });

  test('numeric options are checked when the workflow is defined', () => {
    expect(() =>
      defineWorkflow({
        name: 'numbers',
        description: 'bad numbers',
        schedule: '* * * * *',
        concurrency: Number.NaN,
        taskTimeoutMs: 0,
        params: {},
        tasks: ({ fn }) => ({ a: fn('a', () => 1, { timeoutMs: -1, retryDelayMs: -5 }) }),
      }),
    ).toThrow(
      'workflow numbers: concurrency must be a whole number >= 1; taskTimeoutMs must be > 0; task a: timeoutMs must be > 0; task a: retryDelayMs must be >= 0',
    );
  });

  test('a misspelt WORKFLOW_ variable, or an inherited name as a parameter, is refused', () => {
    expect(() => checkDeploymentParams([dailyLoanTotals], { WORKFLOW_DAILY_LOAN_TOTALS_DAYZ: '3' })).toThrow(
      /unknown workflow parameter variable WORKFLOW_DAILY_LOAN_TOTALS_DAYZ; known: WORKFLOW_DAILY_LOAN_TOTALS_DAYS, WORKFLOW_DAILY_LOAN_TOTALS_NOTIFY/,
    );
    expect(() => resolveParams(dailyLoanTotals, { constructor: '1' })).toThrow(/unknown parameter constructor/);
  });
});
