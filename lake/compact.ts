import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { inTransaction, withClient, type PoolClient } from '../lib/db';
import { describeError } from '../lib/errors';
import { querySqlFile } from '../lib/sqlFiles';
import { addFiles, lockPartitions, type CatalogFile, type LakeContext } from './catalog';
import { exportCatalogDays } from './catalogExport';
import { DuckDb, literal, literalList } from './duckdb';
import { compactedFilePath, type Partition } from './partitions';

/**
 * Compaction (docs/lake-maintenance.md, "Compaction"): a partition that arrived in many small
 * files (late events, frequent ingests) is rewritten into files of about the target size. Per
 * partition, one PostgreSQL transaction holds the partition's lock (the one an ingest takes, so
 * an ingest's dedupe never reads the partition half-compacted), reads its live files under the
 * target, packs them into groups of at most the target, rewrites each group of two or more
 * into one file with DuckDB, checks the rows, moves the files into the lake and, at commit, adds
 * them and marks the ones they replace removed. A reader planning from the catalog sees the old
 * files or the new ones, never both nor neither; the old files stay until lake maintenance
 * deletes them after LAKE_FILE_GRACE, so that a query which planned with them can finish. A crash
 * before the commit leaves only orphan files, which maintenance deletes.
 */

export type CompactContext = LakeContext;

/** Partitions per run unless told otherwise: at most that many target-sized rewrites between two ticks. */
export const DEFAULT_MAX_PARTITIONS = 200;

export interface CompactOptions {
  /** Only partitions of this type, date (YYYY-MM-DD) and hour; absent: any. */
  type?: string;
  date?: string;
  hour?: number;
  /** At most this many partitions in one run, the most fragmented first; the rest wait for the next run. */
  maxPartitions: number;
}

export interface CompactedPartition extends Partition {
  compactionId: number;
  filesIn: number;
  filesOut: number;
  rows: number;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
}

export interface CompactionSummary {
  /** Partitions the catalog listed as worth compacting. */
  candidates: number;
  compacted: CompactedPartition[];
  failed: number;
  durationMs: number;
}

export interface SizedFile {
  path: string;
  bytes: number;
}

/**
 * The files under the target size, packed first-fit decreasing into groups of at most
 * targetBytes together (their sizes as the estimate of the file they make); only the groups of
 * two or more are worth rewriting. First fit leaves no two groups that would fit together, so a
 * partition under the target ends as one file.
 */
export function packFiles<T extends SizedFile>(files: readonly T[], targetBytes: number): T[][] {
  const bins: { bytes: number; files: T[] }[] = [];
  const largestFirst = files
    .filter((file) => file.bytes < targetBytes)
    .sort((a, b) => b.bytes - a.bytes || a.path.localeCompare(b.path));
  for (const file of largestFirst) {
    const bin = bins.find((candidate) => candidate.bytes + file.bytes <= targetBytes);
    if (bin === undefined) {
      bins.push({ bytes: file.bytes, files: [file] });
    } else {
      bin.bytes += file.bytes;
      bin.files.push(file);
    }
  }
  return bins.filter((bin) => bin.files.length >= 2).map((bin) => bin.files);
}

interface InputFile extends SizedFile {
  rows: number;
  minCreatedAt: Date;
  maxCreatedAt: Date;
}

async function candidates(ctx: CompactContext, options: CompactOptions): Promise<Partition[]> {
  const { rows } = await querySqlFile<{ event_type: string; event_date: string; event_hour: number }>(
    ctx.db,
    'lake/compaction_candidates.sql',
    [
      ctx.config.lake.targetFileBytes,
      options.type ?? null,
      options.date ?? null,
      options.hour ?? null,
      options.maxPartitions,
    ],
  );
  return rows.map((row) => ({ type: row.event_type, date: row.event_date, hour: row.event_hour }));
}

async function inputFiles(client: PoolClient, partition: Partition, targetBytes: number): Promise<InputFile[]> {
  const { rows } = await querySqlFile<{
    path: string;
    rows: string;
    bytes: string;
    min_created_at: Date;
    max_created_at: Date;
  }>(client, 'lake/compaction_inputs.sql', [partition.type, partition.date, partition.hour, targetBytes]);
  return rows.map((row) => ({
    path: row.path,
    rows: Number(row.rows),
    bytes: Number(row.bytes),
    minCreatedAt: row.min_created_at,
    maxCreatedAt: row.max_created_at,
  }));
}

const sum = (files: readonly { rows: number }[]): number => files.reduce((total, file) => total + file.rows, 0);
const bytesOf = (files: readonly { bytes: number }[]): number => files.reduce((total, file) => total + file.bytes, 0);

/** Rewrites one group of a partition's files as the local file `out`: the catalog entry it becomes. */
async function rewriteGroup(
  duck: DuckDb,
  group: readonly InputFile[],
  localInputs: readonly string[],
  out: string,
): Promise<{ rows: number; bytes: number; minCreatedAt: Date; maxCreatedAt: Date }> {
  await duck.run('compact_files', [], { files: literalList(localInputs), file: literal(out) });
  const rows = sum(group);
  const [written] = await duck.rows<{ rows: bigint }>('file_rows', [], { file: literal(out) });
  if (Number(written?.rows) !== rows) {
    throw new Error(
      `compaction wrote ${String(written?.rows)} rows to ${out}, not the ${rows} of its ${group.length} files`,
    );
  }
  return {
    rows,
    bytes: (await stat(out)).size,
    // The same rows, so the same range: no need to read it back.
    minCreatedAt: new Date(Math.min(...group.map((file) => file.minCreatedAt.getTime()))),
    maxCreatedAt: new Date(Math.max(...group.map((file) => file.maxCreatedAt.getTime()))),
  };
}

/** Compacts one partition in one transaction (see the module's comment); undefined when there was nothing to do. */
async function compactPartition(
  ctx: CompactContext,
  duck: DuckDb,
  work: string,
  partition: Partition,
): Promise<CompactedPartition | undefined> {
  const began = Date.now();
  const { targetFileBytes } = ctx.config.lake;
  const published: string[] = [];
  let staging: string | undefined;
  const downloads = path.join(work, 'inputs');
  // Set once the work is done and COMMIT is sent: a COMMIT that fails may still have committed,
  // so from then on the published files are left for maintenance, which knows from the catalog.
  let committing = false;
  try {
    return await withClient(ctx.db, (client) =>
      inTransaction(client, async () => {
        await lockPartitions(client, [partition]);
        // Read under the lock: the catalog as the last ingest or compaction of the partition left it.
        const groups = packFiles(await inputFiles(client, partition, targetFileBytes), targetFileBytes);
        if (groups.length === 0) return undefined;
        const { rows: ids } = await querySqlFile<{ compaction_id: string }>(client, 'lake/next_compaction_id.sql');
        const compactionId = Number(ids[0]!.compaction_id);
        staging = await ctx.lake.stagingFolder(`compaction-${compactionId}`);
        const files: CatalogFile[] = [];
        for (const [i, group] of groups.entries()) {
          const relative = compactedFilePath(partition, compactionId, i + 1);
          const out = path.join(staging, path.posix.basename(relative));
          // A group's downloads at a time (S3): the disk it takes is bounded by the target.
          const local = await ctx.lake.localPaths(
            group.map((file) => file.path),
            downloads,
            ctx.signal,
          );
          const written = await rewriteGroup(duck, group, local, out);
          await rm(downloads, { recursive: true, force: true });
          await ctx.lake.publish(out, relative, ctx.signal);
          published.push(relative);
          files.push({ path: relative, content: 'events', partition, ...written, compactionId });
        }
        const inputs = groups.flat();
        const result = {
          ...partition,
          compactionId,
          filesIn: inputs.length,
          filesOut: files.length,
          rows: sum(files),
          bytesIn: bytesOf(inputs),
          bytesOut: bytesOf(files),
        };
        await querySqlFile(client, 'lake/record_compaction.sql', [
          compactionId,
          partition.type,
          partition.date,
          partition.hour,
          ctx.runId ?? null,
          result.filesIn,
          result.filesOut,
          result.rows,
          result.bytesIn,
          result.bytesOut,
        ]);
        await addFiles(client, files);
        const replaced = await querySqlFile(client, 'lake/replace_files.sql', [inputs.map((file) => file.path)]);
        if (replaced.rowCount !== inputs.length) {
          throw new Error(
            `${replaced.rowCount} of the ${inputs.length} files compacted were still live in the catalog`,
          );
        }
        committing = true;
        return { ...result, durationMs: Date.now() - began };
      }),
    );
  } catch (error) {
    // Rolled back: nothing names the files it moved into the lake. What fails to go, maintenance deletes.
    if (!committing) for (const file of published) await ctx.lake.remove(file).catch(() => undefined);
    throw error;
  } finally {
    if (staging !== undefined) await rm(staging, { recursive: true, force: true });
    await rm(downloads, { recursive: true, force: true });
  }
}

/** Compacts the candidate partitions one after the other, one log line each and a summary. */
export async function compactLake(ctx: CompactContext, options: CompactOptions): Promise<CompactionSummary> {
  const began = Date.now();
  const partitions = await candidates(ctx, options);
  const compacted: CompactedPartition[] = [];
  let failed = 0;
  if (partitions.length > 0) {
    const { tempDir, memoryLimitMb, threads } = ctx.config.lake;
    await mkdir(tempDir, { recursive: true });
    const work = await mkdtemp(path.join(tempDir, 'lake-compact-'));
    const duck = await DuckDb.open({ memoryLimitMb, threads, spillDir: path.join(work, 'spill') });
    try {
      for (const partition of partitions) {
        ctx.signal?.throwIfAborted();
        try {
          const done = await compactPartition(ctx, duck, work, partition);
          if (done === undefined) continue;
          compacted.push(done);
          await exportCatalogDays(ctx.db, ctx.lake, [done.date], ctx.signal).catch((error: unknown) => {
            ctx.log.warn('catalog export not updated; lake maintenance will rewrite it', {
              date: done.date,
              error: describeError(error),
            });
          });
          ctx.log.info('partition compacted', {
            type: done.type,
            date: done.date,
            hour: done.hour,
            compaction_id: done.compactionId,
            files_in: done.filesIn,
            files_out: done.filesOut,
            rows: done.rows,
            bytes_in: done.bytesIn,
            bytes_out: done.bytesOut,
            duration_ms: done.durationMs,
          });
        } catch (error) {
          if (ctx.signal?.aborted === true) throw error;
          failed++;
          ctx.log.error('partition not compacted; its files are unchanged', {
            type: partition.type,
            date: partition.date,
            hour: partition.hour,
            error: describeError(error),
          });
        }
      }
    } finally {
      duck.close();
      await rm(work, { recursive: true, force: true });
    }
  }
  const summary = { candidates: partitions.length, compacted, failed, durationMs: Date.now() - began };
  ctx.log.log(failed > 0 ? 'warn' : 'info', 'compaction finished', {
    candidates: summary.candidates,
    partitions: compacted.length,
    failed,
    files_in: compacted.reduce((total, p) => total + p.filesIn, 0),
    files_out: compacted.reduce((total, p) => total + p.filesOut, 0),
    rows: sum(compacted),
    bytes_in: compacted.reduce((total, p) => total + p.bytesIn, 0),
    bytes_out: compacted.reduce((total, p) => total + p.bytesOut, 0),
    duration_ms: summary.durationMs,
  });
  return summary;
}
