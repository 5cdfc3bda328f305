import { setTimeout as sleep } from 'node:timers/promises';
import { readConfig } from '../lib/config';
import { ConfigError } from '../lib/errors';
import { querySqlFile } from '../lib/sqlFiles';
import { runWorkflow, type RunOutcome } from '../scheduler/runWorkflow';
import { resolveParams } from '../scheduler/workflow';
import { defineWorkflows } from '../scheduler/workflows';
import type { RefreshPlan } from '../scheduler/workflows/defaultLiquidationRollingAvgHist';
import { createTestDatabase, type TestDatabase } from './support/database';
import { captureLogger, type LogEntry } from './support/logs';
import { checkRefreshStamps, differences, withoutStamps, type PublishedRow } from './support/publishedTable';
import { show } from './support/fraction';
import { referenceRollingAverage, type LoanDay } from './support/referenceRollingAverage';

/**
 * mode=incremental of default_liquidation_rolling_avg_hist: after any sequence of writes to
 * loans it leaves exactly the table a full rebuild would (checked against a full rebuild and the
 * independent reference), recomputes only the days whose window changed, and rebuilds in full
 * when it cannot know what changed.
 */

const job = defineWorkflows(readConfig({}))[0]!;
const SQL = 'jobs/default_liquidation_rolling_avg_hist';
const DAY_MS = 86_400_000;
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());
beforeEach(async () => {
  await db.pool.query(
    'TRUNCATE loans, default_liquidation_rolling_avg_hist, default_liquidation_rolling_avg_hist_state, loans_changes',
  );
});

type Params = Record<string, string>;

interface Refresh {
  outcome: RunOutcome;
  plan: RefreshPlan;
  logs: LogEntry[];
}

async function refresh(params: Params): Promise<Refresh> {
  const { logger, entries } = captureLogger();
  const outcome = await runWorkflow(db.pool, job, { trigger: 'manual', params: resolveParams(job, params) }, logger);
  expect(outcome).toMatchObject({ status: 'succeeded' });
  return { outcome, plan: outcome.tasks!.plan!.value as RefreshPlan, logs: entries };
}

async function published(): Promise<PublishedRow[]> {
  return (await db.pool.query<PublishedRow>('SELECT * FROM default_liquidation_rolling_avg_hist ORDER BY 1')).rows;
}

/**
 * The table a full rebuild from scratch would leave now, into an empty table (its SQL files in a
 * transaction rolled back), without its timestamps.
 */
async function fullRebuild(params: Params): Promise<ReturnType<typeof withoutStamps>[]> {
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await client.query('TRUNCATE default_liquidation_rolling_avg_hist, default_liquidation_rolling_avg_hist_state');
    for (const [key, value] of Object.entries({ ...params, mode: 'full' })) {
      await client.query('SELECT set_config($1, $2, true)', [`job.${key}`, value]);
    }
    for (const file of ['plan', 'build', 'publish', 'audit', 'record']) {
      await querySqlFile(client, `${SQL}/${file}.sql`);
    }
    const { rows } = await client.query<PublishedRow>(
      'SELECT * FROM default_liquidation_rolling_avg_hist ORDER BY repayment_date',
    );
    return rows.map(withoutStamps);
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

async function loansNow(): Promise<LoanDay[]> {
  const { rows } = await db.pool.query<LoanDay>(
    `SELECT repayment_date AS date, number_of_loans AS loans, defaults, liquidations FROM loans ORDER BY 1`,
  );
  return rows;
}

const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const msOf = (day: string): number => Date.parse(`${day}T00:00:00Z`);

/** A seeded generator, so that a failure can be replayed. */
function randomFrom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

/** For daysFrom: consecutive days. */
const noGaps = (): number => 0.5;

/** Numbers of one day that obey loans' CHECKs; defaults = 0 about one day in four. */
function numbers(random: () => number): [number, number, number] {
  const loans = Math.floor(random() * 60);
  const defaults = random() < 0.25 ? 0 : Math.floor(random() * (loans / 3));
  return [loans, defaults, Math.floor(random() * (loans - defaults + 1))];
}

async function insertDays(days: readonly string[], random: () => number): Promise<void> {
  const rows = days.map((day) => [day, ...numbers(random)]);
  await db.pool.query(
    `INSERT INTO loans (repayment_date, number_of_loans, defaults, liquidations)
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(d date, n int, f int, l int)`,
    [JSON.stringify(rows.map(([d, n, f, l]) => ({ d, n, f, l })))],
  );
}

/** Some days from a start, with gaps of a few days now and then. */
function daysFrom(startMs: number, count: number, random: () => number): string[] {
  const days: string[] = [];
  let ms = startMs;
  for (let i = 0; i < count; i += 1) {
    days.push(dayOf(ms));
    ms += (random() < 0.2 ? 2 + Math.floor(random() * 4) : 1) * DAY_MS;
  }
  return days;
}

/** One batch of random writes to loans, each statement logged by the triggers of migration 0006. */
async function randomBatch(random: () => number): Promise<string[]> {
  const done: string[] = [];
  const pick = (days: readonly LoanDay[]): string => days[Math.floor(random() * days.length)]!.date;
  for (let n = 1 + Math.floor(random() * 3); n > 0; n -= 1) {
    const days = await loansNow();
    const last = msOf(days.at(-1)!.date);
    const kind = random();
    if (kind < 0.3) {
      const appended = daysFrom(last + (1 + Math.floor(random() * 3)) * DAY_MS, 1 + Math.floor(random() * 7), random);
      await insertDays(appended, random);
      done.push(`append ${appended[0]}…${appended.at(-1)}`);
    } else if (kind < 0.5) {
      const corrected = [pick(days), ...(random() < 0.5 ? [pick(days)] : [])];
      const [loans, defaults, liquidations] = numbers(random);
      await db.pool.query(
        'UPDATE loans SET number_of_loans = $2, defaults = $3, liquidations = $4 WHERE repayment_date = ANY($1::date[])',
        [corrected, loans, defaults, liquidations],
      );
      done.push(`correct ${corrected.join(', ')}`);
    } else if (kind < 0.65) {
      const deleted = pick(days.slice(0, -1));
      await db.pool.query('DELETE FROM loans WHERE repayment_date = $1', [deleted]);
      done.push(`delete ${deleted}`);
    } else if (kind < 0.8) {
      const moved = pick(days);
      const taken = new Set(days.map((d) => d.date));
      const to = dayOf(msOf(moved) + (Math.floor(random() * 81) - 40) * DAY_MS);
      if (!taken.has(to)) {
        await db.pool.query('UPDATE loans SET repayment_date = $2 WHERE repayment_date = $1', [moved, to]);
        done.push(`move ${moved} to ${to}`);
      }
    } else if (kind < 0.9) {
      const taken = new Set(days.map((d) => d.date));
      const gap = days.map((d) => dayOf(msOf(d.date) + DAY_MS)).find((d) => !taken.has(d) && random() < 0.3);
      if (gap !== undefined) {
        await insertDays([gap], random);
        done.push(`fill ${gap}`);
      }
    } else {
      // A statement that changes nothing logs nothing: the refresh after it has nothing to do for it.
      await db.pool.query('UPDATE loans SET defaults = defaults WHERE false');
      done.push('nothing');
    }
  }
  return done;
}

describe('mode=incremental leaves exactly the table a full rebuild would', () => {
  const cases: Params[] = [1, 7, 30].flatMap((windowDays) =>
    ['true', 'false'].map((include) => ({ window_days: String(windowDays), include_current_day: include })),
  );

  test.each(cases)('after random appends, corrections, deletions and moved days, with %j', async (params) => {
    const random = randomFrom(Number(params.window_days) * 7 + (params.include_current_day === 'true' ? 1 : 2));
    await insertDays(daysFrom(Date.UTC(2022, 0, 1), 120, random), random);
    await refresh({ ...params, mode: 'full' });
    const windowDays = Number(params.window_days);
    const includeCurrentDay = params.include_current_day === 'true';
    for (let batch = 1; batch <= 15; batch += 1) {
      const writes = await randomBatch(random);
      const before = await published();
      const from = Date.now();
      const { plan } = await refresh({ ...params, mode: 'incremental' });
      const table = await published();
      const context = { batch, writes };
      expect({ ...context, mode: plan.mode }).toEqual({ ...context, mode: 'incremental' });
      // Throws when a row's numbers changed without its changed_at, or a timestamp moved on its own.
      checkRefreshStamps(before, table, { from, to: Date.now() });
      expect({ ...context, rows: table.map(withoutStamps) }).toEqual({
        ...context,
        rows: await fullRebuild(params),
      });
      expect({
        ...context,
        differences: differences(table, referenceRollingAverage(await loansNow(), windowDays, includeCurrentDay)),
      }).toEqual({ ...context, differences: [] });
    }
  });
});

describe('what an incremental refresh recomputes', () => {
  test('it writes the days in the windows of the changed days, with the run’s created_at; changed_at moves where the numbers changed', async () => {
    await insertDays(daysFrom(Date.UTC(2022, 0, 1), 60, noGaps), randomFrom(99));
    await refresh({ mode: 'full' });
    const before = await published();
    const loansBefore = await loansNow();
    await sleep(5); // a later created_at than the full rebuild's, whatever the clock's resolution
    await db.pool.query("UPDATE loans SET liquidations = 0 WHERE repayment_date = '2022-01-20'");
    await db.pool.query("DELETE FROM loans WHERE repayment_date = '2022-02-10'");
    const from = Date.now();
    const { outcome } = await refresh({ mode: 'incremental' });
    const after = await published();
    const { written, stamp, changed } = checkRefreshStamps(before, after, { from, to: Date.now() });
    // Recomputed: the days whose 7-day window holds a changed day (a change on D reaches D … D+6),
    // the deleted day itself gone.
    const reached = [
      ...['20', '21', '22', '23', '24', '25', '26'].map((d) => `2022-01-${d}`),
      ...['11', '12', '13', '14', '15', '16'].map((d) => `2022-02-${d}`),
    ];
    expect(after.filter((row) => row.created_at.getTime() === stamp).map((row) => row.repayment_date)).toEqual(reached);
    expect(outcome.rows).toBe(written);
    expect(written).toBe(reached.length);
    // Which days' numbers change, by the independent reference: the ones whose changed_at moved.
    const valuesByDay = (days: LoanDay[]): Map<string, string> => {
      const averages = referenceRollingAverage(days);
      return new Map(
        days.map((day, i) => [
          day.date,
          `${day.loans} ${day.defaults} ${day.liquidations} ${show(averages[i]!.ratio)} ${show(averages[i]!.rollingAvg)}`,
        ]),
      );
    };
    const old = valuesByDay(loansBefore);
    const expected = [...valuesByDay(await loansNow())].filter(([day, values]) => old.get(day) !== values);
    expect(expected.length).toBeGreaterThan(3);
    expect(changed).toEqual(expected.map(([day]) => day));
    expect(after.filter((row) => row.changed_at.getTime() === stamp).map((row) => row.repayment_date)).toEqual(changed);
    expect(after.some((row) => row.repayment_date === '2022-02-10')).toBe(false);
  });

  test('with nothing changed it recomputes nothing; every refresh consumes the changes it saw', async () => {
    await insertDays(['2022-01-01', '2022-01-02'], randomFrom(1));
    await refresh({ mode: 'full' });
    expect((await db.pool.query('SELECT count(*)::int AS n FROM loans_changes')).rows[0].n).toBe(0);
    const before = await published();
    const { outcome, plan } = await refresh({ mode: 'incremental' });
    expect(plan).toEqual({ mode: 'incremental', full_because: null });
    expect(outcome.rows).toBe(0);
    expect(await published()).toEqual(before);
    const { rows } = await db.pool.query(
      'SELECT window_days, include_current_day, mode FROM default_liquidation_rolling_avg_hist_state',
    );
    expect(rows).toEqual([{ window_days: 7, include_current_day: true, mode: 'incremental' }]);
  });

  test('a change committed after the refresh’s snapshot is left for the next refresh', async () => {
    await insertDays(['2022-01-01', '2022-01-02'], randomFrom(2));
    await refresh({ mode: 'full' });
    await insertDays(['2022-01-03'], randomFrom(3));
    // Hold the state row, so that the refresh stops in record.sql, after its reads of loans and its publish.
    const blocker = await db.pool.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT FROM default_liquidation_rolling_avg_hist_state FOR UPDATE');
      const running = refresh({ mode: 'incremental' });
      for (let waited = 0; ; waited += 20) {
        const { rows } = await db.pool.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        );
        if (rows[0].n > 0) break;
        if (waited > 10_000) throw new Error('the refresh never reached record.sql');
        await sleep(20);
      }
      await insertDays(['2022-01-04'], randomFrom(4));
      await blocker.query('COMMIT');
      await running;
    } finally {
      blocker.release();
    }
    expect((await published()).map((row) => row.repayment_date)).toEqual(['2022-01-01', '2022-01-02', '2022-01-03']);
    const { rows } = await db.pool.query('SELECT operation, from_date, to_date FROM loans_changes');
    expect(rows).toEqual([{ operation: 'INSERT', from_date: '2022-01-04', to_date: '2022-01-04' }]);
    await refresh({ mode: 'incremental' });
    expect(differences(await published(), referenceRollingAverage(await loansNow()))).toEqual([]);
  });
});

describe('what a refresh publishes is what a rebuild from scratch would', () => {
  const waitingOnLocks = async (): Promise<number> =>
    (
      await db.pool.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
      )
    ).rows[0].n as number;

  test('a TRUNCATE and reload of loans during a refresh waits for it: the refresh publishes what it read, whole', async () => {
    await insertDays(daysFrom(Date.UTC(2022, 0, 1), 30, noGaps), randomFrom(21));
    await refresh({ mode: 'full' });
    const before = await loansNow();
    // Stall the refresh in plan.sql, after it locked loans, by holding the table it reads next.
    const blocker = await db.pool.connect();
    const reloader = await db.pool.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE default_liquidation_rolling_avg_hist_state IN ACCESS EXCLUSIVE MODE');
      const running = refresh({ mode: 'full' });
      for (let waited = 0; (await waitingOnLocks()) < 1; waited += 20) {
        if (waited > 10_000) throw new Error('the refresh never waited');
        await sleep(20);
      }
      await reloader.query('BEGIN');
      const reload = reloader
        .query('TRUNCATE loans')
        .then(() =>
          reloader.query(
            "INSERT INTO loans (repayment_date, number_of_loans, defaults, liquidations) SELECT d, 10, 1, 1 FROM generate_series('2023-01-01'::date, '2023-01-20', '1 day') AS d",
          ),
        )
        .then(() => reloader.query('COMMIT'));
      for (let waited = 0; (await waitingOnLocks()) < 2; waited += 20) {
        if (waited > 10_000) throw new Error('the TRUNCATE did not wait for the refresh');
        await sleep(20);
      }
      await blocker.query('COMMIT');
      await running;
      expect(differences(await published(), referenceRollingAverage(before))).toEqual([]);
      await reload;
    } finally {
      blocker.release();
      reloader.release();
    }
    // The next refresh sees the TRUNCATE in the log and rebuilds from the new loans.
    const { plan } = await refresh({ mode: 'incremental' });
    expect(plan.full_because).toMatch(/loans was truncated/);
    expect(differences(await published(), referenceRollingAverage(await loansNow()))).toEqual([]);
  });

  test('a published number keeps the exact text a rebuild from scratch writes, numeric scale included', async () => {
    await db.pool.query(
      "INSERT INTO loans (repayment_date, number_of_loans, defaults, liquidations) VALUES ('2024-03-10', 100, 5, 0), ('2024-03-11', 100, 0, 0)",
    );
    await refresh({ mode: 'full' });
    // 0 / 50000 has more decimal places than 0 / 5: the same value, another text.
    await db.pool.query(
      "UPDATE loans SET defaults = 50000, number_of_loans = 100000 WHERE repayment_date = '2024-03-10'",
    );
    await refresh({ mode: 'incremental' });
    expect((await published()).map(withoutStamps)).toEqual(await fullRebuild({}));
    await refresh({ mode: 'full' });
    expect((await published()).map(withoutStamps)).toEqual(await fullRebuild({}));
  });
});

describe('when an incremental refresh cannot know what changed, it rebuilds in full and says why', () => {
  async function expectFullRebuild(params: Params, because: RegExp): Promise<void> {
    const before = await published();
    const from = Date.now();
    const { plan, outcome, logs } = await refresh({ ...params, mode: 'incremental' });
    expect(plan.mode).toBe('full');
    expect(plan.full_because).toMatch(because);
    expect(logs).toContainEqual(
      expect.objectContaining({ level: 'warn', task: 'plan', message: expect.stringMatching(because) }),
    );
    const table = await published();
    // A full rebuild writes every row.
    expect(checkRefreshStamps(before, table, { from, to: Date.now() }).written).toBe(table.length);
    expect(outcome.rows).toBe(table.length);
    const windowDays = Number(params.window_days ?? 7);
    expect(
      differences(table, referenceRollingAverage(await loansNow(), windowDays, params.include_current_day !== 'false')),
    ).toEqual([]);
    const { rows } = await db.pool.query('SELECT mode FROM default_liquidation_rolling_avg_hist_state');
    expect(rows).toEqual([{ mode: 'full' }]);
  }

  beforeEach(async () => {
    await insertDays(daysFrom(Date.UTC(2022, 0, 1), 40, noGaps), randomFrom(5));
  });

  test('no earlier refresh recorded', async () => {
    await expectFullRebuild({}, /no earlier refresh is recorded/);
  });

  test('the published table was built with another window', async () => {
    await refresh({ mode: 'full', window_days: '30' });
    await expectFullRebuild({}, /built with window_days=30, include_current_day=true/);
    await refresh({ mode: 'full', include_current_day: 'false' });
    await expectFullRebuild({}, /built with window_days=7, include_current_day=false/);
  });

  test('loans was truncated', async () => {
    await refresh({ mode: 'full' });
    await db.pool.query('TRUNCATE loans');
    await insertDays(['2023-03-01', '2023-03-02'], randomFrom(6));
    await expectFullRebuild({}, /loans was truncated/);
  });
});

test('mode is full or incremental, from --param or WORKFLOW_DEFAULT_LIQUIDATION_ROLLING_AVG_HIST_MODE; full by default', () => {
  expect(resolveParams(job).mode).toBe('full');
  expect(resolveParams(job, {}, { WORKFLOW_DEFAULT_LIQUIDATION_ROLLING_AVG_HIST_MODE: 'incremental' }).mode).toBe(
    'incremental',
  );
  expect(() => resolveParams(job, { mode: 'partial' })).toThrow(ConfigError);
  expect(() => resolveParams(job, { mode: 'partial' })).toThrow(/mode=partial: expected text matching/);
});
