import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { inTransaction, lease, type PoolClient } from '../lib/db';
import { DigestStream } from '../lib/digestStream';
import { PgErrorCode, describeError } from '../lib/errors';
import { querySqlFile } from '../lib/sqlFiles';
import { addFiles, lockPartitions, partitionFiles, type CatalogFile, type LakeContext } from './catalog';
import { exportCatalogDays } from './catalogExport';
import { DuckDb, literal, literalList } from './duckdb';
import { eachLimited } from './lakeStore';
import { parseEventsPath, quarantinePath, type Partition } from './partitions';
import { CheckPool } from './checkPool';
import type { CheckResult } from './checkLines';
import { sourceChunks } from './sourceLines';
import type { Source } from './sources';
import type { QuarantineReason } from './validateEvent';

/**
 * One source into the lake (docs/lake.md, "Ingest"). Its lines are read once, checked
 * (lake/validateEvent.ts) and appended to a DuckDB database of the ingest's own, on disk and
 * bounded in memory; the malformed ones, with their exact bytes, to its quarantine. Then,
 * holding the locks of the partitions it writes, it drops the events whose id the lake already
 * has there, writes Parquet into a staging folder, moves the files into the lake, and adds them
 * to the catalog in the transaction that marks the ingest succeeded. Until that commit nothing
 * of it is visible; after a crash its files are orphans that lake maintenance deletes, and the
 * same source can be ingested again.
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

// Lines appended to DuckDB between two stage_lines.sql: enough for DuckDB to use its threads, few enough to stay small.
const LINES_PER_BATCH = 100_000;
// Partitions written by one COPY: each has a file open while it runs (about half a MiB of buffers per thread).
const PARTITIONS_PER_COPY = 128;
const PUBLISH_AT_ONCE = 8;
// What a worker thread checks at once: big enough that the messages cost little.
const CHUNK_BYTES = 4 * 1024 * 1024;
// Checked chunks staged by one statement (read_csv of a list of files): each statement costs.
const FILES_PER_STAGE = 4;
// Checked chunks written but not yet staged by DuckDB: past this the reading waits, so that the
// files of a fast reader and a slow DuckDB never pile up on disk.
const FILES_WAITING = 6 * FILES_PER_STAGE;

interface StagedSource {
  linesRead: number;
  blankLines: number;
  sourceBytes: number;
  sha256: string;
}

// Two tables take the appended lines in turn: DuckDB stages one (stage_lines.sql) while the
// other fills.
const RAW_TABLES = ['raw_lines_0', 'raw_lines_1'] as const;

/**
 * What the checks of the worker threads give (lake/checkLines.ts), into the ingest's DuckDB: the
 * files of good lines staged by stage_file.sql, the few lines the workers hand back appended and
 * staged by stage_lines.sql, the malformed ones appended to the quarantine. Every statement
 * goes, in order, through one connection of its own, while the main thread appends on the other.
 */
class Stager {
  blankLines = 0;
  private inBatch = 0;
  private current = 0;
  private staging: Promise<void> = Promise.resolve();
  private readonly files: string[] = [];
  private readonly queued: Promise<void>[] = [];
  private waitingFiles = 0;

  private constructor(
    private readonly duck: DuckDb,
    private readonly stageConnection: DuckDBConnection,
    private raw: DuckDBAppender,
    private readonly quarantine: DuckDBAppender,
  ) {}

  static async open(duck: DuckDb): Promise<Stager> {
    await duck.run('ingest_tables');
    const [raw, quarantine] = [await duck.appender(RAW_TABLES[0]), await duck.appender('quarantined')];
    return new Stager(duck, await duck.connect(), raw, quarantine);
  }

  /** Runs a statement after those before it; a failure shows at the next await of `staging`. */
  private enqueue(statement: string, after?: () => Promise<void>): void {
    const next = this.staging.then(async () => {
      await this.stageConnection.run(statement);
      await after?.();
    });
    next.catch(() => undefined);
    this.staging = next;
    this.queued.push(next);
    void next.finally(() => this.queued.splice(this.queued.indexOf(next), 1)).catch(() => undefined);
  }

  /** True when the reading should wait for DuckDB (see FILES_WAITING). */
  get behind(): boolean {
    return this.waitingFiles >= FILES_WAITING;
  }

  /** Resolves when DuckDB has staged the oldest files it was given. */
  async drained(): Promise<void> {
    this.stageFiles();
    await this.queued[0];
  }

  async add(result: CheckResult): Promise<void> {
    this.blankLines += result.blank;
    for (const bad of result.quarantined) {
      this.quarantine.appendBigInt(BigInt(bad.line));
      this.quarantine.appendVarchar(bad.reason);
      this.quarantine.appendVarchar(bad.detail);
      this.quarantine.appendBlob(bad.raw);
      this.quarantine.endRow();
    }
    for (const line of result.append) {
      this.raw.appendDouble(line.line);
      this.raw.appendVarchar(line.id);
      this.raw.appendVarchar(line.type);
      this.raw.appendDouble(line.createdAtMs);
      this.raw.appendVarchar(line.text);
      this.raw.endRow();
      if (++this.inBatch === LINES_PER_BATCH) await this.flushAppended();
    }
    if (result.written > 0) {
      this.files.push(result.file);
      this.waitingFiles++;
      if (this.files.length >= FILES_PER_STAGE) this.stageFiles();
    }
  }

  /** The checked files so far into staged, by one statement. */
  private stageFiles(): void {
    const files = this.files.splice(0);
    if (files.length === 0) return;
    this.enqueue(DuckDb.statement('stage_file', { files: literalList(files) }), async () => {
      this.waitingFiles -= files.length;
      await Promise.all(files.map((file) => rm(file, { force: true })));
    });
  }

  /** Hands the filled table to DuckDB and appends into the other one, once DuckDB emptied it. */
  private async flushAppended(): Promise<void> {
    this.raw.closeSync();
    const emptied = this.staging;
    this.enqueue(DuckDb.statement('stage_lines', { raw: RAW_TABLES[this.current]! }));
    this.current = 1 - this.current;
    await emptied;
    this.raw = await this.duck.appender(RAW_TABLES[this.current]!);
    this.inBatch = 0;
  }

  async finish(): Promise<void> {
    this.stageFiles();
    this.raw.closeSync();
    this.enqueue(DuckDb.statement('stage_lines', { raw: RAW_TABLES[this.current]! }));
    await this.staging;
    this.quarantine.closeSync();
    await this.duck.run('finish_staging');
  }
}

/**
 * Reads the whole source into the ingest's DuckDB tables, hashing its bytes as stored: chunks of
 * whole lines go to the worker threads (LAKE_THREADS of them) to be checked, their results to the
 * stager; at most two chunks per thread are out at a time.
 */
async function stageSource(
  duck: DuckDb,
  source: Source,
  nowMs: number,
  work: { folder: string; threads: number },
  signal?: AbortSignal,
): Promise<StagedSource> {
  const stager = await Stager.open(duck);
  const pool = CheckPool.start(work.threads);
  const context = { nowMs, ...(source.expectedType === undefined ? {} : { expectedType: source.expectedType }) };
  const digest = new DigestStream();
  let linesRead = 0;
  let failure: unknown;
  // Results are added here, one at a time, in the order the threads finish them.
  const done: CheckResult[] = [];
  const addDone = async (): Promise<void> => {
    for (let result = done.shift(); result !== undefined; result = done.shift()) await stager.add(result);
    if (failure !== undefined) throw failure;
  };
  const consume = async (input: AsyncIterable<unknown>): Promise<void> => {
    let seq = 0;
    for await (const chunk of sourceChunks(input as Readable, CHUNK_BYTES)) {
      linesRead = chunk.firstLine + chunk.lines - 1;
      const file = path.join(work.folder, `chunk-${seq++}.tsv`);
      pool.check({ firstLine: chunk.firstLine, bytes: chunk.bytes, context, file }).then(
        (result) => done.push(result),
        (error: unknown) => (failure ??= error),
      );
      await addDone();
      while (pool.pending >= 2 * work.threads || stager.behind) {
        await (stager.behind ? stager.drained() : pool.idle());
        await addDone();
      }
    }
    while (pool.pending > 0) {
      await pool.idle();
      await addDone();
    }
    await addDone();
  };
  try {
    const input = await source.open(signal);
    const options = signal === undefined ? {} : { signal };
    if (source.gzip) await pipeline(input, digest, createGunzip({ chunkSize: 1024 * 1024 }), consume, options);
    else await pipeline(input, digest, consume, options);
  } finally {
    await pool.close();
  }
  await stager.finish();
  return { linesRead, blankLines: stager.blankLines, sourceBytes: digest.bytes, sha256: digest.sha256() };
}

interface StagedPartition extends Partition {
  key: string;
  events: number;
}

async function stagedPartitions(duck: DuckDb, table: 'staged' | 'sorted'): Promise<StagedPartition[]> {
  const rows = await duck.rows<{ type: string; date: string; hour: string; key: string; events: bigint }>(
    'staged_partitions',
    [],
    { table },
  );
  return rows.map((row) => ({
    type: row.type,
    date: row.date,
    hour: Number(row.hour),
    key: row.key,
    events: Number(row.events),
  }));
}

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

/** Writes the staged events, a range of partitions per COPY, into folder; one or more files per partition. */
async function writeEvents(
  duck: DuckDb,
  partitions: StagedPartition[],
  folder: string,
  ingestId: number,
): Promise<WrittenFile[]> {
  const files: WrittenFile[] = [];
  for (let i = 0; i < partitions.length; i += PARTITIONS_PER_COPY) {
    const group = partitions.slice(i, i + PARTITIONS_PER_COPY);
    const target = path.join(folder, `part-${i / PARTITIONS_PER_COPY}`);
    const reader = await duck.connection.runAndReadAll(
      DuckDb.statement('write_events', { folder: literal(target), name: literal(`ingest-${ingestId}-{i}`) }),
      [group[0]!.key, group.at(-1)!.key, BigInt(ingestId)],
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
    await duck.run('drop_repeats');
    phases.end('dedupe');
    staging = await ctx.lake.stagingFolder(`ingest-${ingestId}`);
    const folder = staging;
    const result = await inTransaction(client, async () => {
      const touched = await stagedPartitions(duck!, 'staged');
      await lockPartitions(client, touched);
      const known = await partitionFiles(client, touched);
      if (known.length > 0) {
        const local = await ctx.lake.localPaths(known, path.join(work!, 'known'), ctx.signal);
        await duck!.run('drop_known', [], { files: literalList(local) });
      }
      phases.end('lake_dedupe');
      await duck!.run('sort_staged');
      phases.end('sort');
      const events = await writeEvents(duck!, await stagedPartitions(duck!, 'sorted'), folder, ingestId);
      const quarantine = await writeQuarantine(duck!, folder, ingestId, source, startedAt);
      phases.end('write');
      const files = quarantine.file === undefined ? events : [...events, quarantine.file];
      await eachLimited(files, PUBLISH_AT_ONCE, async (file) => {
        await ctx.lake.publish(file.localFile, file.path, ctx.signal);
        published.push(file.path);
      });
      phases.end('publish');
      await addFiles(client, files);
      const eventsWritten = events.reduce((sum, file) => sum + file.rows, 0);
      const valid = read.linesRead - read.blankLines - quarantine.count;
      const duplicates = valid - eventsWritten;
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
