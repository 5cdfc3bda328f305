import { rewriteCatalogExports } from './catalogExport';
import type { Config } from '../lib/config';
import { withClient, type Pool } from '../lib/db';
import type { Logger } from '../lib/logger';
import { querySqlFile } from '../lib/sqlFiles';
import { eachLimited, type LakeStore, type StagingLeftovers } from './lakeStore';

/**
 * Lake maintenance (docs/lake-maintenance.md, "Maintenance"), in this order: ingests left
 * 'running' by a process that died are marked failed; files a compaction replaced more than
 * LAKE_FILE_GRACE ago are deleted, the file first and then its catalog row; files under events/
 * and quarantine/ that no catalog row names (an ingest or compaction that stopped before its
 * commit), and staging folders nothing changed in, are deleted once older than the grace. The
 * grace is what keeps a query that planned with a file, and a writer between moving its file
 * into the lake and committing it, from losing it. A catalog row never outlives its file while
 * removed_at is NULL: only replaced files' rows are deleted, and only after their file.
 */

export interface MaintainContext {
  db: Pool;
  lake: LakeStore;
  config: Config;
  log: Logger;
  signal?: AbortSignal;
}

export interface MaintainOptions {
  /** Count what would be done, change nothing. */
  dryRun: boolean;
}

export interface FileCount {
  files: number;
  bytes: number;
}

export interface MaintenanceSummary {
  /** Ingests marked failed (or that would be, in a dry run). */
  abandonedIngests: number[];
  replaced: FileCount;
  orphans: FileCount & { events: number; quarantine: number };
  staging: StagingLeftovers;
  /** Dates whose catalog export (_catalog/) was rewritten; 0 in a dry run. */
  exports: number;
  durationMs: number;
}

// Files per catalog query and per round of deletes: a bounded statement and a bounded list in memory.
const PAGE = 1000;
const DELETES_AT_ONCE = 8;

function abandonedReason(source: string, startedAt: Date): string {
  return `abandoned: started ${startedAt.toISOString()} on ${source}, its process ended without finishing it (no session holds its lock); nothing of it is in the lake`;
}

/** Running ingests whose lock is free: no session is running them; marked failed while the lock is held here. */
async function abandonIngests(ctx: MaintainContext, dryRun: boolean): Promise<number[]> {
  return withClient(ctx.db, async (client) => {
    const { rows } = await querySqlFile<{ ingest_id: string; source: string; started_at: Date }>(
      client,
      'lake/running_ingests.sql',
    );
    const abandoned: number[] = [];
    for (const row of rows) {
      const { rows: lock } = await querySqlFile<{ free: boolean }>(client, 'lake/try_hold_ingest.sql', [row.ingest_id]);
      if (!lock[0]!.free) continue;
      try {
        // No row updated: it finished, letting go of its lock, between the list and the try.
        const marked =
          dryRun ||
          (
            await querySqlFile(client, 'lake/abandon_ingests.sql', [
              row.ingest_id,
              abandonedReason(row.source, row.started_at),
            ])
          ).rowCount === 1;
        if (marked) abandoned.push(Number(row.ingest_id));
      } finally {
        await querySqlFile(client, 'lake/release_ingest.sql', [row.ingest_id]);
      }
    }
    return abandoned;
  });
}

/** Replaced files past the grace: the file, then its row (a crash between them leaves a row of a removed file, deleted next time). */
async function deleteReplaced(ctx: MaintainContext, dryRun: boolean): Promise<FileCount> {
  const count: FileCount = { files: 0, bytes: 0 };
  let after = 0;
  for (;;) {
    ctx.signal?.throwIfAborted();
    const { rows } = await querySqlFile<{ file_id: string; path: string; bytes: string }>(
      ctx.db,
      'lake/expired_files.sql',
      [ctx.config.lake.fileGraceMs, after, PAGE],
    );
    if (rows.length === 0) return count;
    if (!dryRun) {
      await eachLimited(rows, DELETES_AT_ONCE, (row) => ctx.lake.remove(row.path, ctx.signal));
      await querySqlFile(ctx.db, 'lake/forget_files.sql', [rows.map((row) => row.file_id)]);
    }
    count.files += rows.length;
    count.bytes += rows.reduce((total, row) => total + Number(row.bytes), 0);
    after = Number(rows.at(-1)!.file_id);
  }
}

type Listed = { path: string; bytes: number; modifiedAt: Date };

/** The files under a prefix last changed before the cutoff, a page at a time. */
async function* oldFiles(ctx: MaintainContext, prefix: string, cutoff: Date): AsyncGenerator<Listed[]> {
  let page: Listed[] = [];
  for await (const file of ctx.lake.list(prefix, ctx.signal)) {
    if (file.modifiedAt >= cutoff) continue;
    page.push(file);
    if (page.length === PAGE) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}

/** Files of events/ and quarantine/ past the grace that no catalog row names. */
async function deleteOrphans(
  ctx: MaintainContext,
  cutoff: Date,
  dryRun: boolean,
): Promise<MaintenanceSummary['orphans']> {
  const count = { files: 0, bytes: 0, events: 0, quarantine: 0 };
  for (const kind of ['events', 'quarantine'] as const) {
    for await (const page of oldFiles(ctx, `${kind}/`, cutoff)) {
      // Asked right before the delete: a file committed since the listing is named by now.
      const { rows } = await querySqlFile<{ path: string }>(ctx.db, 'lake/unnamed_paths.sql', [
        page.map((file) => file.path),
      ]);
      const unnamed = new Set(rows.map((row) => row.path));
      const orphans = page.filter((file) => unnamed.has(file.path));
      if (!dryRun) await eachLimited(orphans, DELETES_AT_ONCE, (file) => ctx.lake.remove(file.path, ctx.signal));
      count[kind] += orphans.length;
      count.files += orphans.length;
      count.bytes += orphans.reduce((total, file) => total + file.bytes, 0);
    }
  }
  return count;
}

/** One maintenance pass; one log line per kind of action, with its counts. */
export async function maintainLake(ctx: MaintainContext, options: MaintainOptions): Promise<MaintenanceSummary> {
  const began = Date.now();
  const { dryRun } = options;
  const graceS = ctx.config.lake.fileGraceMs / 1000;
  const flags = { dry_run: dryRun, grace_s: graceS };

  const abandonedIngests = await abandonIngests(ctx, dryRun);
  ctx.log.log(abandonedIngests.length > 0 ? 'warn' : 'info', 'abandoned ingests marked failed', {
    ...flags,
    ingests: abandonedIngests.length,
    ...(abandonedIngests.length > 0 ? { ingest_ids: abandonedIngests.join(',') } : {}),
  });

  const replaced = await deleteReplaced(ctx, dryRun);
  ctx.log.info('replaced files deleted', { ...flags, files: replaced.files, bytes: replaced.bytes });

  // The host's clock against the files' times (the file system's, the S3 server's): the grace is long, skew is small.
  const cutoff = new Date(Date.now() - ctx.config.lake.fileGraceMs);
  const orphans = await deleteOrphans(ctx, cutoff, dryRun);
  ctx.log.log(orphans.files > 0 ? 'warn' : 'info', 'orphan files deleted', { ...flags, ...orphans });

  const staging = await ctx.lake.removeStaleStaging(cutoff, dryRun);
  ctx.log.info('staging leftovers deleted', { ...flags, ...staging });

  // Every date's export from the catalog as it now is: whatever a crash or a failed upload left stale.
  const exports = dryRun ? 0 : await rewriteCatalogExports(ctx.db, ctx.lake, ctx.signal);
  ctx.log.info('catalog exports rewritten', { ...flags, dates: exports });

  return { abandonedIngests, replaced, orphans, staging, exports, durationMs: Date.now() - began };
}
