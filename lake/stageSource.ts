import { writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DuckDBBlobValue, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import { DigestStream } from '../lib/digestStream';
import { BUCKETS, bucketFile, bucketOf, idsFile, partitionKey, partitionOfKey, type CheckResult } from './checkLines';
import { CheckPool } from './checkPool';
import { DuckDb } from './duckdb';
import type { Partition } from './partitions';
import { sourceChunks } from './sourceLines';
import type { Source } from './sources';

/**
 * The reading of an ingest (lake/ingest.ts): the source's bytes, hashed as stored, in chunks of
 * whole lines to the worker threads (LAKE_THREADS of them), which check them and write the good
 * lines to bucket files (lake/checkLines.ts); what they hand back goes into the ingest's DuckDB:
 * the malformed lines to its quarantine, the lines that need care to staged (stage_lines.sql).
 * At most two chunks per thread are out at a time, so memory stays bounded; the bucket files hold
 * the source's good lines on disk, in LAKE_TMP_DIR, until the ingest writes them to the lake.
 */

export interface StagedPartition extends Partition {
  bucket: number;
}

export interface StagedSource {
  linesRead: number;
  blankLines: number;
  sourceBytes: number;
  sha256: string;
  /** Every partition with good lines, in the order of its bucket. */
  partitions: StagedPartition[];
  /** The bucket files of each bucket (index: bucket), and their bytes. */
  buckets: { files: string[]; bytes: number }[];
  idsFiles: string[];
  /** An empty file of lines, for a statement that must name at least one (a group with only staged lines). */
  emptyFile: string;
}

// Lines appended to DuckDB between two stage_lines.sql: enough for DuckDB to use its threads, few enough to stay small.
const LINES_PER_BATCH = 100_000;
// What a worker thread checks at once: big enough that the messages cost little.
const CHUNK_BYTES = 4 * 1024 * 1024;
// Two tables take the appended lines in turn: DuckDB stages one (stage_lines.sql) while the
// other fills.
const RAW_TABLES = ['raw_lines_0', 'raw_lines_1'] as const;

/**
 * What the main thread takes of the checks' results: the malformed lines appended to the
 * quarantine, the lines that need care appended and staged by stage_lines.sql (each batch by one
 * statement on a connection of its own, while the main thread appends on the other), and the
 * partitions of the good lines.
 */
class Stager {
  blankLines = 0;
  readonly partitions = new Set<string>();
  private inBatch = 0;
  private current = 0;
  private staging: Promise<void> = Promise.resolve();

  private constructor(
    private readonly duck: DuckDb,
    private readonly stageConnection: DuckDBConnection,
    private raw: DuckDBAppender,
    private readonly quarantine: DuckDBAppender,
    private readonly originals: ReadonlyMap<number, Buffer> | undefined,
  ) {}

  static async open(duck: DuckDb, originals?: ReadonlyMap<number, Buffer>): Promise<Stager> {
    await duck.run('ingest_tables');
    const [raw, quarantine] = [await duck.appender(RAW_TABLES[0]), await duck.appender('quarantined')];
    return new Stager(duck, await duck.connect(), raw, quarantine, originals);
  }

  async add(result: CheckResult): Promise<void> {
    this.blankLines += result.blank;
    for (const key of result.partitions) this.partitions.add(key);
    for (const bad of result.quarantined) {
      this.quarantine.appendBigInt(BigInt(bad.line));
      this.quarantine.appendVarchar(bad.reason);
      this.quarantine.appendVarchar(bad.detail);
      this.quarantine.appendBlob(bad.raw);
      this.quarantine.endRow();
    }
    for (const line of result.append) {
      const key = partitionKey(line.type, line.createdAtMs);
      this.partitions.add(key);
      this.raw.appendDouble(line.line);
      this.raw.appendVarchar(line.id);
      this.raw.appendVarchar(line.type);
      this.raw.appendDouble(line.createdAtMs);
      this.raw.appendInteger(bucketOf(key));
      this.raw.appendVarchar(line.text);
      this.raw.endRow();
      if (++this.inBatch === LINES_PER_BATCH) await this.flushAppended();
    }
  }

  /** Hands the filled table to DuckDB and appends into the other one, once DuckDB emptied it. */
  private async flushAppended(): Promise<void> {
    this.raw.closeSync();
    const emptied = this.staging;
    this.stageBatch();
    this.current = 1 - this.current;
    await emptied;
    this.raw = await this.duck.appender(RAW_TABLES[this.current]!);
    this.inBatch = 0;
  }

  /** Stages the current table after the statements before it; a failure shows at the next await of `staging`. */
  private stageBatch(): void {
    const statement = DuckDb.statement('stage_lines', { raw: RAW_TABLES[this.current]! });
    const next = this.staging.then(async () => {
      await this.stageConnection.run(statement);
    });
    next.catch(() => undefined);
    this.staging = next;
  }

  async finish(): Promise<void> {
    this.raw.closeSync();
    this.stageBatch();
    await this.staging;
    this.quarantine.closeSync();
    await this.duck.run('finish_staging');
    // Few, when any: the messages of a queue that spanned lines.
    for (const [line, bytes] of this.originals ?? []) {
      await this.duck.run('restore_original', [BigInt(line), new DuckDBBlobValue(bytes)]);
    }
  }
}

function stagedPartitions(keys: Set<string>): StagedPartition[] {
  const partitions = [...keys].map((key): StagedPartition => ({ ...partitionOfKey(key), bucket: bucketOf(key) }));
  return partitions.sort((a, b) => a.bucket - b.bucket);
}

/** The bucket files the threads wrote, and their sizes. */
async function bucketFiles(folder: string, writers: number): Promise<StagedSource['buckets']> {
  const sizeOf = (file: string): Promise<number> =>
    stat(file).then(
      (stats) => stats.size,
      () => -1,
    );
  return Promise.all(
    Array.from({ length: BUCKETS }, async (_, bucket) => {
      const candidates = Array.from({ length: writers }, (__, writer) => bucketFile(folder, bucket, writer));
      const sizes = await Promise.all(candidates.map(sizeOf));
      return {
        files: candidates.filter((_file, i) => sizes[i]! >= 0),
        bytes: sizes.reduce((sum, size) => sum + Math.max(size, 0), 0),
      };
    }),
  );
}

/** Reads the whole source; see the module's comment. `folder` is the ingest's, for the files of good lines. */
export async function stageSource(
  duck: DuckDb,
  source: Source,
  nowMs: number,
  work: { folder: string; threads: number },
  signal?: AbortSignal,
): Promise<StagedSource> {
  const stager = await Stager.open(duck, source.originals);
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
    for await (const chunk of sourceChunks(input as Readable, CHUNK_BYTES)) {
      linesRead = chunk.firstLine + chunk.lines - 1;
      pool.check({ firstLine: chunk.firstLine, bytes: chunk.bytes, context, folder: work.folder }).then(
        (result) => done.push(result),
        (error: unknown) => (failure ??= error),
      );
      await addDone();
      while (pool.pending >= 2 * work.threads) {
        await pool.idle();
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
  const emptyFile = path.join(work.folder, 'empty.tsv');
  writeFileSync(emptyFile, '');
  const idsFiles = Array.from({ length: work.threads }, (_, writer) => idsFile(work.folder, writer));
  for (const file of idsFiles) writeFileSync(file, '', { flag: 'a' });
  return {
    linesRead,
    blankLines: stager.blankLines,
    sourceBytes: digest.bytes,
    sha256: digest.sha256(),
    partitions: stagedPartitions(stager.partitions),
    buckets: await bucketFiles(work.folder, work.threads),
    idsFiles,
    emptyFile,
  };
}
