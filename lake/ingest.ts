import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { chunksOf } from '../lib/chunks';
import { inTransaction, lease, type PoolClient } from '../lib/db';
import { PgErrorCode, describeError } from '../lib/errors';
import { querySqlFile } from '../lib/sqlFiles';
import { addFiles, lockPartitions, partitionFiles, type CatalogFile, type LakeContext } from './catalog';
import { exportCatalogDays } from './catalogExport';
import { DuckDb, literal, literalList } from './duckdb';
import { eachLimited } from './lakeStore';
import { parseEventsPath, quarantinePath } from './partitions';
import type { Source } from './sources';
import { stageSource, type StagedSource } from './stageSource';
import type { QuarantineReason } from './validateEvent';

/**
 * One source into the lake (docs/lake.md, "Ingest"). Its lines are read once and checked
 * (lake/stageSource.ts): the good ones go to files by the bucket of their partition, the
 * malformed ones, with their exact bytes, to the quarantine of a DuckDB database of the ingest's
 * own, in memory and bounded. Then it drops the lines whose id came earlier in the source and,
 * holding the locks of the partitions it writes, those whose id the lake already has there,
 * writes Parquet into a staging folder a group of buckets at a time, moves the files into the
 * lake, and adds them to the catalog in the transaction that marks the ingest succeeded. Until
 * that commit nothing of it is visible; after a crash its files are orphans that lake
 * maintenance deletes, and the same source can be ingested again.
 */

export type IngestContext = LakeContext;

export interface IngestSummary {
  source: string;
  /** unchanged: this version of the source was ingested before, and it was not read again. */
  status: 'succeeded' | 'skipped' | 'unchanged';
  ingestId: number;
  /** For skipped and unchanged: the ingest that took these bytes. */
  sameAs?: number;
  linesRead: number;
  eventsWritten: number;
  quarantined: number;
  duplicates: number;
  blankLines: number;
  reasons: Partial<Record<QuarantineReason, number>>;
  files: number;
  bytes: number;
  sourceBytes: number;
  durationMs: number;
  /** Where the time went: read (and check), dedupe, lake_dedupe, write, publish, commit. */
  phasesMs?: Record<string, number>;
}

class Phases {
  readonly durations: Record<string, number> = {};
  private last = Date.now();

  end(name: string): void {
    const now = Date.now();
    this.durations[name] = now - this.last;
    this.last = now;
  }
}

// A group of buckets written by one COPY (write_events.sql) stops at this many bytes of lines, or
// at as many partitions as fit in half of DuckDB's memory: each has a file open while the COPY
// runs, with about half a MiB of buffers per thread.
const GROUP_BYTES = 96 * 1024 * 1024;
const groupPartitions = (memoryLimitMb: number, threads: number): number =>
  // (memoryLimitMb / 2) / (0.5 MiB × threads)
  Math.max(16, Math.floor(memoryLimitMb / threads));
const PUBLISH_AT_ONCE = 8;
// Files of a partition read for their ids by one drop_known (a stream's flushes leave thousands an hour).
const KNOWN_FILES_AT_ONCE = 1000;

interface WrittenFile extends CatalogFile {
  localFile: string;
}

type StatsEntry = { key: string; value: unknown };

/** created_at's min and max from COPY's RETURN_STATS (text such as 2026-12-01 05:00:00.123+00). */
function createdAtRange(statistics: StatsEntry[]): { min: Date; max: Date } {
  const column = statistics.find((entry) => entry.key === '"created_at"');
  const values = Object.fromEntries(((column?.value ?? []) as StatsEntry[]).map((e) => [e.key, String(e.value)]));
  const toDate = (text: string | undefined): Date =>
    new Date(`${(text ?? '').replace(' ', 'T').replace(/\+00$/, '')}Z`);
  const range = { min: toDate(values.min), max: toDate(values.max) };
  if (Number.isNaN(range.min.getTime()) || Number.isNaN(range.max.getTime())) {
    throw new Error(`DuckDB's statistics of a written file have no created_at range: ${JSON.stringify(column)}`);
  }
  return range;
}

interface BucketGroup {
  first: number;
  last: number;
  files: string[];
  partitions: number;
}

/** Consecutive buckets with lines (in files or staged), gathered up to GROUP_BYTES and maxPartitions. */
function bucketGroups(read: StagedSource, maxPartitions: number): BucketGroup[] {
  const partitionsOf = new Map<number, number>();
  for (const partition of read.partitions)
    partitionsOf.set(partition.bucket, (partitionsOf.get(partition.bucket) ?? 0) + 1);
  const groups: BucketGroup[] = [];
  let bytes = 0;
  read.buckets.forEach((bucket, index) => {
    const partitions = partitionsOf.get(index) ?? 0;
    if (partitions === 0 && bucket.files.length === 0) return;
    const open = groups.at(-1);
    if (open !== undefined && bytes + bucket.bytes <= GROUP_BYTES && open.partitions + partitions <= maxPartitions) {
      open.last = index;
      open.files.push(...bucket.files);
      open.partitions += partitions;
      bytes += bucket.bytes;
      return;
    }
    groups.push({ first: index, last: index, files: [...bucket.files], partitions });
    bytes = bucket.bytes;
  });
  return groups;
}

/** Writes the staged events, a group of buckets per COPY, into folder; one file per partition (more when a group has more partitions than DuckDB keeps open). */
async function writeEvents(
  duck: DuckDb,
  read: StagedSource,
  work: { folder: string; ingestId: number; maxPartitions: number },
): Promise<WrittenFile[]> {
  const { folder, ingestId } = work;
  const files: WrittenFile[] = [];
  for (const [i, group] of bucketGroups(read, work.maxPartitions).entries()) {
    const target = path.join(folder, `part-${i}`);
    const reader = await duck.connection.runAndReadAll(
      DuckDb.statement('write_events', {
        files: literalList([read.emptyFile, ...group.files]),
        folder: literal(target),
        name: literal(`ingest-${ingestId}-{i}`),
      }),
      [BigInt(ingestId), group.first, group.last],
    );
    for (const stats of reader.getRowObjectsJson()) {
      const localFile = String(stats.filename);
      const relative = `events/${path.relative(target, localFile).split(path.sep).join('/')}`;
      const partition = parseEventsPath(relative);
      if (partition === undefined) throw new Error(`DuckDB wrote ${localFile}, which is not a lake partition's file`);
      const range = createdAtRange(stats.column_statistics as StatsEntry[]);
      files.push({
        path: relative,
        localFile,
        content: 'events',
        partition,
        rows: Number(stats.count),
        bytes: Number(stats.file_size_bytes),
        minCreatedAt: range.min,
        maxCreatedAt: range.max,
        ingestId,
      });
    }
  }
  return files;
}

async function writeQuarantine(
  duck: DuckDb,
  folder: string,
  ingestId: number,
  source: Source,
  startedAt: Date,
): Promise<{ file?: WrittenFile; reasons: Partial<Record<QuarantineReason, number>>; count: number }> {
  const rows = await duck.rows<{ reason: QuarantineReason; n: bigint }>('quarantine_reasons');
  const reasons = Object.fromEntries(rows.map((row) => [row.reason, Number(row.n)])) as Partial<
    Record<QuarantineReason, number>
  >;
  const count = rows.reduce((sum, row) => sum + Number(row.n), 0);
  if (count === 0) return { reasons, count };
  const localFile = path.join(folder, `quarantine-${ingestId}.parquet`);
  await duck.run('write_quarantine', [BigInt(ingestId), source.uri], { file: literal(localFile) });
  const relative = quarantinePath(ingestId, startedAt);
  const { size } = await stat(localFile);
  const date = startedAt.toISOString().slice(0, 10);
  return {
    reasons,
    count,
    file: { path: relative, localFile, content: 'quarantine', date, rows: count, bytes: size, ingestId },
  };
}

/**
 * The events written and the duplicates dropped, once every good line is known to be one or the
 * other: lake_ingests' duplicates are what is left of the good lines, so a line lost on the way
 * would otherwise pass for a duplicate.
 */
async function checkAccounts(
  duck: DuckDb,
  read: StagedSource,
  quarantined: number,
  events: readonly CatalogFile[],
): Promise<{ eventsWritten: number; duplicates: number }> {
  const [row] = await duck.rows<{ n: bigint }>('dropped_lines');
  const good = read.linesRead - read.blankLines - quarantined;
  const written = events.reduce((sum, file) => sum + file.rows, 0);
  const dropped = Number(row?.n ?? 0);
  if (written + dropped !== good) {
    throw new Error(
      `the ingest does not add up: ${good} good lines, ${written} written and ${dropped} dropped as repeats; nothing was committed`,
    );
  }
  return { eventsWritten: written, duplicates: dropped };
}

interface Started {
  ingestId: number;
  startedAt: Date;
}

async function startIngest(client: PoolClient, source: Source, runId: string | undefined): Promise<Started> {
  const { rows } = await querySqlFile<{ ingest_id: string; started_at: Date }>(client, 'lake/start_ingest.sql', [
    source.uri,
    source.version,
    runId ?? null,
  ]);
  const ingestId = Number(rows[0]!.ingest_id);
  await querySqlFile(client, 'lake/hold_ingest.sql', [ingestId]);
  return { ingestId, startedAt: rows[0]!.started_at };
}

async function sameBytes(client: PoolClient, sha256: string): Promise<number | undefined> {
  const { rows } = await querySqlFile<{ ingest_id: string }>(client, 'lake/ingested_bytes.sql', [sha256]);
  return rows[0] === undefined ? undefined : Number(rows[0].ingest_id);
}

function emptySummary(
  source: Source,
  ingestId: number,
  sameAs: number,
  status: 'skipped' | 'unchanged',
): IngestSummary {
  return {
    source: source.uri,
    status,
    ingestId,
    sameAs,
    linesRead: 0,
    eventsWritten: 0,
    quarantined: 0,
    duplicates: 0,
    blankLines: 0,
    reasons: {},
    files: 0,
    bytes: 0,
    sourceBytes: 0,
    durationMs: 0,
  };
}

/** Ingests one source; see the module's comment. */
export async function ingestSource(ctx: IngestContext, source: Source): Promise<IngestSummary> {
  const began = Date.now();
  // A lease: the connection is held for the whole ingest, and a server restart must fail the
  // ingest, not crash the process with an unhandled 'error'.
  const leased = await lease(ctx.db);
  const { client } = leased;
  let started: Started | undefined;
  const published: string[] = [];
  // Set when COMMIT is sent: a COMMIT that fails may still have committed, so from then on the
  // files it moved into the lake are left for maintenance, which knows from the catalog.
  let committing = false;
  let work: string | undefined;
  let staging: string | undefined;
  let duck: DuckDb | undefined;
  try {
    const { rows: before } = await querySqlFile<{ ingest_id: string }>(client, 'lake/ingested_version.sql', [
      source.uri,
      source.version,
    ]);
    if (before[0] !== undefined) {
      const earlier = Number(before[0].ingest_id);
      return emptySummary(source, earlier, earlier, 'unchanged');
    }
    started = await startIngest(client, source, ctx.runId);
    const { ingestId, startedAt } = started;
    const { tempDir, memoryLimitMb, threads } = ctx.config.lake;
    await mkdir(tempDir, { recursive: true });
    work = await mkdtemp(path.join(tempDir, `lake-ingest-${ingestId}-`));
    // In memory, spilling to the work folder past LAKE_MEMORY_MB: a database file would also
    // write every batch to its log and checkpoint it, which made the ingest twice as slow.
    await mkdir(path.join(work, 'checked'));
    duck = await DuckDb.open({
      memoryLimitMb,
      threads,
      spillDir: path.join(work, 'spill'),
    });

    const phases = new Phases();
    const read = await stageSource(
      duck,
      source,
      startedAt.getTime(),
      { folder: path.join(work, 'checked'), threads },
      ctx.signal,
    );
    phases.end('read');
    const earlier = await sameBytes(client, read.sha256);
    if (earlier !== undefined) {
      await querySqlFile(client, 'lake/skip_ingest.sql', [ingestId, read.sourceBytes, read.sha256, earlier]);
      return {
        ...emptySummary(source, ingestId, earlier, 'skipped'),
        sourceBytes: read.sourceBytes,
        durationMs: Date.now() - began,
      };
    }
    await duck.run('drop_repeats', [], { ids: literalList(read.idsFiles) });
    phases.end('dedupe');
    staging = await ctx.lake.stagingFolder(`ingest-${ingestId}`);
    const folder = staging;
    const result = await inTransaction(client, async () => {
      const touched = read.partitions;
      await lockPartitions(client, touched);
      const known = await partitionFiles(client, touched);
      if (known.length > 0) {
        const local = await ctx.lake.localPaths(known, path.join(work!, 'known'), ctx.signal);
        // A list at a time: DuckDB holds some state for every file of a read_parquet while it runs.
        for (const files of chunksOf(local, KNOWN_FILES_AT_ONCE)) {
          await duck!.run('drop_known', [], { files: literalList(files) });
        }
      }
      phases.end('lake_dedupe');
      const maxPartitions = groupPartitions(memoryLimitMb, threads);
      const events = await writeEvents(duck!, read, { folder, ingestId, maxPartitions });
      const quarantine = await writeQuarantine(duck!, folder, ingestId, source, startedAt);
      const { eventsWritten, duplicates } = await checkAccounts(duck!, read, quarantine.count, events);
      phases.end('write');
      const files = quarantine.file === undefined ? events : [...events, quarantine.file];
      await eachLimited(files, PUBLISH_AT_ONCE, async (file) => {
        await ctx.lake.publish(file.localFile, file.path, ctx.signal);
        published.push(file.path);
      });
      phases.end('publish');
      await addFiles(client, files);
      const finished = await querySqlFile(client, 'lake/finish_ingest.sql', [
        ingestId,
        read.sourceBytes,
        read.sha256,
        read.linesRead,
        eventsWritten,
        quarantine.count,
        duplicates,
        read.blankLines,
        JSON.stringify(quarantine.reasons),
      ]);
      // Its row is no longer running (maintenance took it for dead): its files must not commit.
      if (finished.rowCount !== 1) throw new Error(`ingest ${ingestId} is no longer running in lake_ingests`);
      committing = true;
      return { eventsWritten, duplicates, quarantine, files };
    });
    phases.end('commit');
    await exportAfterCommit(ctx, result.files);
    return {
      source: source.uri,
      status: 'succeeded',
      ingestId,
      linesRead: read.linesRead,
      eventsWritten: result.eventsWritten,
      quarantined: result.quarantine.count,
      duplicates: result.duplicates,
      blankLines: read.blankLines,
      reasons: result.quarantine.reasons,
      files: result.files.length,
      bytes: result.files.reduce((sum, file) => sum + file.bytes, 0),
      sourceBytes: read.sourceBytes,
      durationMs: Date.now() - began,
      phasesMs: phases.durations,
    };
  } catch (error) {
    if (started !== undefined) {
      await failIngest(ctx, client, started.ingestId, error, committing ? [] : published);
    }
    throw error;
  } finally {
    duck?.close();
    if (started !== undefined)
      await querySqlFile(client, 'lake/release_ingest.sql', [started.ingestId]).catch(() => undefined);
    leased.release();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
    if (staging !== undefined) await rm(staging, { recursive: true, force: true });
  }
}

/**
 * The catalog's export of the dates the ingest wrote (lake/catalogExport.ts), for readers without
 * PostgreSQL. The events are in the lake whatever happens here: a failure is a warning, and
 * lake maintenance rewrites every export.
 */
async function exportAfterCommit(ctx: IngestContext, files: readonly CatalogFile[]): Promise<void> {
  const dates = files.map((file) => file.partition?.date ?? file.date!);
  await exportCatalogDays(ctx.db, ctx.lake, dates, ctx.signal).catch((error: unknown) => {
    ctx.log.warn('catalog export not updated; lake maintenance will rewrite it', { error: describeError(error) });
  });
}

/** Records the failure and deletes what it had moved into the lake (nothing names those files); what it cannot delete, maintenance will. */
async function failIngest(
  ctx: IngestContext,
  client: PoolClient,
  ingestId: number,
  error: unknown,
  published: string[],
): Promise<void> {
  const message =
    (error as { code?: string }).code === PgErrorCode.uniqueViolation
      ? `another ingest took the same bytes meanwhile: ${describeError(error)}`
      : describeError(error);
  await querySqlFile(client, 'lake/fail_ingest.sql', [ingestId, message]).catch((cause: unknown) => {
    ctx.log.error('could not record the failed ingest', { ingest_id: ingestId, error: describeError(cause) });
  });
  for (const file of published) await ctx.lake.remove(file).catch(() => undefined);
}
