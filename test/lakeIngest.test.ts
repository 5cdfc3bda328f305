import { copyFileSync, existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { resolveParams } from '../scheduler/workflow';
import { runWorkflow, type RunOutcome } from '../scheduler/runWorkflow';
import { lakeIngest } from '../scheduler/workflows/lakeIngest';
import { captureLogger } from './support/logs';
import { pgEnvironment } from './support/server';
import { createTestDatabase, type TestDatabase } from './support/database';
import { tempDir, writeFile } from './support/files';
import { eventText, openTestLake, readParquet, type TestLake } from './support/lake';
import { killStarted, startNode, waitUntil } from './support/processes';
import { startTestS3, type TestS3 } from './support/s3';

/**
 * The ingest (docs/lake.md, "Ingest"), against real files and a real PostgreSQL: what each rule
 * quarantines, byte for byte; where hostile types end up (nowhere outside the lake); each event
 * once across files and re-ingests; a kill in the middle; the S3 mode.
 */

let db: TestDatabase;
let lake: TestLake;

beforeAll(async () => {
  db = await createTestDatabase();
});

beforeEach(() => {
  lake = openTestLake(db.pool);
});

afterEach(async () => {
  lake.close();
  await db.pool.query('TRUNCATE lake_files, lake_ingests, lake_compactions CASCADE');
});

afterAll(async () => {
  killStarted();
  await db.drop();
});

const HOUR = 3600_000;
const T0 = Date.UTC(2026, 10, 30, 10);

function root(test: TestLake): string {
  const location = test.config.lake.location;
  if (location.kind !== 'folder') throw new Error('a folder lake was expected');
  return location.root;
}

/** Every file under a folder, relative to it, with '/' separators. */
function filesUnder(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

async function catalogFiles(content: 'events' | 'quarantine'): Promise<{ path: string; rows: number }[]> {
  const { rows } = await db.pool.query<{ path: string; rows: string }>(
    'SELECT path, rows FROM lake_files WHERE content = $1 AND removed_at IS NULL ORDER BY path',
    [content],
  );
  return rows.map((row) => ({ path: row.path, rows: Number(row.rows) }));
}

async function lakeIds(test: TestLake): Promise<string[]> {
  const files = (await catalogFiles('events')).map((file) => path.join(root(test), file.path));
  if (files.length === 0) return [];
  const rows = await readParquet<{ id: string }>(files, 'id');
  return rows.map((row) => row.id).sort();
}

interface Quarantined {
  line: bigint;
  reason: string;
  raw: { bytes: Uint8Array };
}

async function quarantined(test: TestLake): Promise<{ line: number; reason: string; raw: Buffer }[]> {
  const files = (await catalogFiles('quarantine')).map((file) => path.join(root(test), file.path));
  if (files.length === 0) return [];
  const rows = await readParquet<Quarantined>(files, 'line, reason, raw');
  return rows
    .map((row) => ({ line: Number(row.line), reason: row.reason, raw: Buffer.from(row.raw.bytes) }))
    .sort((a, b) => a.line - b.line);
}

const valid = (id: string, type = 'user_created', at = T0): string => eventText(id, type, at, { user_id: `u-${id}` });

/** One line per rule break, with the reason the ingest must give it. */
function ruleBreaks(): [string | Buffer, string][] {
  const at = T0;
  const meta = `"meta":{"created_at":${at}}`;
  return [
    [`{"data":{"id":"long","type":"t","attributes":{"pad":"${'a'.repeat(1024 * 1024)}"}},${meta}}`, 'line_too_long'],
    [
      Buffer.concat([
        Buffer.from('{"data":{"id":"u8","type":"t'),
        Buffer.from([0xff, 0xc3]),
        Buffer.from(`"},${meta}}`),
      ]),
      'invalid_utf8',
    ],
    ['{"data":{"id":"tc","type":"t","attributes":{}},"meta":{"created_at":1,},}', 'not_json'],
    ['{"data":{"id":"nan","type":"t","attributes":{"x":NaN}},' + meta + '}', 'not_json'],
    ["{'data':1}", 'not_json'],
    ['{"data":{"id":"cut","type":"t","attri', 'not_json'],
    ['[1,2,3]', 'not_object'],
    ['"just text"', 'not_object'],
    ['null', 'not_object'],
    ['{"data":{"id":"nm","type":"t","attributes":{}}}', 'missing_field'],
    [`{"data":{"type":"t","attributes":{}},${meta}}`, 'missing_field'],
    ['{"data":{"id":"nc","type":"t","attributes":{}},"meta":{"service":"a"}}', 'missing_field'],
    [`{"data":"x",${meta}}`, 'wrong_type'],
    [`{"data":{"id":7,"type":"t","attributes":{}},${meta}}`, 'wrong_type'],
    [`{"data":{"id":"arr","type":"t","attributes":[1]},${meta}}`, 'wrong_type'],
    [`{"data":{"id":"nul","type":"t","attributes":null},${meta}}`, 'wrong_type'],
    [`{"data":{"id":"str","type":"t","attributes":{}},"meta":{"created_at":"${at}"}}`, 'wrong_type'],
    [`{"data":{"id":"flt","type":"t","attributes":{}},"meta":{"created_at":${at}.5}}`, 'wrong_type'],
    [`{"data":{"id":"","type":"t","attributes":{}},${meta}}`, 'bad_id'],
    [`{"data":{"id":"${'i'.repeat(257)}","type":"t","attributes":{}},${meta}}`, 'bad_id'],
    [eventText('sec', 't', Math.floor(at / 1000)), 'created_at_out_of_range'],
    [eventText('far', 't', Date.UTC(2200, 0, 1)), 'created_at_out_of_range'],
    [eventText('dk1', 't', at).replace(/}$/, `,"data":{"id":"dk2","type":"t","attributes":{}}}`), 'duplicate_key'],
  ];
}

/** Types that must never become a folder: each one's event goes to quarantine as unsafe_type. */
const HOSTILE_TYPES = [
  '../escaped',
  '../../etc',
  'a/b',
  '/abs',
  'type=x',
  '',
  'x'.repeat(101),
  'a\u0000b',
  'UserCreated',
  'ünïcode',
  '😀',
  'rtl\u202eevil',
  'a\\b',
  'with space',
  '.hidden',
  '%2e%2e',
];

describe('validation and quarantine', () => {
  test('every rule break is quarantined with its reason, its line number and its exact bytes', async () => {
    const breaks = ruleBreaks();
    const hostile: [string, string][] = HOSTILE_TYPES.map((type, i) => [eventText(`h${i}`, type, T0), 'unsafe_type']);
    // Escapes that JSON.parse and DuckDB each decode, and that must not look like a repeated key.
    const escaped = `{"data":{"id":"\\u00e9t\\u00e9 \\"q\\" \\/","type":"t","attributes":{"e":"\\ud83d\\ude00"}},"meta":{"created_at":${T0}}}`;
    const lines: (string | Buffer)[] = [
      escaped,
      valid('ok1'),
      '',
      ...breaks.map(([line]) => line),
      '   ',
      valid('ok2') + '\r',
      '\t',
      ...hostile.map(([line]) => line),
      valid('ok3'),
    ];
    const body = Buffer.concat(lines.map((line) => Buffer.concat([Buffer.from(line), Buffer.from('\n')])));
    const folder = tempDir('ingest-');
    const file = writeFile(folder, 'events.ndjson', body);

    const [summary] = await lake.ingest(file);

    const expected = [...breaks, ...hostile].map(([line, reason]) => ({ raw: Buffer.from(line), reason }));
    expect(summary).toMatchObject({
      status: 'succeeded',
      linesRead: lines.length,
      eventsWritten: 4,
      quarantined: expected.length,
      duplicates: 0,
      blankLines: 3,
    });
    const got = await quarantined(lake);
    expect(got.map(({ reason }) => reason)).toEqual(expected.map(({ reason }) => reason));
    for (const [i, row] of got.entries()) {
      expect(row.raw.equals(expected[i]!.raw)).toBe(true);
      // The line number points at that very line of the file.
      expect(Buffer.from(lines[row.line - 1]!).equals(row.raw)).toBe(true);
    }
    expect(await lakeIds(lake)).toEqual(['ok1', 'ok2', 'ok3', 'été "q" /']);
  });

  test('hostile types never leave the lake root: every file is where the layout puts it', async () => {
    const parent = tempDir('hostile-');
    const test = openTestLake(db.pool, { LAKE_URI: path.join(parent, 'lake') });
    try {
      const lines = HOSTILE_TYPES.map((type, i) => eventText(`h${i}`, type, T0));
      await test.ingest(writeFile(tempDir('src-'), 'hostile.ndjson', [...lines, valid('fine')]));
      expect(readdirSync(parent)).toEqual(['lake']);
      const layout =
        /^(events\/type=[a-z0-9][a-z0-9_.-]{0,99}\/date=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/[\w.-]+\.parquet|quarantine\/date=\d{4}-\d{2}-\d{2}\/ingest-\d+\.parquet|_catalog\/date=\d{4}-\d{2}-\d{2}\.json)$/;
      const files = filesUnder(path.join(parent, 'lake')).filter((file) => !file.startsWith('_staging/'));
      // An events file, the quarantine, and the catalog's exports of their two dates.
      expect(files.length).toBe(4);
      for (const file of files) expect(file).toMatch(layout);
    } finally {
      test.close();
    }
  });

  test('a raw-event-<type> source holds only its type; a gzip source reads as the plain one', async () => {
    const folder = path.join(tempDir('typed-'), 'raw-event-user_created');
    mkdirSync(folder);
    const lines = [valid('a'), valid('b', 'order_placed'), valid('c')];
    writeFileSync(path.join(folder, 'part-1.ndjson.gz'), gzipSync(`${lines.join('\n')}\n`));

    const [summary] = await lake.ingest(path.dirname(folder));

    expect(summary).toMatchObject({ eventsWritten: 2, quarantined: 1, reasons: { type_mismatch: 1 } });
    expect((await quarantined(lake)).map((row) => [row.line, row.raw.toString()])).toEqual([[2, lines[1]]]);
  });
});

describe('each event once', () => {
  const spread = (i: number): number => T0 + (i % 3) * HOUR;
  const typeOf = (i: number): string => (i % 2 === 0 ? 'user_created' : 'order_placed');
  const lineOf = (i: number): string => valid(`e${i}`, typeOf(i), spread(i));

  test('duplicates within a file, across files and in re-ingests are not written again', async () => {
    const folder = tempDir('dups-');
    const first = writeFile(
      folder,
      'a.ndjson',
      Array.from({ length: 100 }, (_, i) => lineOf(i)),
    );
    // 50 events the lake has already, 50 new ones, and one of them delivered twice.
    const secondLines = Array.from({ length: 100 }, (_, i) => lineOf(50 + i));
    const second = writeFile(folder, 'b.ndjson', [...secondLines, lineOf(149)]);

    const [a] = await lake.ingest(first);
    const [b] = await lake.ingest(second);

    expect(a).toMatchObject({ status: 'succeeded', linesRead: 100, eventsWritten: 100, duplicates: 0 });
    expect(b).toMatchObject({ status: 'succeeded', linesRead: 101, eventsWritten: 50, duplicates: 51 });
    const expectedIds = Array.from({ length: 150 }, (_, i) => `e${i}`).sort();
    expect(await lakeIds(lake)).toEqual(expectedIds);
    const rows = (await catalogFiles('events')).reduce((sum, file) => sum + file.rows, 0);
    expect(rows).toBe(150);

    // The same file again: not even read. The same bytes under another name, or touched: read, and skipped.
    const [again] = await lake.ingest(first);
    expect(again).toMatchObject({ status: 'unchanged', sameAs: a!.ingestId });
    const copy = path.join(folder, 'copy-of-a.ndjson');
    copyFileSync(first, copy);
    const [copied] = await lake.ingest(copy);
    expect(copied).toMatchObject({ status: 'skipped', sameAs: a!.ingestId, eventsWritten: 0 });
    utimesSync(first, new Date(), new Date(Date.now() + 5000));
    const [touched] = await lake.ingest(first);
    expect(touched).toMatchObject({ status: 'skipped', sameAs: a!.ingestId });
    expect(await lakeIds(lake)).toEqual(expectedIds);
    const { rows: ingests } = await db.pool.query<{ status: string }>(
      'SELECT status FROM lake_ingests ORDER BY ingest_id',
    );
    expect(ingests.map((row) => row.status)).toEqual(['succeeded', 'succeeded', 'skipped', 'skipped']);
  });

  test('lines read by DuckDB straight and lines staged with care land alike, and share the first-line-wins rule', async () => {
    // Plain lines go to the bucket files; a backslash, a '\r', or a key of the event twice make a
    // line go the careful way (lake/checkLines.ts). Both ways must give JSON.parse's event.
    const careful = [
      eventText('esc', 'user_created', T0, { name: 'say "hi"\\now', path: 'C:\\temp' }),
      eventText('uni', 'user_created', T0, { name: '\u00e9\u4e2d\ud83d\ude00' }).replace('\u00e9', '\\u00e9'),
      `${eventText('cr', 'user_created', T0 + HOUR, { n: 1 })}\r`,
      eventText('keys', 'user_created', T0, { type: 'not the type', id: 'not the id', data: 1 }),
    ];
    const plain = [eventText('p1', 'user_created', T0, { n: 1 }), eventText('p2', 'order.placed', T0 + 2 * HOUR)];
    // 'esc' again (a plain line now, later): dropped; 'p1' again the careful way, later: dropped.
    const repeats = [eventText('esc', 'user_created', T0), `${eventText('p1', 'user_created', T0)}\r`];
    const lines = [...careful, ...plain, ...repeats];
    const [summary] = await lake.ingest(writeFile(tempDir('paths-'), 'a.ndjson', lines));
    expect(summary).toMatchObject({ linesRead: 8, eventsWritten: 6, duplicates: 2, quarantined: 0 });

    const files = (await catalogFiles('events')).map((file) => path.join(root(lake), file.path));
    const rows = await readParquet<{
      id: string;
      type: string;
      created_at: Date;
      attributes: string;
      source_line: bigint;
    }>(files, 'id, type, created_at, attributes, source_line');
    const expected = [...careful, ...plain].map((line, index) => {
      const event = JSON.parse(line) as {
        data: { id: string; type: string; attributes: object };
        meta: { created_at: number };
      };
      return {
        id: event.data.id,
        type: event.data.type,
        createdAt: event.meta.created_at,
        attributes: event.data.attributes,
        line: index + 1,
      };
    });
    const written = rows.map((row) => ({
      id: row.id,
      type: row.type,
      createdAt: new Date(row.created_at).getTime(),
      attributes: JSON.parse(row.attributes) as object,
      line: Number(row.source_line),
    }));
    const byId = (a: { id: string }, b: { id: string }): number => a.id.localeCompare(b.id);
    expect(written.sort(byId)).toEqual(expected.sort(byId));
  });

  test('the check is per partition: the same id with another type or hour is another event (docs/lake.md)', async () => {
    const folder = tempDir('limit-');
    await lake.ingest(writeFile(folder, 'a.ndjson', [valid('same', 'user_created', T0)]));
    const [b] = await lake.ingest(writeFile(folder, 'b.ndjson', [valid('same', 'user_created', T0 + 2 * HOUR)]));
    expect(b).toMatchObject({ eventsWritten: 1, duplicates: 0 });
    expect(await lakeIds(lake)).toEqual(['same', 'same']);
  });
});

test('a kill in the middle of an ingest leaves nothing visible, and the same source then goes in whole', async () => {
  const folder = tempDir('kill-');
  // Many partitions (types × hours), so that moving the files into the lake takes a while.
  const lines = Array.from({ length: 30_000 }, (_, i) => valid(`k${i}`, `type_${i % 150}`, T0 + (i % 24) * HOUR));
  const file = writeFile(folder, 'big.ndjson', lines);
  const lakeRoot = root(lake);
  const env = {
    ...pgEnvironment(db.config),
    LAKE_URI: lakeRoot,
    LAKE_TMP_DIR: tempDir('kill-tmp-'),
    LAKE_MEMORY_MB: '256',
  };

  const ingest = startNode(['dist/lake/main.js', 'ingest', file], env);
  await waitUntil(() => filesUnder(path.join(lakeRoot, 'events')).length > 0, 60_000, ingest);
  process.kill(-ingest.child.pid!, 'SIGKILL');
  await ingest.exited;

  const { rows: killed } = await db.pool.query<{ status: string }>('SELECT status FROM lake_ingests');
  expect(killed.map((row) => row.status)).toEqual(['running']);
  expect(await catalogFiles('events')).toEqual([]);
  // It had moved files into the lake: orphans, which no reader plans with (maintenance deletes them).
  expect(filesUnder(path.join(lakeRoot, 'events')).length).toBeGreaterThan(0);

  const [rerun] = await lake.ingest(file);
  expect(rerun).toMatchObject({ status: 'succeeded', linesRead: 30_000, eventsWritten: 30_000, duplicates: 0 });
  const ids = await lakeIds(lake);
  expect(ids.length).toBe(30_000);
  expect(new Set(ids).size).toBe(30_000);
}, 120_000);

test('lake_ingest takes the new files of LAKE_INBOX, one task per file, and leaves the taken ones alone', async () => {
  const inbox = tempDir('inbox-');
  const test = openTestLake(db.pool, { LAKE_INBOX: inbox });
  const run = async (): Promise<RunOutcome> => {
    const workflow = lakeIngest(test.config);
    return runWorkflow(
      db.pool,
      workflow,
      { trigger: 'manual', params: resolveParams(workflow, {}) },
      captureLogger().logger,
    );
  };
  try {
    writeFile(inbox, 'a.ndjson', [valid('w1'), valid('w2')]);
    mkdirSync(path.join(inbox, 'raw-event-order_placed'));
    writeFile(inbox, 'raw-event-order_placed/b.ndjson', [valid('w3', 'order_placed'), valid('w1')]);
    writeFile(inbox, 'manifest.json', '{}');

    expect(await run()).toMatchObject({ status: 'succeeded', rows: 3 });
    const { rows: tasks } = await db.pool.query<{ item: string; rows: string }>(
      "SELECT item, rows FROM task_runs WHERE task = 'ingest' ORDER BY item",
    );
    expect(tasks.map((t) => [path.basename(t.item), Number(t.rows)])).toEqual([
      ['a.ndjson', 2],
      ['b.ndjson', 1],
    ]);
    // b's second line is a user_created event in raw-event-order_placed.
    const { rows: b } = await db.pool.query(
      "SELECT quarantine_reasons FROM lake_ingests WHERE source LIKE '%b.ndjson'",
    );
    expect(b[0].quarantine_reasons).toEqual({ type_mismatch: 1 });

    expect(await run()).toMatchObject({ status: 'succeeded', rows: 0 });
    writeFile(inbox, 'c.ndjson.gz', gzipSync(`${valid('w4')}\n`));
    expect(await run()).toMatchObject({ status: 'succeeded', rows: 1 });
    expect(await lakeIds(test)).toEqual(['w1', 'w2', 'w3', 'w4']);
  } finally {
    test.close();
  }
});

describe('an s3:// lake and source', () => {
  let s3: TestS3;

  beforeAll(async () => {
    s3 = await startTestS3(['lake-test', 'inbox-test']);
  });

  afterAll(async () => {
    await s3.stop();
  });

  test('files go to the bucket under the prefix, the quarantine keeps the exact bytes', async () => {
    const test = openTestLake(db.pool, { ...s3.env, LAKE_URI: 's3://lake-test/lake' });
    const store = s3.store('lake-test');
    try {
      const bad = Buffer.concat([Buffer.from('{"data":'), Buffer.from([0xfe]), Buffer.from('}')]);
      const body = Buffer.concat([
        Buffer.from(`${valid('s1')}\n${valid('s2', 'order_placed')}\n`),
        bad,
        Buffer.from('\n'),
      ]);
      await s3.store('inbox-test').put('raw/part-1.ndjson', body);

      const [summary] = await test.ingest('s3://inbox-test/raw/');

      expect(summary).toMatchObject({ source: 's3://inbox-test/raw/part-1.ndjson', eventsWritten: 2, quarantined: 1 });
      const listed: string[] = [];
      for await (const object of store.list('lake/')) {
        if (!object.key.startsWith('lake/_catalog/')) listed.push(object.key.slice('lake/'.length));
      }
      const catalog = [...(await catalogFiles('events')), ...(await catalogFiles('quarantine'))].map((f) => f.path);
      expect(listed.sort()).toEqual(catalog.sort());
      const quarantineKey = (await catalogFiles('quarantine'))[0]!.path;
      const local = path.join(tempDir('s3-read-'), 'q.parquet');
      writeFileSync(local, await store.get(`lake/${quarantineKey}`));
      const [row] = await readParquet<Quarantined>([local], 'line, reason, raw');
      expect([Number(row!.line), row!.reason, Buffer.from(row!.raw.bytes).equals(bad)]).toEqual([
        3,
        'invalid_utf8',
        true,
      ]);
    } finally {
      test.close();
    }
  });
});
