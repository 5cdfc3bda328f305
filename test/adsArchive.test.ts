import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { archiveDay } from '../ads/archiveDay';
import { readConfig, type Config } from '../lib/config';
import { createPool } from '../lib/db';
import { JobFailedError } from '../lib/errors';
import { ObjectStore } from '../lib/objectStore';
import { runWorkflow, type RunOutcome } from '../scheduler/runWorkflow';
import { resolveParams, type Workflow } from '../scheduler/workflow';
import { defineWorkflows } from '../scheduler/workflows';
import { adsArchive } from '../scheduler/workflows/adsArchive';
import { adsRestore } from '../scheduler/workflows/adsRestore';
import { createTestDatabase, type TestDatabase } from './support/database';
import { captureLogger, type LogEntry } from './support/logs';
import { killStarted, startNode, waitUntil } from './support/processes';
import { startTestS3, type TestS3 } from './support/s3';
import { pgEnvironment } from './support/server';

/**
 * ads_archive and ads_restore against a real PostgreSQL and a real S3 server (s3rver): what is
 * archived, deleted and restored, compared with rows the tests make themselves; S3 down, a kill
 * between the upload and the commit, a row inserted during an archive, two runs at once.
 */

let db: TestDatabase;
let s3: TestS3;
let config: Config;
let archive: Workflow;
let restore: Workflow;

beforeAll(async () => {
  [db, s3] = await Promise.all([createTestDatabase(), startTestS3()]);
  config = readConfig(s3.env);
  archive = adsArchive(config);
  restore = adsRestore(config);
});
afterAll(async () => {
  killStarted();
  await s3.stop();
  await db.drop();
});
beforeEach(async () => {
  await db.pool.query('TRUNCATE ads, ad_archives, job_runs CASCADE');
  const store = s3.store();
  for await (const object of store.list('')) await store.delete(object.key);
});

// ---------------------------------------------------------------- rows the tests make

interface Impression {
  ad_id: string;
  ad_group: string;
  ad_campaign: number | null;
  /** ISO 8601 in UTC to the microsecond, e.g. 2024-05-08T10:00:00.000001Z. */
  shown_at: string;
  ad_scheme: { origin: string; approved: boolean } | null;
  backup_key: string;
  loaded_at: string;
}

let made = 0;

/** `count` impressions shown on `day` (UTC), spread over it, with every kind of value a column can hold. */
function impressions(day: string, count: number, times: readonly string[] = []): Impression[] {
  return Array.from({ length: count }, (_, i) => {
    made += 1;
    const seconds = Math.floor((i * 86_399) / Math.max(1, count - 1));
    const clock = new Date(Date.parse(`${day}T00:00:00Z`) + seconds * 1000).toISOString().slice(11, 19);
    const micros = String((made * 10 + 1) % 1_000_000).padStart(6, '0');
    return {
      ad_id: `00000000-0000-4000-8000-${String(made).padStart(12, '0')}`,
      ad_group: ['marketing', 'recruiting', 'brand', 'investment', 'odd \\ "group"\n\té😀'][made % 5]!,
      ad_campaign: made % 3 === 0 ? null : 500 + (made % 500),
      shown_at: times[i] ?? `${day}T${clock}.${micros}Z`,
      ad_scheme: made % 4 === 0 ? { origin: made % 8 === 0 ? 'manual' : 'automatic', approved: made % 3 === 1 } : null,
      backup_key: `backup/run=${day}T01:00:00Z/response-${made}.json`,
      loaded_at: `${day}T23:59:59.${micros}Z`,
    };
  });
}

/** Straight into ads with plain columns (no JSON on the way in). */
async function insert(rows: readonly Impression[], client: { query: TestDatabase['pool']['query'] } = db.pool) {
  await client.query(
    `INSERT INTO ads (ad_id, ad_group, ad_campaign, shown_at, ad_scheme, backup_key, loaded_at)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::integer[], $4::timestamptz[], $5::jsonb[], $6::text[], $7::timestamptz[])`,
    [
      rows.map((r) => r.ad_id),
      rows.map((r) => r.ad_group),
      rows.map((r) => r.ad_campaign),
      rows.map((r) => r.shown_at),
      rows.map((r) => (r.ad_scheme === null ? null : JSON.stringify(r.ad_scheme))),
      rows.map((r) => r.backup_key),
      rows.map((r) => r.loaded_at),
    ],
  );
}

const byId = (a: { ad_id?: unknown }, b: { ad_id?: unknown }): number => String(a.ad_id).localeCompare(String(b.ad_id));

/** ads as it is now, in the shape the tests made the rows. */
async function adsRows(): Promise<Impression[]> {
  const utc = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;
  const { rows } = await db.pool.query<Impression>(
    `SELECT ad_id::text, ad_group, ad_campaign, to_char(shown_at AT TIME ZONE 'UTC', ${utc}) AS shown_at, ad_scheme,
            backup_key, to_char(loaded_at AT TIME ZONE 'UTC', ${utc}) AS loaded_at
     FROM ads ORDER BY ad_id`,
  );
  return rows;
}

/** A time as to_json writes a timestamptz in UTC: +00:00, the fraction without its trailing zeros. */
function jsonTime(iso: string): string {
  return iso.replace(/\.?0*Z$/, '+00:00');
}

/** The archive line of a row: every column, as JSON. */
function archived(row: Impression): Record<string, unknown> {
  return { ...row, shown_at: jsonTime(row.shown_at), loaded_at: jsonTime(row.loaded_at) };
}

/** An object of the bucket, gunzipped and parsed here, line by line. */
async function archiveLines(key: string): Promise<Record<string, unknown>[]> {
  const text = gunzipSync(await s3.store().get(key)).toString('utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function objectKeys(): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of s3.store().list('')) keys.push(object.key);
  return keys;
}

interface ArchiveRow {
  archive_key: string;
  shown_date: string;
  part: number;
  run_id: string;
  rows: string;
  bytes: string;
  sha256: string;
  shown_from: string;
  shown_to: string;
  restored: boolean;
}

async function archiveRows(): Promise<ArchiveRow[]> {
  const utc = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;
  return (
    await db.pool.query<ArchiveRow>(
      `SELECT archive_key, shown_date, part, run_id, rows, bytes, sha256,
              to_char(shown_from AT TIME ZONE 'UTC', ${utc}) AS shown_from, to_char(shown_to AT TIME ZONE 'UTC', ${utc}) AS shown_to,
              restored_at IS NOT NULL AS restored
       FROM ad_archives ORDER BY shown_date, part`,
    )
  ).rows;
}

/**
 * The promise of the issue, checked from the outside: every row made is either in ads or in
 * exactly one live recorded archive, with the same values; none is lost, none is in two places;
 * no object lies under archive/ that no live archive records.
 */
async function expectEveryRowOnce(made: readonly Impression[]): Promise<void> {
  const places = new Map<string, string[]>();
  const note = (id: string, where: string): void => void places.set(id, [...(places.get(id) ?? []), where]);
  for (const row of await adsRows()) note(row.ad_id, 'ads');
  const live = (await archiveRows()).filter((row) => !row.restored);
  for (const row of live) {
    const lines = await archiveLines(row.archive_key);
    expect(lines).toHaveLength(Number(row.rows));
    for (const line of lines) {
      note(line.ad_id as string, row.archive_key);
      expect(line).toEqual(archived(made.find((m) => m.ad_id === line.ad_id)!));
    }
  }
  expect(
    made.filter((row) => places.get(row.ad_id)?.length !== 1).map((row) => [row.ad_id, places.get(row.ad_id)]),
  ).toEqual([]);
  expect(places.size).toBe(made.length);
  expect((await objectKeys()).sort()).toEqual(live.map((row) => row.archive_key).sort());
}

// ---------------------------------------------------------------- runs

const LOGICAL = new Date('2024-05-10T00:30:00Z');

async function run(workflow: Workflow, params: Record<string, string> = {}, entries?: LogEntry[]): Promise<RunOutcome> {
  const captured = captureLogger();
  const outcome = await runWorkflow(
    db.pool,
    workflow,
    { trigger: 'manual', params: resolveParams(workflow, params), now: () => LOGICAL },
    captured.logger,
  );
  entries?.push(...captured.entries);
  return outcome;
}

/** Another session that holds a SHARE lock on ads: an archive gets through its upload, then its DELETE waits. */
async function blockDeletes() {
  const client = await db.pool.connect();
  await client.query('BEGIN');
  await client.query('LOCK TABLE ads IN SHARE MODE');
  return client;
}

/** Resolves once the day's object is in the bucket and the archive waits for its DELETE. */
async function waitForBlockedDelete(key: string, running?: Parameters<typeof waitUntil>[2]): Promise<void> {
  await waitUntil(
    async () =>
      (await s3.store().head(key)) !== undefined &&
      ((
        await db.pool.query(
          `SELECT 1 FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%DELETE FROM ads%'`,
        )
      ).rowCount ?? 0) > 0,
    30_000,
    running,
  );
}

const keyOf = (day: string, part = 1): string =>
  `archive/shown_date=${day}/part-${String(part).padStart(4, '0')}.jsonl.gz`;

// ---------------------------------------------------------------- tests

test('the workflows: ads_archive on ADS_ARCHIVE_SCHEDULE in UTC, ads_restore only when asked', () => {
  const workflows = defineWorkflows(readConfig({ ADS_ARCHIVE_SCHEDULE: '15 1 * * *' }));
  const byName = new Map(workflows.map((w) => [w.name, w]));
  expect(byName.get('ads_archive')).toMatchObject({ schedule: '15 1 * * *', timezone: 'UTC' });
  expect(byName.get('ads_restore')?.schedule).toBeUndefined();
  expect(resolveParams(archive)).toEqual({ older_than_days: 1 });
});

test('archive: each old day to one object, exactly its rows deleted, recent days kept; restore puts them back equal', async () => {
  const dayA = impressions('2024-05-07', 5);
  const dayB = impressions('2024-05-08', 4, ['2024-05-08T00:00:00.000000Z', '2024-05-08T23:59:59.999999Z']);
  // Yesterday (kept with older_than_days=1) from its first microsecond, and today.
  const recent = [...impressions('2024-05-09', 3, ['2024-05-09T00:00:00.000000Z']), ...impressions('2024-05-10', 2)];
  await insert([...dayA, ...dayB, ...recent]);

  const entries: LogEntry[] = [];
  const outcome = await run(archive, {}, entries);

  expect(outcome).toMatchObject({ status: 'succeeded', rows: 9 });
  expect(await adsRows()).toEqual([...recent].sort(byId));
  const records = await archiveRows();
  expect(records).toEqual([
    expect.objectContaining({ archive_key: keyOf('2024-05-07'), shown_date: '2024-05-07', part: 1, rows: '5' }),
    expect.objectContaining({
      archive_key: keyOf('2024-05-08'),
      shown_date: '2024-05-08',
      part: 1,
      rows: '4',
      shown_from: '2024-05-08T00:00:00.000000Z',
      shown_to: '2024-05-08T23:59:59.999999Z',
      run_id: outcome.runId,
      restored: false,
    }),
  ]);
  expect(await objectKeys()).toEqual([keyOf('2024-05-07'), keyOf('2024-05-08')]);
  for (const [record, rows] of [
    [records[0]!, dayA],
    [records[1]!, dayB],
  ] as const) {
    const bytes = await s3.store().get(record.archive_key);
    expect([record.bytes, record.sha256]).toEqual([
      String(bytes.length),
      createHash('sha256').update(bytes).digest('hex'),
    ]);
    expect((await archiveLines(record.archive_key)).sort(byId)).toEqual(rows.map(archived).sort(byId));
  }
  // One line per day archived, with what a person needs.
  expect(entries.filter((e) => e.message === 'archived')).toEqual([
    expect.objectContaining({ day: '2024-05-07', key: keyOf('2024-05-07'), rows: 5, bytes: Number(records[0]!.bytes) }),
    expect.objectContaining({ day: '2024-05-08', key: keyOf('2024-05-08'), rows: 4, duration_ms: expect.any(Number) }),
  ]);
  const tasks = await db.pool.query(
    'SELECT task, item, status, rows FROM task_runs WHERE run_id = $1 ORDER BY started_at',
    [outcome.runId],
  );
  expect(tasks.rows).toEqual([
    { task: 'archive_day', item: '2024-05-07', status: 'succeeded', rows: 5 },
    { task: 'archive_day', item: '2024-05-08', status: 'succeeded', rows: 4 },
    { task: 'remove_dead_objects', item: null, status: 'succeeded', rows: 0 },
  ]);

  // Restore: the day's rows back, every column as it was inserted; its archive marked, its object gone.
  expect(await run(restore, { date: '2024-05-08' })).toMatchObject({ status: 'succeeded', rows: 4 });
  expect(await adsRows()).toEqual([...dayB, ...recent].sort(byId));
  expect((await archiveRows()).map((r) => [r.archive_key, r.restored])).toEqual([
    [keyOf('2024-05-07'), false],
    [keyOf('2024-05-08'), true],
  ]);
  expect(await objectKeys()).toEqual([keyOf('2024-05-07')]);

  // Twice is once.
  expect(await run(restore, { date: '2024-05-08' })).toMatchObject({ status: 'succeeded', rows: 0 });
  expect(await adsRows()).toEqual([...dayB, ...recent].sort(byId));

  // A later archive takes the restored rows again, into a new part: no row is in two live archives.
  expect(await run(archive)).toMatchObject({ status: 'succeeded', rows: 4 });
  expect((await archiveRows()).map((r) => [r.archive_key, r.restored])).toEqual([
    [keyOf('2024-05-07'), false],
    [keyOf('2024-05-08'), true],
    [keyOf('2024-05-08', 2), false],
  ]);
  await expectEveryRowOnce([...dayA, ...dayB, ...recent]);
});

test('older_than_days moves the cutoff; a run with nothing to archive leaves the bucket alone', async () => {
  const rows = [...impressions('2024-05-05', 2), ...impressions('2024-05-06', 2), ...impressions('2024-05-07', 2)];
  await insert(rows);
  // On 2024-05-10, 3 days kept: the rows shown before 2024-05-07 00:00 UTC go.
  expect(await run(archive, { older_than_days: '3' })).toMatchObject({ status: 'succeeded', rows: 4 });
  expect((await archiveRows()).map((r) => r.shown_date)).toEqual(['2024-05-05', '2024-05-06']);
  const again = await run(archive, { older_than_days: '3' });
  expect(again).toMatchObject({ status: 'succeeded', rows: 0 });
  expect(again.tasks?.remove_dead_objects).toMatchObject({ status: 'skipped' });
  await expectEveryRowOnce(rows);
});

test('many rows: streamed through COPY, gzip and a multipart upload, and restored identical', async () => {
  // 300,000 rows of one day, made by PostgreSQL: over 8 MiB of gzip, so two parts of the upload.
  await db.pool.query(
    `INSERT INTO ads (ad_id, ad_group, ad_campaign, shown_at, ad_scheme, backup_key, loaded_at)
     SELECT gen_random_uuid(), 'group ' || i % 7 || E' \\\\ "x"', nullif(500 + i % 500, 700),
            timestamptz '2024-05-01 00:00:00+00' + i * interval '287 milliseconds',
            CASE WHEN i % 5 = 0 THEN jsonb_build_object('origin', 'manual', 'approved', i % 2 = 0) END,
            'backup/run=2024-05-01T01:00:00Z/response-' || i / 100 || '.json', now()
     FROM generate_series(0, 299999) i`,
  );
  // Every column of every row, summed in no order: the same rows give the same sum.
  const fingerprint = async (): Promise<unknown> =>
    (await db.pool.query('SELECT count(*)::int AS n, sum(hashtext(a::text))::text AS hashes FROM ads a')).rows[0];
  const before = await fingerprint();

  // Cut off in the middle of its COPY (a 1 s JOB_TIMEOUT): cancelled on the server, rolled back, nothing deleted.
  const hurried = await run(adsArchive(readConfig({ ...s3.env, JOB_TIMEOUT: '1' })));
  expect(hurried).toMatchObject({ status: 'failed', error: 'archive_day: timed out after 1000 ms' });
  expect(await fingerprint()).toEqual(before);
  expect(await archiveRows()).toEqual([]);

  expect(await run(archive)).toMatchObject({ status: 'succeeded', rows: 300_000 });
  expect(await fingerprint()).toEqual({ n: 0, hashes: null });
  const [record] = await archiveRows();
  expect(Number(record!.bytes)).toBeGreaterThan(8 * 1024 * 1024);
  expect(await archiveLines(record!.archive_key)).toHaveLength(300_000);

  expect(await run(restore, { date: '2024-05-01' })).toMatchObject({ status: 'succeeded', rows: 300_000 });
  expect(await fingerprint()).toEqual(before);
});

test('S3 down during the archive: nothing is deleted or recorded, and the next run succeeds', async () => {
  const rows = [...impressions('2024-05-07', 3), ...impressions('2024-05-08', 3)];
  await insert(rows);
  await s3.stop();
  const down = await run(archive);
  await s3.start();

  expect(down.status).toBe('failed');
  expect(down.error).toMatch(/^archive_day: object store: uploading s3:\/\/ad-data\/archive\/shown_date=2024-05-07/);
  expect(await adsRows()).toEqual([...rows].sort(byId));
  expect(await archiveRows()).toEqual([]);

  expect(await run(archive)).toMatchObject({ status: 'succeeded', rows: 6 });
  await expectEveryRowOnce(rows);
});

test('an object that does not read back as uploaded stops the archive before anything is deleted', async () => {
  const rows = impressions('2024-05-08', 3);
  await insert(rows);
  class CorruptingStore extends ObjectStore {
    override async checksum(): Promise<{ bytes: number; sha256: string }> {
      return { bytes: 1, sha256: '0'.repeat(64) };
    }
  }
  const store = new CorruptingStore(s3.config, 'ad-data', { maxAttempts: 1 });
  const client = await db.pool.connect();
  try {
    const archiving = archiveDay(client, store, '2024-05-08', 'test', new AbortController().signal);
    await expect(archiving).rejects.toThrow(JobFailedError);
    await expect(archiving).rejects.toThrow(/reads back as 1 bytes.*nothing was deleted; run ads_archive again$/);
    // The connection is still good for the next statement.
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  } finally {
    client.release();
    store.close();
  }
  expect(await adsRows()).toEqual([...rows].sort(byId));
  expect(await archiveRows()).toEqual([]);
});

test('a row inserted for the day during the archive stays in ads; a second run at the same time is skipped', async () => {
  const rows = impressions('2024-05-08', 4);
  const late = impressions('2024-05-08', 1, ['2024-05-08T12:00:00.000001Z']);
  await insert(rows);
  const blocker = await blockDeletes();
  let first: Promise<RunOutcome> | undefined;
  try {
    first = run(archive);
    await waitForBlockedDelete(keyOf('2024-05-08'));
    expect(await run(archive)).toMatchObject({
      status: 'skipped',
      error: 'another run of this workflow is still going (advisory lock held)',
    });
    // Committed after the archive read the day, before it deletes it.
    await insert(late, blocker);
    await blocker.query('COMMIT');
  } finally {
    await blocker.query('ROLLBACK');
    blocker.release();
  }
  expect(await first).toMatchObject({ status: 'succeeded', rows: 4 });
  expect(await adsRows()).toEqual(late);
  expect((await archiveRows()).map((r) => r.rows)).toEqual(['4']);
  await expectEveryRowOnce([...rows, ...late]);

  // The next run archives the late row as the day's second part.
  expect(await run(archive)).toMatchObject({ status: 'succeeded', rows: 1 });
  expect((await archiveRows()).map((r) => r.archive_key)).toEqual([keyOf('2024-05-08'), keyOf('2024-05-08', 2)]);
  await expectEveryRowOnce([...rows, ...late]);
});

test('killed between the upload and the commit, then run again: every row in ads or in one recorded archive', async () => {
  // npm run job runs on today's date: days relative to now.
  const day = (back: number): string => new Date(Date.now() - back * 86_400_000).toISOString().slice(0, 10);
  const rows = [...impressions(day(3), 5), ...impressions(day(2), 5), ...impressions(day(0), 2)];
  await insert(rows);
  const env = { ...pgEnvironment(db.config), ...s3.env };
  const blocker = await blockDeletes();
  try {
    const job = startNode(['dist/scheduler/cli.js', 'ads_archive'], env);
    await waitForBlockedDelete(keyOf(day(3)), job);
    process.kill(-job.child.pid!, 'SIGKILL');
    await job.exited;
  } finally {
    await blocker.query('ROLLBACK');
    blocker.release();
  }
  // The server notices the dead connection and rolls its transaction back.
  await waitUntil(
    async () =>
      ((
        await db.pool.query(
          "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'job'",
        )
      ).rowCount ?? 0) === 0,
    10_000,
  );
  // The object is there, recorded by no one; every row is still in ads.
  expect(await objectKeys()).toEqual([keyOf(day(3))]);
  expect(await archiveRows()).toEqual([]);
  expect(await adsRows()).toEqual([...rows].sort(byId));

  const rerun = startNode(['dist/scheduler/cli.js', 'ads_archive'], env);
  expect(await rerun.exited).toBe(0);
  expect((await archiveRows()).map((r) => r.archive_key)).toEqual([keyOf(day(3)), keyOf(day(2))]);
  await expectEveryRowOnce(rows);
  const runs = await db.pool.query("SELECT status, error FROM job_runs WHERE job = 'ads_archive' ORDER BY started_at");
  expect(runs.rows).toEqual([
    { status: 'failed', error: expect.stringMatching(/^abandoned/) },
    { status: 'succeeded', error: null },
  ]);
});

test('objects no live archive records are removed by the next run that archives; other keys stay', async () => {
  const store = s3.store();
  const leftover = Buffer.from('left behind');
  // Left by a run killed before its commit, on a day whose rows are no longer in ads.
  await store.put(keyOf('2024-05-01', 3), leftover);
  // A restored archive whose delete failed after the restore committed.
  await db.pool.query(
    `INSERT INTO ad_archives (archive_key, shown_date, part, run_id, rows, bytes, sha256, shown_from, shown_to, restored_at)
     VALUES ($1, '2024-05-02', 1, 'old', 1, 2, $2, '2024-05-02', '2024-05-02', now())`,
    [keyOf('2024-05-02'), '0'.repeat(64)],
  );
  await store.put(keyOf('2024-05-02'), leftover);
  await store.put('archive/README.txt', Buffer.from('not an archive'));
  const rows = impressions('2024-05-08', 2);
  await insert(rows);

  const entries: LogEntry[] = [];
  expect(await run(archive, {}, entries)).toMatchObject({ status: 'succeeded', rows: 2 });

  expect(await objectKeys()).toEqual(['archive/README.txt', keyOf('2024-05-08')]);
  expect(entries.filter((e) => e.level === 'warn').map((e) => [e.message, e.key])).toEqual([
    [expect.stringMatching(/^removed an object no archive records/), keyOf('2024-05-01', 3)],
    [expect.stringMatching(/^removed the object of a restored archive/), keyOf('2024-05-02')],
  ]);
});

test('ads_restore needs a calendar day, and says how to give it', async () => {
  expect(await run(restore)).toMatchObject({
    status: 'failed',
    error: 'restore_day: no day given: npm run job -- ads_restore --param date=YYYY-MM-DD',
  });
  expect((await run(restore, { date: '2024-02-30' })).error).toMatch(/^restore_day: 2024-02-30 is not a day/);
  expect(() => resolveParams(restore, { date: 'yesterday' })).toThrow(/date=yesterday: expected text matching/);
});

test('ads_archive and ads_restore need no more than the loans_scheduler role grants', async () => {
  const user = `scheduler_${randomBytes(3).toString('hex')}`;
  // Test code: the name is ours, and CREATE ROLE takes no bound parameters.
  await db.pool.query(`CREATE ROLE ${user} LOGIN PASSWORD 'pw' IN ROLE loans_scheduler`);
  const pool = createPool({ ...db.config, user, password: 'pw' }, 'job', { max: 3 });
  try {
    const rows = impressions('2024-05-08', 3);
    await insert(rows);
    const asScheduler = (workflow: Workflow, params: Record<string, string> = {}): Promise<RunOutcome> =>
      runWorkflow(
        pool,
        workflow,
        { trigger: 'manual', params: resolveParams(workflow, params), now: () => LOGICAL },
        captureLogger().logger,
      );
    expect(await asScheduler(archive)).toMatchObject({ status: 'succeeded', rows: 3 });
    expect(await asScheduler(restore, { date: '2024-05-08' })).toMatchObject({ status: 'succeeded', rows: 3 });
    expect(await adsRows()).toEqual([...rows].sort(byId));
  } finally {
    await pool.end();
    await db.pool.query(`DROP OWNED BY ${user}`);
    await db.pool.query(`DROP ROLE ${user}`);
  }
});
