import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { exportCatalogDays, rewriteCatalogExports } from '../lake/catalogExport';
import { runQuery, type QuerySummary } from '../lake/commands/query';
import { catalogExportPath } from '../lake/partitions';
import type { OutputFormat } from '../lake/queryOutput';
import { readConfig } from '../lib/config';
import { ConfigError, InputError } from '../lib/errors';
import { createTestDatabase, type TestDatabase } from './support/database';
import { tempDir, writeFile } from './support/files';
import {
  MALFORMED,
  distinct,
  eventLine,
  hourOf,
  isoDay,
  makeEvents,
  testLake,
  TYPES,
  type TestEvent,
  type TestLake,
} from './support/lakeEvents';
import { captureLogger, type LogEntry } from './support/logs';
import { killStarted, startNode } from './support/processes';
import { startTestS3, type TestS3 } from './support/s3';
import { pgEnvironment } from './support/server';

/**
 * `npm run lake -- query` against a lake the tests ingest from NDJSON they write: every answer
 * compared with a count of those lines in JS; the plan compared with the catalog's own rows, to
 * show that pruning prunes, and with the whole lake where it must not.
 */

const DAY = '2026-11-20';
const NEXT = '2026-11-21';
const DAY_MS = Date.parse(`${DAY}T00:00:00Z`);
const HOUR_MS = 3_600_000;

let db: TestDatabase;
let lake: TestLake;

/** The dates of the catalog's files (the quarantine's is the day of its ingest): what an ingest's caller exports. */
async function fileDates(): Promise<string[]> {
  const { rows } = await db.pool.query<{ event_date: string }>('SELECT DISTINCT event_date FROM lake_files');
  return rows.map((row) => row.event_date);
}
/** Every event in the lake, once. */
let all: TestEvent[];

beforeAll(async () => {
  db = await createTestDatabase();
  lake = testLake(db);
  // A day and six hours of the next, then late events of the early hours of DAY from another
  // source, with some events of the first delivered again (each is in the lake once).
  const first = makeEvents({ seed: 1, count: 3000, fromMs: DAY_MS, toMs: DAY_MS + 30 * HOUR_MS });
  const late = makeEvents({ seed: 2, count: 500, fromMs: DAY_MS + 2 * HOUR_MS, toMs: DAY_MS + 6 * HOUR_MS });
  await lake.ingest([...first.map(eventLine), '', ...MALFORMED.map((m) => m.line)]);
  await lake.ingest([...late.map(eventLine), ...first.slice(0, 50).map(eventLine)]);
  all = distinct([...first, ...late]);
  await exportCatalogDays(db.pool, lake.lake, await fileDates());
});
afterAll(async () => {
  killStarted();
  lake.close();
  await db.drop();
});

interface Ran {
  out: string;
  summary: QuerySummary;
  entries: LogEntry[];
}

async function query(
  sql: string,
  options: { format?: OutputFormat; fromLake?: boolean; on?: TestLake } = {},
): Promise<Ran> {
  const { logger, entries } = captureLogger();
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out += chunk.toString();
      done();
    },
  });
  const summary = await runQuery(
    { config: (options.on ?? lake).config, log: logger, stop: new AbortController().signal, out: sink },
    sql,
    { format: options.format ?? 'json', fromLake: options.fromLake ?? false },
  );
  return { out, summary, entries };
}

async function count(where: string, options: { fromLake?: boolean } = {}): Promise<{ n: number; ran: Ran }> {
  const ran = await query(`SELECT count(*) AS n FROM events WHERE ${where}`, options);
  return { n: (JSON.parse(ran.out) as { n: number }[])[0]!.n, ran };
}

const at = (hour: number, minute = 0): string => new Date(DAY_MS + hour * HOUR_MS + minute * 60_000).toISOString();

// ---------------------------------------------------------------- answers

test('counts per type, per hour and in all agree with the lines written', async () => {
  const byType = JSON.parse(
    (await query('SELECT type, count(*) AS n FROM events GROUP BY type ORDER BY type')).out,
  ) as { type: string; n: number }[];
  const expected = [...TYPES].sort().map((type) => ({ type, n: all.filter((e) => e.type === type).length }));
  expect(byType).toEqual(expected);

  const byHour = JSON.parse(
    (await query('SELECT date::VARCHAR AS day, hour, count(*) AS n FROM events GROUP BY ALL ORDER BY ALL')).out,
  ) as { day: string; hour: number; n: number }[];
  const keys = [...new Set(all.map((e) => `${isoDay(e.createdAtMs)} ${hourOf(e.createdAtMs)}`))];
  expect(byHour.length).toBe(30);
  expect(byHour.map((row) => row.n).reduce((a, b) => a + b, 0)).toBe(all.length);
  for (const row of byHour) {
    expect(keys).toContain(`${row.day} ${row.hour}`);
    expect(row.n).toBe(
      all.filter((e) => isoDay(e.createdAtMs) === row.day && hourOf(e.createdAtMs) === row.hour).length,
    );
  }
  expect(all.length).toBe(3500);
});

test('a type over three hours reads only those partitions, and its answer is right', async () => {
  const { n, ran } = await count(`type = 'page_view' AND created_at >= '${DAY} 09:00' AND created_at < '${DAY} 12:00'`);
  expect(n).toBe(
    all.filter(
      (e) => e.type === 'page_view' && e.createdAtMs >= DAY_MS + 9 * HOUR_MS && e.createdAtMs < DAY_MS + 12 * HOUR_MS,
    ).length,
  );
  const { rows } = await db.pool.query<{ path: string }>(
    `SELECT path FROM lake_files WHERE removed_at IS NULL AND event_type = 'page_view' AND event_date = $1
       AND event_hour BETWEEN 9 AND 11 ORDER BY path`,
    [DAY],
  );
  const { rows: live } = await db.pool.query<{ n: string }>(
    "SELECT count(*) AS n FROM lake_files WHERE removed_at IS NULL AND content = 'events'",
  );
  expect(ran.summary.files.events.map((f) => f.path)).toEqual(rows.map((r) => r.path));
  expect(rows.length).toBe(3);
  expect(ran.summary.files.total.files).toBe(Number(live[0]!.n));
  const line = ran.entries.find((e) => e.message === 'query ran')!;
  expect(line).toMatchObject({ files: `3/${live[0]!.n}`, pruned_by: 'type,created_at', plan: 'catalog', rows: 1 });
});

/** A WHERE, the events it keeps in JS, and whether the planner may read fewer files than all. */
const PREDICATES: [string, (e: TestEvent) => boolean, 'pruned' | 'all files'][] = [
  ["type = 'page_view'", (e) => e.type === 'page_view', 'pruned'],
  ["'page_view' = type", (e) => e.type === 'page_view', 'pruned'],
  ["type IN ('user_login', 'item_liked')", (e) => ['user_login', 'item_liked'].includes(e.type), 'pruned'],
  ["type LIKE 'user_%'", (e) => /^user_./.test(e.type), 'pruned'],
  ["type IS NOT DISTINCT FROM 'checkout.done'", (e) => e.type === 'checkout.done', 'pruned'],
  [
    `created_at >= '${DAY} 09:00' AND created_at < '${DAY} 12:00'`,
    (e) => e.createdAtMs >= DAY_MS + 9 * HOUR_MS && e.createdAtMs < DAY_MS + 12 * HOUR_MS,
    'pruned',
  ],
  [`'${DAY} 22:00' < created_at`, (e) => e.createdAtMs > DAY_MS + 22 * HOUR_MS, 'pruned'],
  [
    `type = 'page_view' AND created_at >= TIMESTAMPTZ '${DAY} 11:00:00+02' AND created_at < TIMESTAMP '${DAY} 12:00'`,
    (e) => e.type === 'page_view' && e.createdAtMs >= DAY_MS + 9 * HOUR_MS && e.createdAtMs < DAY_MS + 12 * HOUR_MS,
    'pruned',
  ],
  [`created_at <= DATE '${NEXT}'`, (e) => e.createdAtMs <= DAY_MS + 24 * HOUR_MS, 'pruned'],
  [
    `created_at BETWEEN '${at(3)}' AND '${at(4, 30)}'`,
    (e) => e.createdAtMs >= DAY_MS + 3 * HOUR_MS && e.createdAtMs <= DAY_MS + 4.5 * HOUR_MS,
    'pruned',
  ],
  [`date = '${NEXT}'`, (e) => isoDay(e.createdAtMs) === NEXT, 'pruned'],
  [`date > '${DAY}'`, (e) => isoDay(e.createdAtMs) > DAY, 'pruned'],
  [`date < DATE '${NEXT}'`, (e) => isoDay(e.createdAtMs) < NEXT, 'pruned'],
  [`date IN ('${NEXT}')`, (e) => isoDay(e.createdAtMs) === NEXT, 'pruned'],
  [
    `hour BETWEEN 2 AND 5 AND date = '${DAY}'`,
    (e) => isoDay(e.createdAtMs) === DAY && hourOf(e.createdAtMs) >= 2 && hourOf(e.createdAtMs) <= 5,
    'pruned',
  ],
  ['hour IN (0, 23)', (e) => [0, 23].includes(hourOf(e.createdAtMs)), 'pruned'],
  ['hour >= 22', (e) => hourOf(e.createdAtMs) >= 22, 'pruned'],
  ['hour = 25', () => false, 'pruned'],
  ["type = 'page_view' AND type = 'user_login'", () => false, 'pruned'],
  ["events.type = 'item_liked' AND lower(id) <> ''", (e) => e.type === 'item_liked', 'pruned'],
  [
    "type = 'user_login' AND hour IN (SELECT range FROM range(3, 6))",
    (e) => e.type === 'user_login' && hourOf(e.createdAtMs) >= 3 && hourOf(e.createdAtMs) < 6,
    'pruned',
  ],
  // Nothing the planner can use: every file is read, and DuckDB decides.
  ["type = 'page_view' OR type = 'user_login'", (e) => e.type === 'page_view' || e.type === 'user_login', 'all files'],
  ["lower(type) = 'page_view'", (e) => e.type === 'page_view', 'all files'],
  ["NOT (type = 'page_view')", (e) => e.type !== 'page_view', 'all files'],
  ["type <> 'page_view'", (e) => e.type !== 'page_view', 'all files'],
  ["type NOT IN ('page_view')", (e) => e.type !== 'page_view', 'all files'],
  ["type > 'page_view'", (e) => e.type > 'page_view', 'all files'],
  ["type = 'page_view' COLLATE nocase", (e) => e.type === 'page_view', 'all files'],
  ['hour NOT BETWEEN 1 AND 22', (e) => hourOf(e.createdAtMs) < 1 || hourOf(e.createdAtMs) > 22, 'all files'],
  ['created_at > now() - INTERVAL 100000 DAY', () => true, 'all files'],
  ['created_at IS NOT NULL', () => true, 'all files'],
  ["(type = 'page_view') = true", (e) => e.type === 'page_view', 'all files'],
];

test.each(PREDICATES)('WHERE %s', async (where, keep, pruning) => {
  const { n, ran } = await count(where);
  expect(n).toBe(all.filter(keep).length);
  const { events, total } = ran.summary.files;
  if (pruning === 'all files') {
    expect(events.length).toBe(total.files);
    expect(ran.summary.plan.prunedBy).toEqual([]);
  } else {
    expect(events.length).toBeLessThan(total.files);
  }
});

test('a bound equal to an event time keeps that event, inclusive or not as SQL says', async () => {
  const event = all[123]!;
  const iso = new Date(event.createdAtMs).toISOString();
  for (const [op, keep] of [
    ['>=', (e: TestEvent) => e.createdAtMs >= event.createdAtMs],
    ['>', (e: TestEvent) => e.createdAtMs > event.createdAtMs],
    ['=', (e: TestEvent) => e.createdAtMs === event.createdAtMs],
    ['<=', (e: TestEvent) => e.createdAtMs <= event.createdAtMs],
    ['<', (e: TestEvent) => e.createdAtMs < event.createdAtMs],
  ] as const) {
    const { n, ran } = await count(`type = '${event.type}' AND created_at ${op} '${iso}'`);
    expect([op, n]).toEqual([op, all.filter((e) => e.type === event.type && keep(e)).length]);
    expect(ran.summary.plan.prunedBy).toEqual(['type', 'created_at']);
  }
});

test.each([
  ['a join', "SELECT count(*) AS n FROM events e JOIN (SELECT 1 AS one) o ON true WHERE e.type = 'page_view'"],
  [
    'a second read without a WHERE',
    "SELECT count(*) AS n FROM events WHERE type = 'page_view' AND id IN (SELECT id FROM events)",
  ],
  ['renamed columns', "SELECT count(*) AS n FROM events e (x, kind) WHERE kind = 'page_view'"],
  ['a subquery in FROM', "SELECT count(*) AS n FROM (SELECT * FROM events) WHERE type = 'page_view'"],
  ['a table function', "SELECT count(*) AS n FROM query_table('events') WHERE type = 'page_view'"],
  ['a sample', "SELECT count(*) AS n FROM events WHERE type = 'page_view' USING SAMPLE 100 PERCENT (bernoulli)"],
])('%s: nothing pruned, the answer right', async (_, sql) => {
  const ran = await query(sql);
  expect(JSON.parse(ran.out)).toEqual([{ n: all.filter((e) => e.type === 'page_view').length }]);
  expect(ran.summary.files.events.length).toBe(ran.summary.files.total.files);
  expect(ran.summary.plan.notPruned).toBeDefined();
});

test('two filtered reads read the files of either', async () => {
  const ran = await query(
    `SELECT count(*) AS n FROM (SELECT id FROM events WHERE type = 'page_view' AND date = '${DAY}'
       UNION ALL SELECT id FROM events WHERE type = 'user_login' AND hour = 3)`,
  );
  const expected =
    all.filter((e) => e.type === 'page_view' && isoDay(e.createdAtMs) === DAY).length +
    all.filter((e) => e.type === 'user_login' && hourOf(e.createdAtMs) === 3).length;
  expect(JSON.parse(ran.out)).toEqual([{ n: expected }]);
  const paths = ran.summary.files.events.map((f) => f.path);
  expect(
    paths.every(
      (p) =>
        p.startsWith(`events/type=page_view/date=${DAY}/`) ||
        /^events\/type=user_login\/date=[\d-]+\/hour=03\//.test(p),
    ),
  ).toBe(true);
  expect(paths.length).toBeLessThan(ran.summary.files.total.files);
});

test('a CTE named events that reads events: the files of both reads, the answer right', async () => {
  const ran = await query(
    "WITH events AS (SELECT * FROM events WHERE type = 'user_login') SELECT count(*) AS n FROM events WHERE type = 'page_view'",
  );
  expect(JSON.parse(ran.out)).toEqual([{ n: 0 }]);
  const ran2 = await query(
    "WITH events AS (SELECT * FROM events WHERE type = 'user_login') SELECT count(*) AS n FROM events WHERE hour = 3",
  );
  expect(JSON.parse(ran2.out)).toEqual([
    { n: all.filter((e) => e.type === 'user_login' && hourOf(e.createdAtMs) === 3).length },
  ]);
});

test('the quarantine view has every malformed line, byte for byte', async () => {
  const ran = await query('SELECT reason, decode(raw) AS raw FROM quarantine ORDER BY line');
  expect(JSON.parse(ran.out)).toEqual(MALFORMED.map((m) => ({ reason: m.reason, raw: m.line })));
  expect(ran.summary.files.quarantine.length).toBe(1);
  expect(ran.summary.files.events).toEqual([]);
});

// ---------------------------------------------------------------- no file at all

test('with no file to read, events and quarantine are empty with the same columns', async () => {
  const describe = 'SELECT column_name, column_type FROM (DESCRIBE events) ORDER BY column_name';
  const full = JSON.parse((await query(describe)).out) as unknown[];
  expect(full).toHaveLength(9);
  const empty = await createTestDatabase();
  const emptyLake = testLake(empty);
  try {
    const ran = await query(describe, { on: emptyLake });
    expect(JSON.parse(ran.out)).toEqual(full);
    expect(ran.summary.files.events).toEqual([]);
    const rows = await query('SELECT count(*) AS n, count(DISTINCT type) AS types FROM events', { on: emptyLake });
    expect(JSON.parse(rows.out)).toEqual([{ n: 0, types: 0 }]);
    const q = 'SELECT column_name, column_type FROM (DESCRIBE quarantine) ORDER BY column_name';
    expect(JSON.parse((await query(q, { on: emptyLake })).out)).toEqual(JSON.parse((await query(q)).out));
  } finally {
    emptyLake.close();
    await empty.drop();
  }
  const oneDay = await query(
    `${describe.replace('DESCRIBE events', `DESCRIBE SELECT * FROM events WHERE date = '${NEXT}'`)}`,
  );
  expect(JSON.parse(oneDay.out)).toEqual(full);
  expect(oneDay.summary.files.events.length).toBeLessThan(oneDay.summary.files.total.files);
  const none = await query("SELECT * FROM events WHERE type = 'no_such_type'");
  expect(none.out).toBe('[]\n');
  expect(none.summary.files.events).toEqual([]);
});

// ---------------------------------------------------------------- formats

const VALUES =
  "SELECT 'a,b' AS s, NULL::VARCHAR AS n, '' AS e, 'x\"y' AS q, 'l1' || chr(10) || 'l2' AS nl, " +
  '9007199254740993::BIGINT AS big, -42::BIGINT AS small, 12345678901234567890::HUGEINT AS huge, ' +
  "1.50::DECIMAL(10,2) AS d, 0.1::DOUBLE AS f, TIMESTAMPTZ '2026-11-20 01:02:03.5+00' AS t, DATE '2026-11-20' AS day, " +
  '[1, 2] AS l, true AS b';

test('csv is RFC 4180: CRLF, quotes where needed and doubled, NULL empty and the empty string ""', async () => {
  expect((await query(VALUES, { format: 'csv' })).out).toBe(
    's,n,e,q,nl,big,small,huge,d,f,t,day,l,b\r\n' +
      '"a,b",,"","x""y","l1\nl2",9007199254740993,-42,12345678901234567890,1.50,0.1,2026-11-20 01:02:03.5+00,2026-11-20,"[1, 2]",true\r\n',
  );
  const byType = (await query('SELECT type, count(*) AS n FROM events GROUP BY type ORDER BY type', { format: 'csv' }))
    .out;
  const lines = [...TYPES].sort().map((type) => `${type},${all.filter((e) => e.type === type).length}\r\n`);
  expect(byType).toBe(`type,n\r\n${lines.join('')}`);
  expect((await query("SELECT id FROM events WHERE type = 'none'", { format: 'csv' })).out).toBe('id\r\n');
});

test('json is an array of objects, integers as numbers while a double holds them, else strings', async () => {
  expect((await query(VALUES, { format: 'json' })).out).toBe(
    '[\n{"s":"a,b","n":null,"e":"","q":"x\\"y","nl":"l1\\nl2","big":"9007199254740993","small":-42,' +
      '"huge":"12345678901234567890","d":1.5,"f":0.1,"t":"2026-11-20 01:02:03.5+00","day":"2026-11-20","l":[1,2],"b":true}\n]\n',
  );
  expect((await query('SELECT 1 AS a, 2 AS a')).out).toBe('[\n{"a":1,"a:1":2}\n]\n');
  const rows = JSON.parse((await query('SELECT id, source_line FROM events ORDER BY id LIMIT 3')).out) as unknown[];
  expect(rows).toHaveLength(3);
  expect(rows.every((row) => typeof (row as { source_line: unknown }).source_line === 'number')).toBe(true);
});

test('table: aligned columns, numbers to the right, NULL and escapes shown, the row count', async () => {
  expect((await query("SELECT 'a' AS x, 10 AS n UNION ALL SELECT 'bbb', 2 ORDER BY n", { format: 'table' })).out).toBe(
    'x   | n\n----+---\nbbb |  2\na   | 10\n(2 rows)\n',
  );
  expect((await query("SELECT NULL::VARCHAR AS v, 'l1' || chr(10) || 'l2' AS w", { format: 'table' })).out).toBe(
    'v    | w\n-----+-------\nNULL | l1\\nl2\n(1 row)\n',
  );
  const big = await query('SELECT * FROM range(10001)', { format: 'table' });
  expect(big.out.split('\n').at(-2)).toBe('(the first 10000 rows; --format csv or json prints them all)');
  expect(big.summary).toMatchObject({ rows: 10_000, truncated: true });
  expect(big.entries.find((e) => e.level === 'warn')?.message).toMatch(/first rows only/);
});

// ---------------------------------------------------------------- errors

test.each([
  ['SELEC 1', /^query: syntax error at or near "SELEC"$/],
  ['SELECT nope FROM events', /^query: Binder Error: Referenced column "nope" not found/],
  [
    'SELECT CAST(type AS INTEGER) FROM events',
    /^query: Conversion Error: Could not convert string '[a-z_.]+' to INT32/,
  ],
  ['SELECT 1; SELECT 2', /^query: give one SQL statement, not 2$/],
  ["COPY (SELECT 1) TO 'x.csv'", /^query: only a SELECT statement can be run/],
  ['CREATE TABLE t AS SELECT 1', /^query: only a SELECT statement can be run/],
])('%s: one line naming the problem, exit 3', async (sql, message) => {
  const error = (await query(sql).catch((e: unknown) => e)) as InputError;
  expect(error).toBeInstanceOf(InputError);
  expect(error.exitCode).toBe(3);
  expect(error.message).toMatch(message);
  expect(error.message).not.toContain('\n');
});

test('a database without the lake catalog: told how to create it, nothing created', async () => {
  const bare = await createTestDatabase({ empty: true });
  const bareLake = testLake(bare);
  try {
    const error = (await query('SELECT count(*) FROM events', { on: bareLake }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/has no lake catalog .*lake_files.* npm run migrate/);
    const { rows } = await bare.pool.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'");
    expect(rows[0].n).toBe(0);
  } finally {
    bareLake.close();
    await bare.drop();
  }
});

test('the temporary folder is gone after a query, whether it succeeded or failed', async () => {
  await query("SELECT count(*) FROM events WHERE type = 'page_view'");
  await query('SELECT nope').catch(() => undefined);
  expect(readdirSync(lake.config.lake.tempDir).filter((name) => name.startsWith('lake-query-'))).toEqual([]);
});

// ---------------------------------------------------------------- without PostgreSQL

test('--from-lake plans from the catalog exports: the same files and the same answers, PostgreSQL unreachable', async () => {
  const noDatabase = {
    ...lake,
    config: readConfig({
      LAKE_URI: lake.config.lake.uri,
      LAKE_TMP_DIR: lake.config.lake.tempDir,
      PGHOST: '127.0.0.1',
      PGPORT: '1',
      DB_WAIT_TIMEOUT: '0',
    }),
  };
  for (const [where] of PREDICATES.slice(0, 18)) {
    const sql = `SELECT type, count(*) AS n, min(created_at) AS first FROM events WHERE ${where} GROUP BY type ORDER BY type`;
    const fromCatalog = await query(sql);
    const fromLake = await query(sql, { fromLake: true, on: noDatabase });
    expect([where, fromLake.out]).toEqual([where, fromCatalog.out]);
    expect(fromLake.summary.files.events).toEqual(fromCatalog.summary.files.events);
  }
  const bounded = await query(`SELECT count(*) AS n FROM events WHERE date = '${NEXT}'`, {
    fromLake: true,
    on: noDatabase,
  });
  expect(bounded.summary.files.source).toBe('catalog exports of 1 date');
  const quarantine = await query('SELECT count(*) AS n FROM quarantine', { fromLake: true, on: noDatabase });
  expect(JSON.parse(quarantine.out)).toEqual([{ n: MALFORMED.length }]);
  await expect(query('SELECT 1', { on: noDatabase })).rejects.toThrow(/127\.0\.0\.1:1/);
});

test('--from-lake lags behind until the exports are written again, as documented', async () => {
  const later = makeEvents({ seed: 3, count: 40, fromMs: DAY_MS + 48 * HOUR_MS, toMs: DAY_MS + 49 * HOUR_MS });
  const stale = writeFile(
    tempDir('stale-'),
    'date=2020-01-01.json',
    '{"format": 1, "date": "2020-01-01", "files": []}',
  );
  await lake.lake.publish(stale, catalogExportPath('2020-01-01'));
  await lake.ingest(later.map(eventLine));
  // The ingest exported its date; an export that failed after the commit (a crash, S3 down) leaves
  // the one from before, here: none of these files.
  const before = writeFile(tempDir('stale-'), 'before.json', '{"format": 1, "date": "2026-11-22", "files": []}');
  await lake.lake.publish(before, catalogExportPath('2026-11-22'));
  const sql = "SELECT count(*) AS n FROM events WHERE date = '2026-11-22'";
  expect(JSON.parse((await query(sql)).out)).toEqual([{ n: 40 }]);
  expect(JSON.parse((await query(sql, { fromLake: true })).out)).toEqual([{ n: 0 }]);
  // The dates of the files, and the one of the stale export, which goes.
  expect(await rewriteCatalogExports(db.pool, lake.lake)).toBe((await fileDates()).length + 1);
  expect(JSON.parse((await query(sql, { fromLake: true })).out)).toEqual([{ n: 40 }]);
  expect(existsSync(path.join(lake.config.lake.uri, catalogExportPath('2020-01-01')))).toBe(false);
  all = [...all, ...later];
});

// ---------------------------------------------------------------- the command itself

test('npm run lake -- query: the result alone on stdout, the log line on stderr; a bad statement exits 3', async () => {
  const env = {
    ...pgEnvironment(db.config),
    LAKE_URI: lake.config.lake.uri,
    LAKE_TMP_DIR: lake.config.lake.tempDir,
  };
  const sql = `SELECT type, count(*) AS n FROM events WHERE type IN ('item_liked', 'user_created') AND date = '${DAY}' GROUP BY type ORDER BY type`;
  const ok = startNode(['dist/lake/main.js', 'query', sql, '--format', 'csv'], env);
  expect(await ok.exited).toBe(0);
  const counts = ['item_liked', 'user_created'].map(
    (type) => `${type},${all.filter((e) => e.type === type && isoDay(e.createdAtMs) === DAY).length}\r\n`,
  );
  expect(ok.stdout()).toBe(`type,n\r\n${counts.join('')}`);
  expect(ok.stderr()).toMatch(/INFO +lake-query rows=2 .*pruned_by=type,date plan=catalog query ran/);

  const bad = startNode(['dist/lake/main.js', 'query', 'SELECT nope FROM events'], env);
  expect(await bad.exited).toBe(3);
  expect(bad.stdout()).toBe('');
  expect(bad.stderr().trim().split('\n').at(-1)).toMatch(
    /ERROR lake-query failed error=query: Binder Error: Referenced column "nope"/,
  );

  const usage = startNode(['dist/lake/main.js', 'query', 'SELECT 1', '--format', 'xml'], env);
  expect(await usage.exited).toBe(2);
});

test('a lake file gone from under a query: a failure of the lake, not of the statement (exit 1)', async () => {
  const { rows } = await db.pool.query<{ path: string }>(
    "SELECT path FROM lake_files WHERE event_date = '2026-11-22' AND removed_at IS NULL AND content = 'events' LIMIT 1",
  );
  rmSync(path.join(lake.config.lake.uri, rows[0]!.path));
  const error = (await query("SELECT count(*) FROM events WHERE date = '2026-11-22'").catch(
    (e: unknown) => e,
  )) as Error;
  expect(error).not.toBeInstanceOf(InputError);
  expect(error.message).toMatch(
    /^a lake file cannot be read: IO Error: No files found that match the pattern ".*date=2026-11-22\/hour=\d\d\/[^"]+"$/,
  );
});

// ---------------------------------------------------------------- S3

describe('an s3:// lake', () => {
  let s3: TestS3;
  let s3Lake: TestLake;
  let events: TestEvent[];

  beforeAll(async () => {
    s3 = await startTestS3(['lake']);
    s3Lake = testLake(db, { ...s3.env, LAKE_URI: 's3://lake/prod/events-lake' });
    await db.pool.query('TRUNCATE lake_files, lake_ingests, lake_compactions CASCADE');
    events = makeEvents({ seed: 9, count: 800, fromMs: DAY_MS, toMs: DAY_MS + 24 * HOUR_MS });
    await s3Lake.ingest([...events.map(eventLine), MALFORMED[0]!.line]);
    await exportCatalogDays(db.pool, s3Lake.lake, await fileDates());
  });
  afterAll(async () => {
    s3Lake.close();
    await s3.stop();
  });

  test('queries download what the plan chose, answer right, and leave nothing behind', async () => {
    const keys: string[] = [];
    for await (const object of s3.store('lake').list('prod/events-lake/')) keys.push(object.key);
    expect(keys.some((key) => key.startsWith('prod/events-lake/events/type=page_view/'))).toBe(true);
    const sql = `SELECT count(*) AS n FROM events WHERE type = 'user_login' AND created_at >= '${DAY} 06:00' AND created_at < '${DAY} 09:00'`;
    const expected = events.filter(
      (e) => e.type === 'user_login' && e.createdAtMs >= DAY_MS + 6 * HOUR_MS && e.createdAtMs < DAY_MS + 9 * HOUR_MS,
    ).length;
    for (const fromLake of [false, true]) {
      const ran = await query(sql, { on: s3Lake, fromLake });
      expect(JSON.parse(ran.out)).toEqual([{ n: expected }]);
      expect(ran.summary.files.events.length).toBeLessThanOrEqual(3);
      expect(ran.summary.files.events.length).toBeGreaterThan(0);
    }
    const byType = await query('SELECT type, count(*) AS n FROM events GROUP BY type ORDER BY type', { on: s3Lake });
    expect(JSON.parse(byType.out)).toEqual(
      [...TYPES].sort().map((type) => ({ type, n: events.filter((e) => e.type === type).length })),
    );
    const quarantine = await query('SELECT decode(raw) AS raw FROM quarantine', { on: s3Lake, fromLake: true });
    expect(JSON.parse(quarantine.out)).toEqual([{ raw: MALFORMED[0]!.line }]);
    expect(readdirSync(s3Lake.config.lake.tempDir).filter((name) => name.startsWith('lake-'))).toEqual([]);
  });
});
