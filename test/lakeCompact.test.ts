import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { compactLake, packFiles, type CompactContext } from '../lake/compact';
import { compactCommand, parseCompactArgs } from '../lake/commands/compact';
import { DuckDb, literalList } from '../lake/duckdb';
import type { IngestContext } from '../lake/ingest';
import { openLake, type LakeStore } from '../lake/lakeStore';
import { compactedFilePath, partitionFolder, type Partition } from '../lake/partitions';
import type { Config } from '../lib/config';
import { ConfigError } from '../lib/errors';
import { runWorkflow } from '../scheduler/runWorkflow';
import { defineWorkflows } from '../scheduler/workflows';
import { createTestDatabase, type TestDatabase } from './support/database';
import { tempDir } from './support/files';
import {
  asStored,
  byId,
  ingestEvents,
  lakeConfig,
  livePaths,
  makeEvents,
  readLakeFiles,
  type TestEvent,
} from './support/lake';
import { captureLogger, type LogEntry } from './support/logs';

/**
 * Compaction against real Parquet files and the test PostgreSQL: lakes made by ingesting small
 * NDJSON files the tests write, so that what the lake must hold is known independently of it.
 */

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});
beforeEach(async () => {
  await db.pool.query('TRUNCATE lake_files, lake_compactions, lake_ingests, job_runs CASCADE');
});

interface Lake {
  config: Config;
  lake: LakeStore;
  ingest: IngestContext;
  compact: CompactContext;
  entries: LogEntry[];
  inbox: string;
  root: string;
}

function newLake(env: Record<string, string> = {}): Lake {
  const config = lakeConfig(db, env);
  const lake = openLake(config);
  const { logger, entries } = captureLogger();
  const ctx = { db: db.pool, lake, config, log: logger };
  const root = config.lake.location.kind === 'folder' ? config.lake.location.root : '';
  return { config, lake, ingest: ctx, compact: ctx, entries, inbox: tempDir('inbox-'), root };
}

const key = (p: Partition): string => `${p.type}/${p.date}/${p.hour}`;

/** The live files per partition, from the catalog. */
async function liveFilesByPartition(): Promise<
  Map<string, { path: string; bytes: number; compactionId: number | null }[]>
> {
  const { rows } = await db.pool.query<{
    event_type: string;
    event_date: string;
    event_hour: number;
    path: string;
    bytes: string;
    compaction_id: string | null;
  }>(
    `SELECT event_type, event_date, event_hour, path, bytes, compaction_id FROM lake_files
     WHERE content = 'events' AND removed_at IS NULL ORDER BY path`,
  );
  const byPartition = new Map<string, { path: string; bytes: number; compactionId: number | null }[]>();
  for (const row of rows) {
    const k = key({ type: row.event_type, date: row.event_date, hour: row.event_hour });
    byPartition.set(k, [
      ...(byPartition.get(k) ?? []),
      {
        path: row.path,
        bytes: Number(row.bytes),
        compactionId: row.compaction_id === null ? null : Number(row.compaction_id),
      },
    ]);
  }
  return byPartition;
}

function partitionOfEvent(event: TestEvent): Partition {
  const iso = new Date(event.createdAtMs).toISOString();
  return { type: event.type, date: iso.slice(0, 10), hour: Number(iso.slice(11, 13)) };
}

/** The true count of every events file's rows, by DuckDB over the given files. */
async function countRows(duck: DuckDb, local: readonly string[]): Promise<number> {
  const reader = await duck.connection.runAndReadAll(
    `SELECT count(*) AS n FROM read_parquet(${literalList(local)}, hive_partitioning = false)`,
  );
  return Number((reader.getRowObjects()[0] as { n: bigint }).n);
}

// ---------------------------------------------------------------- packing

test('packFiles: first fit decreasing under the target, only groups of two or more, files at the target left alone', () => {
  const files = (sizes: number[]) => sizes.map((bytes, i) => ({ path: `f${i}`, bytes }));
  const sizes = (groups: { bytes: number }[][]) => groups.map((group) => group.map((file) => file.bytes));
  expect(sizes(packFiles(files([10, 20, 30, 5]), 100))).toEqual([[30, 20, 10, 5]]);
  expect(sizes(packFiles(files([60, 50, 40, 30]), 100))).toEqual([
    [60, 40],
    [50, 30],
  ]);
  // 100 is the target itself: never rewritten; 70 and 40 do not fit together.
  expect(sizes(packFiles(files([100, 70, 40]), 100))).toEqual([]);
  expect(sizes(packFiles(files([100, 70, 40, 20, 25]), 100))).toEqual([
    [70, 25],
    [40, 20],
  ]);
  expect(packFiles(files([99]), 100)).toEqual([]);
});

// ---------------------------------------------------------------- compaction

test('an hour that arrived in many small files becomes one file: the same events, the catalog consistent, a second run does nothing', async () => {
  const l = newLake();
  const hours = ['2025-03-01T10', '2025-03-01T11'];
  const written: TestEvent[] = [];
  // Four ingests, each with events of both types in both hours: four files per partition.
  for (let i = 0; i < 4; i++) {
    const batch = hours.flatMap((hour) => [
      ...makeEvents('page_view', hour, 40),
      ...makeEvents('user_created', hour, 7),
    ]);
    written.push(...batch);
    expect(await ingestEvents(l.ingest, l.inbox, `batch-${i}.ndjson`, batch)).toMatchObject({ status: 'succeeded' });
  }
  // A late event for one hour: a fifth file there; and a partition of one file, which stays as it is.
  const late = makeEvents('page_view', hours[0]!, 1);
  const lonely = makeEvents('lonely', '2025-03-01T09', 5);
  written.push(...late, ...lonely);
  await ingestEvents(l.ingest, l.inbox, 'late.ndjson', [...late, ...lonely]);

  const before = await liveFilesByPartition();
  expect([...before.entries()].map(([k, files]) => [k, files.length])).toEqual([
    ['lonely/2025-03-01/9', 1],
    ['page_view/2025-03-01/10', 5],
    ['page_view/2025-03-01/11', 4],
    ['user_created/2025-03-01/10', 4],
    ['user_created/2025-03-01/11', 4],
  ]);
  const oldPaths = [...before.values()].flat().map((file) => file.path);
  const expected = written.map(asStored).sort(byId);
  expect(await readLakeFiles(l.config, l.lake, oldPaths)).toEqual(expected);

  const summary = await compactLake(l.compact, { maxPartitions: 100 });
  expect(summary).toMatchObject({ candidates: 4, failed: 0 });

  const after = await liveFilesByPartition();
  expect([...after.entries()].map(([k, files]) => [k, files.length])).toEqual([
    ['lonely/2025-03-01/9', 1],
    ['page_view/2025-03-01/10', 1],
    ['page_view/2025-03-01/11', 1],
    ['user_created/2025-03-01/10', 1],
    ['user_created/2025-03-01/11', 1],
  ]);
  expect(after.get('lonely/2025-03-01/9')).toEqual(before.get('lonely/2025-03-01/9'));

  // The events, read by DuckDB from the files the catalog now names, are the ones written, once each.
  const live = await livePaths(db.pool);
  expect(await readLakeFiles(l.config, l.lake, live)).toEqual(expected);
  // Each compacted file holds exactly its partition's events, in created_at order.
  for (const done of summary.compacted) {
    const file = after.get(key(done))![0]!;
    expect(file.path).toBe(compactedFilePath(done, done.compactionId, 1));
    const mine = written.filter((event) => key(partitionOfEvent(event)) === key(done));
    expect(await readLakeFiles(l.config, l.lake, [file.path])).toEqual(mine.map(asStored).sort(byId));
  }

  // The catalog: one lake_compactions row per partition with its counts; the new file's row with
  // its compaction, rows, size and time range; the old rows removed, the old files still there.
  const compactions = await db.pool.query(
    `SELECT compaction_id, event_type, event_date, event_hour, files_in, files_out, rows, bytes_in, bytes_out
     FROM lake_compactions ORDER BY event_type, event_date, event_hour`,
  );
  expect(compactions.rows).toHaveLength(4);
  for (const row of compactions.rows as Record<string, string | number>[]) {
    const partition = {
      type: row.event_type as string,
      date: row.event_date as string,
      hour: row.event_hour as number,
    };
    const mine = written.filter((event) => key(partitionOfEvent(event)) === key(partition));
    const oldFiles = before.get(key(partition))!;
    const newFile = after.get(key(partition))![0]!;
    expect(row).toMatchObject({
      files_in: oldFiles.length,
      files_out: 1,
      rows: String(mine.length),
      bytes_in: String(oldFiles.reduce((sum, file) => sum + file.bytes, 0)),
      bytes_out: String(statSync(path.join(l.root, newFile.path)).size),
    });
    const { rows: fileRows } = await db.pool.query(
      'SELECT rows, bytes, min_created_at, max_created_at, ingest_id, compaction_id FROM lake_files WHERE path = $1',
      [newFile.path],
    );
    expect(fileRows[0]).toEqual({
      rows: String(mine.length),
      bytes: String(statSync(path.join(l.root, newFile.path)).size),
      min_created_at: new Date(Math.min(...mine.map((event) => event.createdAtMs))),
      max_created_at: new Date(Math.max(...mine.map((event) => event.createdAtMs))),
      ingest_id: null,
      compaction_id: row.compaction_id,
    });
    const { rows: replaced } = await db.pool.query(
      'SELECT path FROM lake_files WHERE path = ANY($1) AND removed_at IS NOT NULL',
      [oldFiles.map((file) => file.path)],
    );
    expect(replaced).toHaveLength(oldFiles.length);
    for (const file of oldFiles) expect(existsSync(path.join(l.root, file.path))).toBe(true);
  }

  // Rows sorted by created_at inside a compacted file: what lets a reader skip row groups by time.
  const duck = await DuckDb.open({ memoryLimitMb: 128, threads: 1, spillDir: tempDir('spill-') });
  try {
    const file = path.join(l.root, after.get('page_view/2025-03-01/10')![0]!.path);
    const reader = await duck.connection.runAndReadAll(
      `SELECT count(*) FILTER (WHERE created_at < previous) AS unsorted FROM (
         SELECT created_at, lag(created_at) OVER (ORDER BY file_row_number) AS previous
         FROM read_parquet(${literalList([file])}, file_row_number = true))`,
    );
    expect(Number((reader.getRowObjects()[0] as { unsorted: bigint }).unsorted)).toBe(0);
  } finally {
    duck.close();
  }

  // One line per partition, and a summary.
  const lines = l.entries.filter((entry) => entry.message === 'partition compacted');
  expect(lines).toHaveLength(4);
  expect(lines).toContainEqual(
    expect.objectContaining({
      type: 'page_view',
      date: '2025-03-01',
      hour: 10,
      files_in: 5,
      files_out: 1,
      rows: 161,
      bytes_in: expect.any(Number),
      bytes_out: expect.any(Number),
      duration_ms: expect.any(Number),
    }),
  );
  expect(l.entries.find((entry) => entry.message === 'compaction finished')).toMatchObject({
    candidates: 4,
    partitions: 4,
    files_in: 17,
    files_out: 4,
    rows: written.length - lonely.length,
  });

  // Nothing left to do.
  l.entries.length = 0;
  const again = await compactLake(l.compact, { maxPartitions: 100 });
  expect(again).toMatchObject({ candidates: 0, compacted: [], failed: 0 });
  expect((await db.pool.query('SELECT count(*)::int AS n FROM lake_compactions')).rows[0].n).toBe(4);
  expect(await livePaths(db.pool)).toEqual(live);
  l.lake.close();
});

test('an hour over the target becomes files of at most the target, and stays so', async () => {
  const l = newLake({ LAKE_TARGET_FILE_MB: '1' });
  const written: TestEvent[] = [];
  // About 0.4 MiB of barely compressible attributes per file: two fit in 1 MiB, three do not.
  for (let i = 0; i < 4; i++) {
    const batch = makeEvents('big', '2025-03-02T05', 1000, 400);
    written.push(...batch);
    await ingestEvents(l.ingest, l.inbox, `big-${i}.ndjson`, batch);
  }
  const before = (await liveFilesByPartition()).get('big/2025-03-02/5')!;
  expect(before).toHaveLength(4);
  for (const file of before) {
    expect(file.bytes).toBeGreaterThan(0.34 * 2 ** 20);
    expect(file.bytes).toBeLessThan(0.5 * 2 ** 20);
  }

  const summary = await compactLake(l.compact, { maxPartitions: 100 });
  expect(summary.compacted).toEqual([expect.objectContaining({ filesIn: 4, filesOut: 2, rows: 4000 })]);
  const after = (await liveFilesByPartition()).get('big/2025-03-02/5')!;
  expect(after).toHaveLength(2);
  for (const file of after) expect(file.bytes).toBeLessThanOrEqual(l.config.lake.targetFileBytes);
  expect(await readLakeFiles(l.config, l.lake, await livePaths(db.pool))).toEqual(written.map(asStored).sort(byId));
  expect(await compactLake(l.compact, { maxPartitions: 100 })).toMatchObject({ candidates: 0 });
  l.lake.close();
});

test('queries planning from the catalog while compaction runs (and an ingest of the same hours) count every event once', async () => {
  const l = newLake();
  const hours = Array.from({ length: 10 }, (_, i) => `2025-03-03T${String(i + 8).padStart(2, '0')}`);
  const types = ['click', 'page_view', 'signup', 'purchase'];
  const written: TestEvent[] = [];
  for (let i = 0; i < 4; i++) {
    const batch = types.flatMap((type) => hours.flatMap((hour) => makeEvents(type, hour, 5)));
    written.push(...batch);
    await ingestEvents(l.ingest, l.inbox, `batch-${i}.ndjson`, batch);
  }
  const partitions = types.length * hours.length;
  expect(await livePaths(db.pool)).toHaveLength(partitions * 4);
  // The ingest meanwhile: new events of the same hours, and events the lake already has.
  const fresh = types.flatMap((type) => hours.map((hour) => makeEvents(type, hour, 1)[0]!));
  const again = written.filter((_, i) => i % 10 === 0);
  const total = written.length;

  const duck = await DuckDb.open({ memoryLimitMb: 256, threads: 2, spillDir: tempDir('spill-') });
  const observed: { files: number; count: number }[] = [];
  let done = false;
  const reader = (async () => {
    while (!done) {
      // As a query plans: the live files in one statement, then their rows.
      const live = await livePaths(db.pool);
      observed.push({ files: live.length, count: await countRows(duck, await l.lake.localPaths(live, '')) });
    }
  })();
  try {
    const [summary] = await Promise.all([
      compactLake(l.compact, { maxPartitions: 1000 }),
      ingestEvents(l.ingest, l.inbox, 'meanwhile.ndjson', [...fresh, ...again]),
    ]);
    expect(summary.failed).toBe(0);
  } finally {
    done = true;
    await reader;
    duck.close();
  }

  // Never double, never missing: before the ingest committed, or after.
  const counts = new Set(observed.map((o) => o.count));
  expect([...counts].filter((count) => count !== total && count !== total + fresh.length)).toEqual([]);
  // And the reader did see the lake change under it: at the start, half-compacted, at the end.
  expect(new Set(observed.map((o) => o.files)).size).toBeGreaterThanOrEqual(3);

  const live = await livePaths(db.pool);
  expect(await readLakeFiles(l.config, l.lake, live)).toEqual([...written, ...fresh].map(asStored).sort(byId));
  // Every old file is still there: maintenance deletes them after LAKE_FILE_GRACE only.
  const { rows: removed } = await db.pool.query<{ path: string }>(
    'SELECT path FROM lake_files WHERE removed_at IS NOT NULL',
  );
  expect(removed.length).toBeGreaterThanOrEqual(partitions * 3);
  for (const { path: file } of removed) expect(existsSync(path.join(l.root, file))).toBe(true);
  l.lake.close();
});

test('a compaction that fails before its commit changes nothing readers see; the next run does it', async () => {
  const l = newLake();
  const written = [...makeEvents('page_view', '2025-03-04T01', 20), ...makeEvents('page_view', '2025-03-04T01', 20)];
  await ingestEvents(l.ingest, l.inbox, 'a.ndjson', written.slice(0, 20));
  await ingestEvents(l.ingest, l.inbox, 'b.ndjson', written.slice(20));
  const before = await livePaths(db.pool);

  // The file reaches the lake, then the process "dies" before the commit: its cleanup fails too.
  const dying: LakeStore = {
    url: (p) => l.lake.url(p),
    stagingFolder: (name) => l.lake.stagingFolder(name),
    localPaths: (paths, folder) => l.lake.localPaths(paths, folder),
    list: (prefix) => l.lake.list(prefix),
    removeStaleStaging: (olderThan, dryRun) => l.lake.removeStaleStaging(olderThan, dryRun),
    close: () => l.lake.close(),
    publish: async (file, relativePath) => {
      await l.lake.publish(file, relativePath);
      throw new Error('the process died here');
    },
    remove: () => Promise.reject(new Error('and could not clean up')),
  };
  const summary = await compactLake({ ...l.compact, lake: dying }, { maxPartitions: 10 });
  expect(summary).toMatchObject({ candidates: 1, compacted: [], failed: 1 });
  expect(l.entries.find((entry) => entry.message === 'partition not compacted; its files are unchanged')).toMatchObject(
    {
      type: 'page_view',
      hour: 1,
      error: expect.stringContaining('the process died here'),
    },
  );
  expect(await livePaths(db.pool)).toEqual(before);
  expect((await db.pool.query('SELECT count(*)::int AS n FROM lake_compactions')).rows[0].n).toBe(0);
  // What it moved into the lake is an orphan: no row names it (maintenance deletes it after the grace).
  const folder = partitionFolder({ type: 'page_view', date: '2025-03-04', hour: 1 });
  const orphans: string[] = [];
  for await (const file of l.lake.list(folder)) if (!before.includes(file.path)) orphans.push(file.path);
  expect(orphans).toEqual([expect.stringMatching(/\/compaction-\d+-1\.parquet$/)]);
  expect(await readLakeFiles(l.config, l.lake, before)).toEqual(written.map(asStored).sort(byId));

  expect(await compactLake(l.compact, { maxPartitions: 10 })).toMatchObject({
    failed: 0,
    compacted: [expect.anything()],
  });
  expect(await readLakeFiles(l.config, l.lake, await livePaths(db.pool))).toEqual(written.map(asStored).sort(byId));
  l.lake.close();
});

// ---------------------------------------------------------------- the command and the workflow

test('npm run lake -- compact: --type, --date and --hour choose the partitions; bad arguments are exit 2', async () => {
  expect(parseCompactArgs(['--type', 'page_view', '--date', '2025-03-05', '--hour', '7', '--limit', '3'])).toEqual({
    type: 'page_view',
    date: '2025-03-05',
    hour: 7,
    maxPartitions: 3,
  });
  for (const bad of [
    ['--type', '../x'],
    ['--date', '2025-02-30'],
    ['--hour', '24'],
    ['--limit', '0'],
    ['--type'],
    ['page_view'],
  ]) {
    expect(() => parseCompactArgs(bad)).toThrow(ConfigError);
  }

  const l = newLake();
  for (let i = 0; i < 2; i++) {
    await ingestEvents(l.ingest, l.inbox, `c-${i}.ndjson`, [
      ...makeEvents('page_view', '2025-03-05T07', 3),
      ...makeEvents('page_view', '2025-03-05T08', 3),
      ...makeEvents('signup', '2025-03-05T07', 3),
    ]);
  }
  const { logger, entries } = captureLogger();
  const stop = new AbortController();
  expect(await compactCommand(['--type', 'page_view', '--hour', '7'], l.config, logger, stop.signal)).toBe(0);
  expect(entries.filter((entry) => entry.message === 'partition compacted')).toEqual([
    expect.objectContaining({ type: 'page_view', date: '2025-03-05', hour: 7, files_in: 2, files_out: 1, rows: 6 }),
  ]);
  expect([...(await liveFilesByPartition()).entries()].map(([k, files]) => [k, files.length])).toEqual([
    ['page_view/2025-03-05/7', 1],
    ['page_view/2025-03-05/8', 2],
    ['signup/2025-03-05/7', 2],
  ]);
  l.lake.close();
});

test('the lake_compact workflow: on LAKE_COMPACT_SCHEDULE, compacting what the catalog lists, its run id recorded', async () => {
  const l = newLake({ LAKE_COMPACT_SCHEDULE: '5 * * * *' });
  const workflow = defineWorkflows(l.config).find((w) => w.name === 'lake_compact')!;
  expect(workflow).toMatchObject({ schedule: '5 * * * *', timezone: 'UTC' });
  for (let i = 0; i < 3; i++)
    await ingestEvents(l.ingest, l.inbox, `w-${i}.ndjson`, makeEvents('signup', '2025-03-06T12', 4));
  const { logger } = captureLogger();
  const outcome = await runWorkflow(db.pool, workflow, { trigger: 'manual', params: {} }, logger);
  expect(outcome).toMatchObject({ status: 'succeeded', rows: 12 });
  const { rows } = await db.pool.query('SELECT run_id, files_in, files_out, rows FROM lake_compactions');
  expect(rows).toEqual([{ run_id: outcome.runId, files_in: 3, files_out: 1, rows: '12' }]);
  l.lake.close();
});
