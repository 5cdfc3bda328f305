import { chmodSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, type TestDatabase } from './support/database';
import { HEADER, tempDir, writeFile, writeManyDays } from './support/files';
import { killStarted, startNode, waitForLoaderCopy, waitUntil } from './support/processes';
import { pgEnvironment } from './support/server';

/** The command lines a person types: exit codes, and one clear line on failure. */

let db: TestDatabase;
const dir = tempDir('cli-');

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  killStarted();
  await db.drop();
});

async function run(args: string[], extraEnv: Record<string, string> = {}, uid?: number) {
  const running = startNode(
    args,
    { ...pgEnvironment(db.config), DB_WAIT_TIMEOUT: '2', ...extraEnv },
    uid === undefined ? {} : { uid, gid: uid },
  );
  const code = await running.exited;
  return { code, output: running.output(), stderr: running.stderr() };
}

const errorLines = (stderr: string): string[] => stderr.split('\n').filter((line) => line.trim() !== '');

test('npm run load: a good file exits 0 with a one-line summary', async () => {
  const file = writeFile(dir, 'good.csv', [HEADER, '2021-08-28,32,5,27', '2021-08-29,1,1,1']);
  const result = await run(['dist/loader/main.js', file]);
  expect(result.code).toBe(0);
  expect(result.output).toContain(
    `loaded ${file}: 2 rows read, 1 loaded (1 new, 0 updated, 0 unchanged), 1 rejected, 0 blank`,
  );
  expect(result.output).toMatch(/see: SELECT \* FROM load_rejects WHERE load_id = \d+/);
});

test('npm run load -- --strict: a reject fails the load with exit code 3', async () => {
  const file = writeFile(dir, 'strict.csv', [HEADER, '2021-08-28,1,1,1']);
  const result = await run(['dist/loader/main.js', '--strict', file]);
  expect(result.code).toBe(3);
  expect(errorLines(result.stderr)).toEqual([expect.stringContaining(`${file}: --strict and 1 row was rejected`)]);
});

test.each([
  [
    'a bad header',
    () => writeFile(dir, 'bad-header.csv', ['Date of Repayment,Number of Loans,Default', '2021-08-28,1,0']),
    /:1: bad header: missing column liquidations/,
  ],
  ['a missing file', () => path.join(dir, 'missing.csv'), /missing\.csv: no such file/],
  ['a directory', () => dir, /is a directory, not a CSV file/],
])('npm run load with %s: exit code 3 and one error line naming the file', async (_name, makeFile, problem) => {
  const file = makeFile();
  const result = await run(['dist/loader/main.js', file]);
  expect(result.code).toBe(3);
  const lines = errorLines(result.stderr);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(file);
  expect(lines[0]).toMatch(problem);
  expect(result.output).not.toMatch(/\n\s+at /); // no stack trace
});

test('npm run load with a file the user cannot read: exit code 3', async () => {
  const file = writeFile(dir, 'secret.csv', [HEADER, '2021-08-28,1,0,0']);
  chmodSync(file, 0o600);
  // Root reads every file: run the loader as "nobody" then, as a person without the right would.
  const asNobody = process.getuid?.() === 0 ? 65534 : undefined;
  const result = await run(['dist/loader/main.js', file], {}, asNobody);
  expect(result.code).toBe(3);
  expect(errorLines(result.stderr)).toEqual([expect.stringMatching(/secret\.csv: cannot read the file \(EACCES/)]);
});

test('an unknown option is a usage error, exit code 2', async () => {
  const result = await run(['dist/loader/main.js', '--fast']);
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/unknown option --fast; usage: npm run load/);
});

test('bad configuration names every bad variable, exit code 2', async () => {
  const result = await run(['dist/scheduler/main.js'], { CRON_SCHEDULE: 'hourly', LOG_FORMAT: 'yaml' });
  expect(result.code).toBe(2);
  expect(errorLines(result.stderr)).toEqual([
    expect.stringMatching(/invalid configuration: CRON_SCHEDULE=.*; LOG_FORMAT=/),
  ]);
});

test('the database unreachable: exit code 4 after DB_WAIT_TIMEOUT with a clear message', async () => {
  const result = await run(['dist/loader/main.js'], { PGPORT: '1', DB_WAIT_TIMEOUT: '1' });
  expect(result.code).toBe(4);
  expect(result.stderr).toMatch(/did not accept connections within 1 s/);
});

test('npm run job: runs the job once, with parameters, and exits 0', async () => {
  writeFile(dir, 'days.csv', [HEADER, '2021-08-28,10,2,6', '2021-08-29,10,4,4']);
  expect((await run(['dist/loader/main.js', path.join(dir, 'days.csv')])).code).toBe(0);
  const result = await run([
    'dist/scheduler/cli.js',
    'default_liquidation_rolling_avg_hist',
    '--param',
    'include_current_day=false',
  ]);
  expect(result.code).toBe(0);
  expect(result.output).toMatch(/status=succeeded rows=2/);
  const rows = await db.pool.query(
    'SELECT rolling_avg_7d FROM default_liquidation_rolling_avg_hist ORDER BY repayment_date',
  );
  // D-7 … D-1: nothing before the first day; the second day sees the first day's 6/2.
  expect(rows.rows.map((r) => (r.rolling_avg_7d === null ? null : Number(r.rolling_avg_7d)))).toEqual([null, 3]);
});

test('npm run job: an unknown job or parameter is refused before anything runs', async () => {
  const unknownJob = await run(['dist/scheduler/cli.js', 'nope']);
  expect(unknownJob.code).toBe(2);
  expect(unknownJob.stderr).toMatch(/no workflow named "nope"; workflows: default_liquidation_rolling_avg_hist/);
  const badParam = await run([
    'dist/scheduler/cli.js',
    'default_liquidation_rolling_avg_hist',
    '--param',
    'window_days=0',
    '--param',
    'colour=red',
  ]);
  expect(badParam.code).toBe(2);
  expect(badParam.stderr).toMatch(/unknown parameter colour .*window_days=0: expected a whole number from 1/);
});

test('a connection killed during a load: one error line, exit 1, loans unchanged, the attempt recorded', async () => {
  const before = (await db.pool.query('SELECT count(*)::int AS n FROM loans')).rows[0].n;
  const file = writeManyDays(dir, 'big.csv', 1_500_000);
  const running = startNode(['dist/loader/main.js', file], { ...pgEnvironment(db.config), DB_WAIT_TIMEOUT: '2' });
  let killed = 0;
  for (let i = 0; i < 200 && killed === 0 && running.child.exitCode === null; i += 1) {
    const result = await db.pool.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'loader' AND datname = current_database() AND state = 'active' AND query LIKE 'COPY%'",
    );
    killed = result.rowCount ?? 0;
    await sleep(20);
  }
  expect(killed).toBe(1);
  expect(await running.exited).toBe(1);
  const lines = errorLines(running.stderr());
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/ERROR loader failed error=.*big\.csv: lost the connection to PostgreSQL during the load/);
  expect(running.output()).not.toMatch(/\n\s+at /);
  expect((await db.pool.query('SELECT count(*)::int AS n FROM loans')).rows[0].n).toBe(before);
  const failed = await db.pool.query("SELECT error FROM loads WHERE file = $1 AND status = 'failed'", [file]);
  expect(failed.rows).toHaveLength(1);
});

test('the scheduler stopped while it waits for the database exits 0 at once', async () => {
  const running = startNode(['dist/scheduler/main.js'], {
    ...pgEnvironment({ ...db.config, port: 1 }),
    DB_WAIT_TIMEOUT: '60',
    CRON_LOG: path.join(dir, 'waiting.log'),
  });
  await waitUntil(() => running.output().includes('waiting for database'), 10_000, running);
  const stoppedAt = Date.now();
  running.child.kill('SIGTERM');
  expect(await running.exited).toBe(0);
  expect(Date.now() - stoppedAt).toBeLessThan(2000);
  expect(running.output()).toMatch(/stopped by SIGTERM before finishing/);
});

describe('npm run job: list, dry run, backfill, history', () => {
  const job = (...args: string[]) => run(['dist/scheduler/cli.js', ...args]);

  test('list: each workflow with its schedule and next run', async () => {
    const result = await job('list');
    expect(result.code).toBe(0);
    expect(result.output).toMatch(
      /^default_liquidation_rolling_avg_hist {2}schedule "\* \* \* \* \*" \(UTC\) {2}next run \d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z {2}— /m,
    );
  });

  test('--dry-run prints the plan and touches nothing, not even the database', async () => {
    const result = await run(
      [
        'dist/scheduler/cli.js',
        'default_liquidation_rolling_avg_hist',
        '--dry-run',
        '--param',
        'include_current_day=false',
      ],
      {
        PGPORT: '1',
      },
    );
    expect(result.code).toBe(0);
    expect(result.output).toContain('parameters: window_days=7, include_current_day=false, mode=full');
    expect(result.output).toContain(
      '1. plan — which days to recompute: sql/jobs/default_liquidation_rolling_avg_hist/plan.sql',
    );
    expect(result.output).toContain('2. build — sql/jobs/default_liquidation_rolling_avg_hist/build.sql [after plan');
    expect(result.output).toContain(
      '3. publish — publish sql/jobs/default_liquidation_rolling_avg_hist/publish.sql [after build',
    );
  });

  test('a backfill runs one run per day, skips the days already done, and --force runs them again', async () => {
    await db.pool.query("DELETE FROM job_runs WHERE trigger = 'backfill'");
    const first = await job('default_liquidation_rolling_avg_hist', '--from', '2023-01-30', '--to', '2023-02-01');
    expect(first.code).toBe(0);
    expect(first.output).toContain('backfill of 3 days: 3 ran, 0 already done, 0 failed');
    const days = await db.pool.query(
      "SELECT logical_date::text AS day, status FROM job_runs WHERE trigger = 'backfill' ORDER BY logical_date",
    );
    expect(days.rows).toEqual([
      { day: '2023-01-30', status: 'succeeded' },
      { day: '2023-01-31', status: 'succeeded' },
      { day: '2023-02-01', status: 'succeeded' },
    ]);
    const again = await job('default_liquidation_rolling_avg_hist', '--from', '2023-01-31', '--to', '2023-02-02');
    expect(again.output).toContain('backfill of 3 days: 1 ran, 2 already done, 0 failed');
    const forced = await job(
      'default_liquidation_rolling_avg_hist',
      '--from',
      '2023-01-30',
      '--to',
      '2023-01-30',
      '--force',
    );
    expect(forced.output).toContain('backfill of 1 days: 1 ran, 0 already done, 0 failed');
  });

  test('history: recent runs with status, duration and tasks', async () => {
    const result = await job('history', 'default_liquidation_rolling_avg_hist', '--limit', '2');
    expect(result.code).toBe(0);
    const lines = result.output
      .trim()
      .split('\n')
      .filter((line) => line.includes('run='));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /default_liquidation_rolling_avg_hist {2}run=[0-9a-f]{12} {2}backfill {2}day=2023-01-30 {2}succeeded {2}rows=\d+ {2}duration_ms=\d+ {2}tasks: plan:succeeded build:succeeded publish:succeeded audit:succeeded/,
    );
  });

  test('bad arguments: a usage error, exit code 2', async () => {
    const result = await job('default_liquidation_rolling_avg_hist', '--from', '2023-02-01');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--from and --to go together/);
  });
});

describe('npm run job: every run reaches cron.log', () => {
  const JOB = 'default_liquidation_rolling_avg_hist';
  const linesOf = (file: string) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line !== '');

  test('a manual run and a backfill write their lines to CRON_LOG, with trigger=manual and trigger=backfill', async () => {
    const cronLog = path.join(tempDir('cron-'), 'cron.log');
    const manual = await run(['dist/scheduler/cli.js', JOB], { CRON_LOG: cronLog });
    expect(manual.code).toBe(0);
    const backfill = await run(
      ['dist/scheduler/cli.js', JOB, '--from', '2022-03-01', '--to', '2022-03-02', '--force'],
      {
        CRON_LOG: cronLog,
      },
    );
    expect(backfill.code).toBe(0);

    const lines = linesOf(cronLog);
    // The very lines of the console, in the format of the scheduler's (docs/operations.md, "cron.log").
    for (const line of lines) expect(`${manual.output}${backfill.output}`).toContain(`${line}\n`);
    const runLine = new RegExp(
      `^\\S+Z INFO {2}job job=${JOB} run=([0-9a-f]{12}) status=(started|succeeded) (rows=\\d+ duration_ms=\\d+ )?trigger=(manual|backfill)( scheduled_for=(\\S+))?( params=\\S+)?$`,
    );
    const runs = lines.flatMap((line) => {
      const match = runLine.exec(line);
      return match === null ? [] : [{ run: match[1], status: match[2], trigger: match[4], day: match[6] }];
    });
    expect(runs.map(({ status, trigger, day }) => `${trigger} ${day ?? '-'} ${status}`)).toEqual([
      'manual - started',
      'manual - succeeded',
      'backfill 2022-03-01T00:00:00.000Z started',
      'backfill 2022-03-01T00:00:00.000Z succeeded',
      'backfill 2022-03-02T00:00:00.000Z started',
      'backfill 2022-03-02T00:00:00.000Z succeeded',
    ]);
    const ids = [...new Set(runs.map((r) => r.run))];
    for (const id of ids) {
      const tasks = lines
        .filter((line) => line.includes(` run=${id} task=`))
        .map((line) => /task=(\w+)/.exec(line)![1]);
      expect(tasks).toEqual(['plan', 'build', 'publish', 'audit', 'record']);
    }
    // The same runs as job_runs records.
    const recorded = await db.pool.query(
      'SELECT run_id, trigger FROM job_runs WHERE run_id = ANY($1) ORDER BY started_at',
      [ids],
    );
    expect(recorded.rows.map((r) => r.trigger)).toEqual(['manual', 'backfill', 'backfill']);
    expect(lines.at(-1)).toMatch(
      new RegExp(`INFO {2}job job=${JOB} backfill of 2 days: 2 ran, 0 already done, 0 failed$`),
    );
  });

  test('list, history and --dry-run run nothing and leave CRON_LOG alone', async () => {
    const cronLog = path.join(tempDir('cron-'), 'cron.log');
    for (const args of [['list'], ['history'], [JOB, '--dry-run']]) {
      expect((await run(['dist/scheduler/cli.js', ...args], { CRON_LOG: cronLog })).code).toBe(0);
    }
    expect(existsSync(cronLog)).toBe(false);
  });
});

describe('signals and start-up checks', () => {
  test('SIGTERM in the middle of a load rolls it back: exit 1, loans unchanged', async () => {
    const before = (await db.pool.query('SELECT count(*)::int AS n FROM loans')).rows[0].n;
    const file = writeManyDays(dir, 'big-sigterm.csv', 1_500_000);
    const running = startNode(['dist/loader/main.js', file], { ...pgEnvironment(db.config), DB_WAIT_TIMEOUT: '2' });
    await waitForLoaderCopy(db.pool, running);
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(1);
    expect(running.output()).toMatch(/stopped by SIGTERM before finishing/);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM loans')).rows[0].n).toBe(before);
    const failed = await db.pool.query("SELECT error FROM loads WHERE file = $1 AND status = 'failed'", [file]);
    expect(failed.rows).toEqual([{ error: `${file}: load interrupted by SIGTERM; nothing was changed` }]);
  });

  /** Starts the loader on file while `hold` keeps it waiting on a lock, stops it with SIGTERM there. */
  async function sigtermWhileBlocked(
    file: string,
    hold: string[],
  ): Promise<{ code: number | null; ms: number; output: string }> {
    const blocker = await db.pool.connect();
    try {
      await blocker.query('BEGIN');
      for (const sql of hold) await blocker.query(sql);
      const running = startNode(['dist/loader/main.js', file], pgEnvironment(db.config));
      await waitUntil(
        async () =>
          ((
            await db.pool.query(
              "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'loader' AND wait_event_type = 'Lock'",
            )
          ).rowCount ?? 0) > 0,
        30_000,
        running,
      );
      const signalled = Date.now();
      running.child.kill('SIGTERM');
      const code = await running.exited;
      return { code, ms: Date.now() - signalled, output: running.output() };
    } finally {
      await blocker.query('ROLLBACK');
      blocker.release();
    }
  }

  test('SIGTERM while the load waits for the table lock stops it at once: exit 1, nothing changed', async () => {
    const before = (await db.pool.query('SELECT count(*)::int AS n FROM loans')).rows[0].n;
    const file = writeFile(dir, 'waits-for-lock.csv', [HEADER, '2030-01-01,5,1,1']);
    const stopped = await sigtermWhileBlocked(file, ['LOCK TABLE loans IN SHARE ROW EXCLUSIVE MODE']);
    expect(stopped.code).toBe(1);
    expect(stopped.ms).toBeLessThan(3000);
    expect(stopped.output).toMatch(/stopped by SIGTERM before finishing/);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM loans')).rows[0].n).toBe(before);
    const failed = await db.pool.query("SELECT error FROM loads WHERE file = $1 AND status = 'failed'", [file]);
    expect(failed.rows).toEqual([{ error: `${file}: load interrupted by SIGTERM; nothing was changed` }]);
  });

  test('SIGTERM after the file was read, during the merge, still rolls the load back: exit 1', async () => {
    await db.pool.query("DELETE FROM loans WHERE repayment_date BETWEEN '2031-01-01' AND '2031-01-03'");
    const first = writeFile(dir, 'merge-first.csv', [HEADER, '2031-01-01,5,1,1', '2031-01-02,5,1,1']);
    expect(await startNode(['dist/loader/main.js', first], pgEnvironment(db.config)).exited).toBe(0);
    const before = (await db.pool.query('SELECT count(*)::int AS n, max(load_id) AS last FROM loans')).rows[0];
    // The merge must update 2031-01-02, whose row another session holds: the load waits there.
    const file = writeFile(dir, 'merge-second.csv', [
      HEADER,
      '2031-01-01,5,1,1',
      '2031-01-02,6,1,1',
      '2031-01-03,5,1,1',
    ]);
    const stopped = await sigtermWhileBlocked(file, [
      "SELECT * FROM loans WHERE repayment_date = '2031-01-02' FOR UPDATE",
    ]);
    expect(stopped.code).toBe(1);
    expect(stopped.ms).toBeLessThan(3000);
    expect(stopped.output).toMatch(/stopped by SIGTERM before finishing/);
    expect((await db.pool.query('SELECT count(*)::int AS n, max(load_id) AS last FROM loans')).rows[0]).toEqual(before);
    const failed = await db.pool.query("SELECT error FROM loads WHERE file = $1 AND status = 'failed'", [file]);
    expect(failed.rows).toEqual([{ error: `${file}: load interrupted by SIGTERM; nothing was changed` }]);
    const { rows } = await db.pool.query("SELECT number_of_loans FROM loans WHERE repayment_date = '2031-01-02'");
    expect(rows).toEqual([{ number_of_loans: 5 }]);
  });

  test('the scheduler with the database unreachable: exit code 4 after DB_WAIT_TIMEOUT', async () => {
    const result = await run(['dist/scheduler/main.js'], {
      PGPORT: '1',
      DB_WAIT_TIMEOUT: '1',
      CRON_LOG: path.join(dir, 'unreachable.log'),
    });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/did not accept connections within 1 s/);
  });

  test('a misspelt WORKFLOW_ variable stops the scheduler at once, before any waiting: exit code 2', async () => {
    const result = await run(['dist/scheduler/main.js'], {
      PGPORT: '1',
      DB_WAIT_TIMEOUT: '60',
      CRON_LOG: path.join(dir, 'misspelt.log'),
      WORKFLOW_DEFAULT_LIQUIDATION_ROLLING_AVG_HIST_WINDOW_DAY: '3',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /unknown workflow parameter variable WORKFLOW_DEFAULT_LIQUIDATION_ROLLING_AVG_HIST_WINDOW_DAY/,
    );
  });
});
