import { copyFileSync, existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { maintainCommand } from '../lake/commands/maintain';
import { compactLake } from '../lake/compact';
import { openLake } from '../lake/lakeStore';
import { maintainLake, type MaintenanceSummary } from '../lake/maintain';
import { partitionFolder, quarantinePath } from '../lake/partitions';
import { ConfigError } from '../lib/errors';
import { querySqlFile } from '../lib/sqlFiles';
import { runWorkflow } from '../scheduler/runWorkflow';
import { defineWorkflows } from '../scheduler/workflows';
import { createTestDatabase, type TestDatabase } from './support/database';
import { tempDir } from './support/files';
import {
  asStored,
  byId,
  eventLine,
  ingestEvents,
  ingestLines,
  lakeConfig,
  livePaths,
  makeEvents,
  readLakeFiles,
  type TestEvent,
} from './support/lake';
import { captureLogger } from './support/logs';
import { startTestS3 } from './support/s3';

/**
 * Lake maintenance against real files (a folder lake, and an S3 lake on a real S3 server) and
 * the test PostgreSQL: what it deletes is exactly what it should, checked file by file against
 * what the test put there; abandoned ingests told from live ones by their lock.
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

const TWO_HOURS_AGO = new Date(Date.now() - 2 * 3600 * 1000);

/** Gives a file (or folder) an old modification time: how a leftover of a crash yesterday looks. */
function age(file: string): void {
  utimesSync(file, TWO_HOURS_AGO, TWO_HOURS_AGO);
}

function place(root: string, relativePath: string, from?: string): string {
  const file = path.join(root, relativePath);
  mkdirSync(path.dirname(file), { recursive: true });
  if (from === undefined) writeFileSync(file, 'left behind');
  else copyFileSync(from, file);
  return file;
}

async function insertIngest(startedAgo: string): Promise<number> {
  const { rows } = await db.pool.query<{ ingest_id: string }>(
    `INSERT INTO lake_ingests (source, source_version, started_at) VALUES ('/inbox/x.ndjson', '1:1', now() - $1::interval)
     RETURNING ingest_id`,
    [startedAgo],
  );
  return Number(rows[0]!.ingest_id);
}

async function ingestStatus(ingestId: number): Promise<{ status: string; error: string | null }> {
  const { rows } = await db.pool.query('SELECT status, error FROM lake_ingests WHERE ingest_id = $1', [ingestId]);
  return rows[0] as { status: string; error: string | null };
}

/** Every catalog row of a live file names a file that is there. */
async function liveFilesExist(root: string): Promise<void> {
  const { rows } = await db.pool.query<{ path: string }>('SELECT path FROM lake_files WHERE removed_at IS NULL');
  expect(rows.filter((row) => !existsSync(path.join(root, row.path)))).toEqual([]);
}

test('maintenance deletes replaced files past the grace, orphans and staging leftovers past it, marks abandoned ingests failed; nothing else', async () => {
  const config = lakeConfig(db);
  const root = (config.lake.location as { root: string }).root;
  const lake = openLake(config);
  const { logger, entries } = captureLogger();
  const ctx = { db: db.pool, lake, config, log: logger };
  const inbox = tempDir('inbox-');

  const written: TestEvent[] = [];
  for (let i = 0; i < 3; i++) {
    const batch = [...makeEvents('page_view', '2025-04-01T10', 6), ...makeEvents('page_view', '2025-04-01T11', 6)];
    written.push(...batch);
    await ingestEvents(ctx, inbox, `batch-${i}.ndjson`, batch);
  }
  // And a line for the quarantine: a live quarantine file.
  const last = makeEvents('page_view', '2025-04-01T11', 1);
  written.push(...last);
  await ingestLines(ctx, inbox, 'with-bad-line.ndjson', [...last.map(eventLine), '{"not": "an event"}']);
  expect(await compactLake(ctx, { maxPartitions: 10 })).toMatchObject({ failed: 0, compacted: [{}, {}] });

  // Replaced files: those of hour 10 long ago, those of hour 11 just now.
  const replacedOf = async (hour: number): Promise<string[]> =>
    (
      await db.pool.query<{ path: string }>(
        'SELECT path FROM lake_files WHERE removed_at IS NOT NULL AND event_hour = $1 ORDER BY path',
        [hour],
      )
    ).rows.map((row) => row.path);
  const expired = await replacedOf(10);
  const recent = await replacedOf(11);
  expect([expired.length, recent.length]).toEqual([3, 4]);
  await db.pool.query("UPDATE lake_files SET removed_at = now() - interval '2 hours' WHERE path = ANY($1)", [expired]);
  const live = await livePaths(db.pool);
  const { rows: quarantine } = await db.pool.query<{ path: string }>(
    "SELECT path FROM lake_files WHERE content = 'quarantine'",
  );
  expect(quarantine).toHaveLength(1);

  // Orphans: an ingest and a compaction that died before their commit, long ago and just now.
  const someParquet = path.join(root, live[0]!);
  const oldOrphans = [
    `${partitionFolder({ type: 'page_view', date: '2025-04-01', hour: 10 })}ingest-999999-0.parquet`,
    `${partitionFolder({ type: 'page_view', date: '2025-04-01', hour: 11 })}compaction-999999-1.parquet`,
    quarantinePath(999_998, new Date('2025-04-01T12:00:00Z')),
  ];
  const newOrphan = `${partitionFolder({ type: 'page_view', date: '2025-04-01', hour: 11 })}ingest-999997-0.parquet`;
  for (const orphan of oldOrphans) place(root, orphan, someParquet);
  // Staging: what a killed ingest left long ago (files and folders), and the folder of one running now.
  const oldStaging =
    '_staging/ingest-999996-abcdef/part-0/type=page_view/date=2025-04-01/hour=10/ingest-999996-0.parquet';
  place(root, oldStaging, someParquet);
  const newStaging = place(root, '_staging/ingest-999995-ghijkl/quarantine-999995.parquet');

  // Every file so far looks old, those the catalog names included: age alone deletes nothing.
  for await (const file of lake.list('')) age(path.join(root, file.path));
  for (
    let folder = path.dirname(path.join(root, oldStaging));
    folder !== path.join(root, '_staging');
    folder = path.dirname(folder)
  ) {
    age(folder);
  }
  // A staging folder in which something changed just now is a writer's at work, however old the rest.
  const busy = place(root, '_staging/ingest-999994-mnopqr/part-0/type=page_view/date=2025-04-01/hour=10/old.parquet');
  age(busy);
  age(path.dirname(busy));
  place(root, '_staging/ingest-999994-mnopqr/part-0/type=page_view/date=2025-04-01/hour=11/new.parquet');
  place(root, newOrphan, someParquet);
  age(path.join(root, '_staging')); // Its own age does not matter: _staging/ itself stays.

  // Ingests left running: one whose process died, one still running (its session holds the
  // lock), one that started a moment ago (it may not hold its lock yet).
  const dead = await insertIngest('1 hour');
  const alive = await insertIngest('1 hour');
  const young = await insertIngest('0 seconds');
  const holder = await db.pool.connect();
  await querySqlFile(holder, 'lake/hold_ingest.sql', [alive]);

  try {
    const expected: Omit<MaintenanceSummary, 'durationMs' | 'exports'> = {
      abandonedIngests: [dead],
      replaced: { files: 3, bytes: expect.any(Number) as number },
      orphans: { files: 3, bytes: expect.any(Number) as number, events: 2, quarantine: 1 },
      staging: { folders: 1, files: 1, bytes: expect.any(Number) as number },
    };

    // A dry run counts it all and changes nothing.
    entries.length = 0;
    const dry = await maintainLake(ctx, { dryRun: true });
    expect(dry).toEqual({ ...expected, exports: 0, durationMs: expect.any(Number) });
    expect(entries.map((entry) => [entry.message, entry.dry_run])).toEqual([
      ['abandoned ingests marked failed', true],
      ['replaced files deleted', true],
      ['orphan files deleted', true],
      ['staging leftovers deleted', true],
      ['catalog exports rewritten', true],
    ]);
    for (const file of [...expired, ...recent, ...live, ...oldOrphans, newOrphan, oldStaging]) {
      expect(existsSync(path.join(root, file))).toBe(true);
    }
    expect((await ingestStatus(dead)).status).toBe('running');
    expect(
      (await db.pool.query('SELECT count(*)::int AS n FROM lake_files WHERE path = ANY($1)', [expired])).rows[0].n,
    ).toBe(3);

    entries.length = 0;
    const done = await maintainLake(ctx, { dryRun: false });
    // The export of every date with live files, from the catalog as maintenance left it.
    const { rows: dates } = await db.pool.query('SELECT DISTINCT event_date FROM lake_files WHERE removed_at IS NULL');
    expect(done).toEqual({ ...expected, exports: dates.length, durationMs: expect.any(Number) });
    expect(dates.length).toBeGreaterThan(0);
    expect(entries.find((entry) => entry.message === 'replaced files deleted')).toMatchObject({
      dry_run: false,
      grace_s: 3600,
      files: 3,
    });
    expect(entries.find((entry) => entry.message === 'orphan files deleted')).toMatchObject({
      level: 'warn',
      files: 3,
      events: 2,
      quarantine: 1,
    });
    expect(entries.find((entry) => entry.message === 'abandoned ingests marked failed')).toMatchObject({
      level: 'warn',
      ingests: 1,
      ingest_ids: String(dead),
    });

    // Gone: replaced past the grace (file and row), old orphans, old staging and its folders.
    for (const file of [...expired, ...oldOrphans, oldStaging]) expect(existsSync(path.join(root, file))).toBe(false);
    expect(
      (await db.pool.query('SELECT count(*)::int AS n FROM lake_files WHERE path = ANY($1)', [expired])).rows[0].n,
    ).toBe(0);
    expect(readdirSync(path.join(root, '_staging')).sort()).toEqual(['ingest-999994-mnopqr', 'ingest-999995-ghijkl']);
    // Kept: what the catalog names (live, or replaced within the grace), a new orphan, a new staging file.
    for (const file of [...recent, ...live, quarantine[0]!.path, newOrphan]) {
      expect(existsSync(path.join(root, file))).toBe(true);
    }
    expect([existsSync(newStaging), existsSync(busy)]).toEqual([true, true]);
    await liveFilesExist(root);
    expect(await readLakeFiles(config, lake, await livePaths(db.pool))).toEqual(written.map(asStored).sort(byId));

    expect(await ingestStatus(dead)).toEqual({ status: 'failed', error: expect.stringMatching(/^abandoned: /) });
    expect((await ingestStatus(alive)).status).toBe('running');
    expect((await ingestStatus(young)).status).toBe('running');

    // The command, dry: nothing left to do; an unknown argument is exit 2.
    const command = captureLogger();
    expect(await maintainCommand(['--dry-run'], config, command.logger, new AbortController().signal)).toBe(0);
    expect(command.entries.filter((entry) => entry.dry_run === true).map((entry) => entry.message)).toEqual([
      'abandoned ingests marked failed',
      'replaced files deleted',
      'orphan files deleted',
      'staging leftovers deleted',
      'catalog exports rewritten',
    ]);
    await expect(maintainCommand(['--force'], config, command.logger, new AbortController().signal)).rejects.toThrow(
      ConfigError,
    );

    // The workflow, once more: nothing left to do.
    const workflow = defineWorkflows(config).find((w) => w.name === 'lake_maintenance')!;
    expect(workflow).toMatchObject({ schedule: config.lake.maintenanceSchedule, timezone: 'UTC' });
    const outcome = await runWorkflow(db.pool, workflow, { trigger: 'manual', params: {} }, logger);
    expect(outcome).toMatchObject({ status: 'succeeded' });
    expect(outcome.tasks?.maintain?.value).toEqual({
      abandonedIngests: [],
      replaced: { files: 0, bytes: 0 },
      orphans: { files: 0, bytes: 0, events: 0, quarantine: 0 },
      staging: { folders: 0, files: 0, bytes: 0 },
      exports: dates.length,
      durationMs: expect.any(Number),
    });
  } finally {
    await querySqlFile(holder, 'lake/release_ingest.sql', [alive]);
    holder.release();
    lake.close();
  }
});

test('the S3 mode: compaction and maintenance through the object store, DuckDB reading downloads only', async () => {
  const s3 = await startTestS3(['lake']);
  const config = lakeConfig(db, { ...s3.env, LAKE_URI: 's3://lake/events-lake', LAKE_FILE_GRACE: '0' });
  const lake = openLake(config);
  const store = s3.store('lake');
  const { logger } = captureLogger();
  const ctx = { db: db.pool, lake, config, log: logger };
  const keys = async (): Promise<string[]> => {
    const found: string[] = [];
    for await (const object of store.list('events-lake/')) found.push(object.key.slice('events-lake/'.length));
    // The lake's data files; the catalog's exports (_catalog/) are not in lake_files.
    return found.filter((key) => !key.startsWith('_catalog/')).sort();
  };
  try {
    const inbox = tempDir('inbox-');
    const written: TestEvent[] = [];
    for (let i = 0; i < 3; i++) {
      const batch = makeEvents('signup', '2025-04-02T08', 10);
      written.push(...batch);
      await ingestEvents(ctx, inbox, `s-${i}.ndjson`, batch);
    }
    const ingested = await livePaths(db.pool);
    expect(await keys()).toEqual(ingested);

    const summary = await compactLake(ctx, { maxPartitions: 10 });
    expect(summary.compacted).toEqual([expect.objectContaining({ filesIn: 3, filesOut: 1, rows: 30 })]);
    const [compacted] = await livePaths(db.pool);
    expect(await keys()).toEqual([...ingested, compacted!].sort());
    expect(await readLakeFiles(config, lake, [compacted!])).toEqual(written.map(asStored).sort(byId));

    const orphan = `${partitionFolder({ type: 'signup', date: '2025-04-02', hour: 8 })}ingest-424242-0.parquet`;
    await store.put(`events-lake/${orphan}`, Buffer.from('left behind'));

    // LAKE_FILE_GRACE=0: every replaced file and orphan is due; the live file is not, whatever its age.
    const done = await maintainLake(ctx, { dryRun: false });
    expect(done).toMatchObject({ replaced: { files: 3 }, orphans: { files: 1, events: 1 } });
    expect(await keys()).toEqual([compacted]);
    expect(await readLakeFiles(config, lake, await livePaths(db.pool))).toEqual(written.map(asStored).sort(byId));
    expect((await db.pool.query('SELECT count(*)::int AS n FROM lake_files')).rows[0].n).toBe(1);
  } finally {
    lake.close();
    await s3.stop();
  }
});
