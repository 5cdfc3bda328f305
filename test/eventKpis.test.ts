import { Writable } from 'node:stream';
import { readdirSync } from 'node:fs';
import { exportCatalogDays } from '../lake/catalogExport';
import { printDayKpis } from '../lake/commands/kpis';
import { runQuery } from '../lake/commands/query';
import type { OutputFormat } from '../lake/queryOutput';
import { runWorkflow, type RunOutcome } from '../scheduler/runWorkflow';
import { resolveParams } from '../scheduler/workflow';
import { defineWorkflows } from '../scheduler/workflows';
import { eventKpis } from '../scheduler/workflows/eventKpis';
import { createTestDatabase, type TestDatabase } from './support/database';
import { distinct, eventLine, isoDay, makeEvents, testLake, type TestEvent, type TestLake } from './support/lakeEvents';
import { captureLogger } from './support/logs';
import { startTestS3, type TestS3 } from './support/s3';

/**
 * event_kpis and `npm run lake -- kpis` against a lake the tests ingest: every number compared
 * with a computation over the events written, in JS; late events from another ingest counted on
 * the next run; the day's rows replaced, other days' left alone.
 */

const DAY = '2026-11-20';
const DAY_MS = Date.parse(`${DAY}T00:00:00Z`);
const HOUR_MS = 3_600_000;

let db: TestDatabase;
let lake: TestLake;
let main: TestEvent[];
let late: TestEvent[];

interface Kpi {
  event_type: string;
  events: number;
  distinct_users: number;
  first_ms: number;
  last_ms: number;
}

/** The KPIs of a day, from the events themselves. */
function expectedKpis(events: readonly TestEvent[], day: string): Kpi[] {
  const byType = new Map<string, TestEvent[]>();
  for (const event of distinct(events)) {
    if (isoDay(event.createdAtMs) !== day) continue;
    byType.set(event.type, [...(byType.get(event.type) ?? []), event]);
  }
  return [...byType]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([type, list]) => ({
      event_type: type,
      events: list.length,
      distinct_users: new Set(list.map((e) => e.userId).filter((id) => typeof id === 'string')).size,
      first_ms: Math.min(...list.map((e) => e.createdAtMs)),
      last_ms: Math.max(...list.map((e) => e.createdAtMs)),
    }));
}

async function storedKpis(day: string): Promise<(Kpi & { run_id: string })[]> {
  const { rows } = await db.pool.query<{
    event_type: string;
    events: string;
    distinct_users: string;
    first_event_at: Date;
    last_event_at: Date;
    run_id: string;
  }>('SELECT * FROM event_kpis_daily WHERE day = $1 ORDER BY event_type', [day]);
  return rows.map((row) => ({
    event_type: row.event_type,
    events: Number(row.events),
    distinct_users: Number(row.distinct_users),
    first_ms: row.first_event_at.getTime(),
    last_ms: row.last_event_at.getTime(),
    run_id: row.run_id,
  }));
}

async function runKpis(on: TestLake, request: { day?: string; scheduledFor?: Date } = {}): Promise<RunOutcome> {
  const workflow = eventKpis(on.config);
  const { logger } = captureLogger();
  const outcome = await runWorkflow(
    db.pool,
    workflow,
    {
      trigger: request.scheduledFor === undefined ? 'manual' : 'backfill',
      ...(request.scheduledFor === undefined ? {} : { scheduledFor: request.scheduledFor }),
      params: resolveParams(workflow, request.day === undefined ? {} : { day: request.day }),
    },
    logger,
  );
  if (outcome.status !== 'succeeded') throw new Error(`event_kpis ${outcome.status}: ${outcome.error ?? ''}`);
  return outcome;
}

async function printed(on: TestLake, day: string, format: OutputFormat, fromLake = false): Promise<string> {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out += chunk.toString();
      done();
    },
  });
  const { logger } = captureLogger();
  await printDayKpis({ config: on.config, log: logger, stop: new AbortController().signal, out: sink }, day, {
    format,
    fromLake,
  });
  return out;
}

/** The command's json rows in the shape of Kpi. */
function parsedKpis(json: string): Kpi[] {
  return (
    JSON.parse(json) as {
      day: string;
      event_type: string;
      events: number;
      distinct_users: number;
      first_event_at: string;
      last_event_at: string;
    }[]
  ).map((row) => {
    expect(row.day).toBe(DAY);
    return {
      event_type: row.event_type,
      events: row.events,
      distinct_users: row.distinct_users,
      first_ms: Date.parse(row.first_event_at.replace(' ', 'T').replace(/\+00$/, 'Z')),
      last_ms: Date.parse(row.last_event_at.replace(' ', 'T').replace(/\+00$/, 'Z')),
    };
  });
}

beforeAll(async () => {
  db = await createTestDatabase();
  lake = testLake(db);
  // The day, and two hours either side of it that must not count.
  main = makeEvents({ seed: 11, count: 1500, fromMs: DAY_MS - 2 * HOUR_MS, toMs: DAY_MS + 26 * HOUR_MS, users: 500 });
  late = makeEvents({ seed: 12, count: 300, fromMs: DAY_MS + HOUR_MS, toMs: DAY_MS + 4 * HOUR_MS, users: 60 });
  await lake.ingest(main.map(eventLine));
});
afterAll(async () => {
  lake.close();
  await db.drop();
});

test('the workflow is registered, on EVENT_KPIS_SCHEDULE, and refuses a day that is not one', () => {
  const workflow = defineWorkflows(lake.config).find((w) => w.name === 'event_kpis')!;
  expect(workflow.schedule).toBe('30 1 * * *');
  expect(resolveParams(workflow)).toEqual({ day: '' });
  expect(() => resolveParams(workflow, { day: '2026-02-30' })).toThrow(/day=2026-02-30: expected a YYYY-MM-DD date/);
});

test("a day's KPIs match the events written: per type, users where present, first and last", async () => {
  await db.pool.query(
    `INSERT INTO event_kpis_daily (day, event_type, events, distinct_users, first_event_at, last_event_at)
     VALUES ($1, 'gone', 1, 0, now(), now()), ('2026-11-01', 'kept', 1, 0, now(), now())`,
    [DAY],
  );
  const outcome = await runKpis(lake, { day: DAY });
  const expected = expectedKpis(main, DAY);
  expect(expected.length).toBe(5);
  // Some events carry no user_id, or a null one, and are counted as events only.
  expect(main.some((e) => isoDay(e.createdAtMs) === DAY && e.userId === undefined)).toBe(true);
  expect(main.some((e) => isoDay(e.createdAtMs) === DAY && e.userId === null)).toBe(true);
  const stored = await storedKpis(DAY);
  expect(stored.map(({ run_id: _, ...kpi }) => kpi)).toEqual(expected);
  expect(stored.every((kpi) => kpi.run_id === outcome.runId)).toBe(true);
  expect(outcome.tasks?.compute_day?.rows).toBe(5);
  expect((await storedKpis('2026-11-01')).map((k) => k.event_type)).toEqual(['kept']);
});

test('late events from another ingest are counted by the next run, which replaces the day', async () => {
  await lake.ingest([...late.map(eventLine), ...main.slice(0, 20).map(eventLine)]);
  const before = await storedKpis(DAY);
  const outcome = await runKpis(lake, { day: DAY });
  const stored = await storedKpis(DAY);
  expect(stored.map(({ run_id: _, ...kpi }) => kpi)).toEqual(expectedKpis([...main, ...late], DAY));
  expect(stored.every((kpi) => kpi.run_id === outcome.runId && kpi.run_id !== before[0]!.run_id)).toBe(true);
  const total = (kpis: readonly Kpi[]): number => kpis.reduce((sum, kpi) => sum + kpi.events, 0);
  expect(total(stored) - total(before)).toBe(late.length);
});

test('without a day, a run computes the day before its logical date', async () => {
  await db.pool.query('DELETE FROM event_kpis_daily WHERE day = $1', ['2026-11-21']);
  await runKpis(lake, { scheduledFor: new Date('2026-11-22T01:30:00Z') });
  expect((await storedKpis('2026-11-21')).map(({ run_id: _, ...kpi }) => kpi)).toEqual(
    expectedKpis([...main, ...late], '2026-11-21'),
  );
});

test('a day without events: its old rows go, nothing is written', async () => {
  await db.pool.query(
    `INSERT INTO event_kpis_daily (day, event_type, events, distinct_users, first_event_at, last_event_at)
     VALUES ('2026-11-10', 'old', 3, 1, now(), now())`,
  );
  const outcome = await runKpis(lake, { day: '2026-11-10' });
  expect(outcome.tasks?.compute_day?.rows).toBe(0);
  expect(await storedKpis('2026-11-10')).toEqual([]);
});

test('npm run lake -- kpis prints the same numbers, from the catalog or from the lake alone, writing nothing', async () => {
  const expected = expectedKpis([...main, ...late], DAY);
  await db.pool.query('DELETE FROM event_kpis_daily WHERE day = $1', [DAY]);
  const json = await printed(lake, DAY, 'json');
  expect(parsedKpis(json)).toEqual(expected);
  expect(await storedKpis(DAY)).toEqual([]);

  const { rows } = await db.pool.query<{ event_date: string }>('SELECT DISTINCT event_date FROM lake_files');
  await exportCatalogDays(
    db.pool,
    lake.lake,
    rows.map((row) => row.event_date),
  );
  expect(await printed(lake, DAY, 'json', true)).toBe(json);
  const csv = await printed(lake, DAY, 'csv', true);
  expect(csv.split('\r\n')[0]).toBe('day,event_type,events,distinct_users,first_event_at,last_event_at');
  expect(csv.split('\r\n')).toHaveLength(expected.length + 2);
  expect(readdirSync(lake.config.lake.tempDir).filter((name) => name.startsWith('lake-'))).toEqual([]);
});

test('DuckDB runs within LAKE_MEMORY_MB and LAKE_THREADS, spilling under LAKE_TMP_DIR', async () => {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out += chunk.toString();
      done();
    },
  });
  const { logger } = captureLogger();
  await runQuery(
    { config: lake.config, log: logger, stop: new AbortController().signal, out: sink },
    "SELECT current_setting('memory_limit') AS memory, current_setting('threads') AS threads, current_setting('temp_directory') AS spill",
    { format: 'json', fromLake: false },
  );
  const [settings] = JSON.parse(out) as { memory: string; threads: number; spill: string }[];
  // 256 MB as DuckDB prints it.
  expect(settings).toMatchObject({ memory: '244.1 MiB', threads: 2 });
  expect(settings!.spill.startsWith(`${lake.config.lake.tempDir}/lake-query-`)).toBe(true);
});

describe('an s3:// lake', () => {
  let s3: TestS3;
  let s3Lake: TestLake;

  beforeAll(async () => {
    s3 = await startTestS3(['lake']);
    s3Lake = testLake(db, { ...s3.env, LAKE_URI: 's3://lake/kpis' });
    await db.pool.query('TRUNCATE lake_files, lake_ingests, lake_compactions, event_kpis_daily CASCADE');
    await s3Lake.ingest(main.map(eventLine));
    await s3Lake.ingest(late.map(eventLine));
  });
  afterAll(async () => {
    s3Lake.close();
    await s3.stop();
  });

  test('the workflow and the command give the numbers of the events written', async () => {
    await runKpis(s3Lake, { day: DAY });
    const expected = expectedKpis([...main, ...late], DAY);
    expect((await storedKpis(DAY)).map(({ run_id: _, ...kpi }) => kpi)).toEqual(expected);
    expect(parsedKpis(await printed(s3Lake, DAY, 'json'))).toEqual(expected);
    expect(readdirSync(s3Lake.config.lake.tempDir).filter((name) => name.startsWith('lake-'))).toEqual([]);
  });
});
