import { setTimeout as sleep } from 'node:timers/promises';
import { describeError } from '../lib/errors';
import { checkpoint, copyFileIntoLoans, queryBenchSql } from './benchSql';
import { runJob } from './commands';
import { databaseWithDays, fullRebuildParams, sizeName } from './compareJobs';
import { PROJECT_LOANS_FILE } from './generateData';
import type { Sample } from './pairs';
import type { BenchDatabase } from './postgres';
import type { BackToBack, BenchContext, LoansCsvRefreshes, SoakResult, UpdateCounts } from './results';

/**
 * Item 6: the full refresh the way the scheduler runs it, one after another. At the middle size,
 * `soakRefreshes` full refreshes (each a new process, as in the other comparisons) on one database
 * with no CHECKPOINT or VACUUM forced between them, autovacuum as the server has it: whether the
 * rewrite of every row slows the refreshes down or bloats the table. Then, on data/loans.csv, what
 * one full refresh of the real file costs.
 */

const PUBLISHED = 'default_liquidation_rolling_avg_hist';
const REFERENCE = 'bench_rolling_avg_reference';

/**
 * Each backend sends its statistics asynchronously, at the latest when it exits: the last job's
 * backend may still be exiting when its process has. A moment's wait lets it report.
 */
const STATISTICS_SETTLE_MS = 1000;

export async function soakRefreshes(ctx: BenchContext): Promise<SoakResult> {
  return { backToBack: await refreshBackToBack(ctx), loansCsv: await refreshLoansCsv(ctx) };
}

/** `total` full refreshes one after the other into `runs`; `afterFirst` (not timed) after the first. */
async function refreshRepeatedly(
  ctx: BenchContext,
  name: string,
  db: BenchDatabase,
  fullParams: readonly string[],
  total: number,
  runs: Sample[],
  afterFirst: () => Promise<void> = async () => undefined,
): Promise<void> {
  for (let run = 1; run <= total; run += 1) {
    const sample = await runJob(db, fullParams);
    runs.push(sample);
    ctx.progress(
      `${name}: full refresh ${run}/${total}: ${(sample.wallMs / 1000).toFixed(2)} s wall, ${sample.recordedMs ?? '?'} ms recorded`,
    );
    if (run === 1) await afterFirst();
  }
}

async function relationBytes(db: BenchDatabase, table: typeof PUBLISHED | typeof REFERENCE): Promise<number> {
  return (await queryBenchSql<{ bytes: number }>(db.pool, 'relation_bytes.sql', [table])).rows[0]!.bytes;
}

async function updateCounts(db: BenchDatabase): Promise<UpdateCounts> {
  return (await queryBenchSql<UpdateCounts>(db.pool, 'update_counts.sql')).rows[0]!;
}

async function refreshBackToBack(ctx: BenchContext): Promise<BackToBack> {
  const days = Math.min(ctx.settings.sizes[1], ctx.settings.maxDays);
  const result: BackToBack = { days, fullParams: [], runs: [] };
  const name = `soak ${sizeName(days)}`;
  try {
    const db = await databaseWithDays(ctx, `soak_${days}`, days);
    result.fullParams = await fullRebuildParams(db);
    // Once, before the series: the load's dirty pages are not the first refresh's to write.
    await checkpoint(db);
    const before = await updateCounts(db);
    // The table as the first refresh built it (fillfactor 50) too, to tell its design from bloat.
    await refreshRepeatedly(ctx, name, db, result.fullParams, ctx.settings.soakRefreshes, result.runs, async () => {
      result.publishedBytesAfterFirst = await relationBytes(db, PUBLISHED);
    });
    result.publishedBytesAfterLast = await relationBytes(db, PUBLISHED);
    await sleep(STATISTICS_SETTLE_MS);
    const after = await updateCounts(db);
    result.updates = {
      rows: after.rows - before.rows,
      hot: after.hot - before.hot,
      autovacuums: after.autovacuums - before.autovacuums,
    };
    // Not timed: the same result written fresh, once bare and once with the published table's key.
    await queryBenchSql(db.pool, 'rebuild_reference.sql');
    result.referenceBytes = await relationBytes(db, REFERENCE);
    await queryBenchSql(db.pool, 'reference_primary_key.sql');
    result.referenceWithKeyBytes = await relationBytes(db, REFERENCE);
  } catch (error) {
    if (ctx.interrupted.aborted) throw error;
    result.error = describeError(error);
    ctx.progress(`${name}: failed: ${result.error}`);
  }
  return result;
}

async function refreshLoansCsv(ctx: BenchContext): Promise<LoansCsvRefreshes> {
  const result: LoansCsvRefreshes = { days: 0, runs: [] };
  const name = 'soak data/loans.csv';
  try {
    const db = await ctx.server.createDatabase('soak_loans_csv');
    await copyFileIntoLoans(db.pool, PROJECT_LOANS_FILE);
    result.days = (await queryBenchSql<{ days: number }>(db.pool, 'loans_days.sql')).rows[0]!.days;
    const fullParams = await fullRebuildParams(db);
    ctx.progress(`${name}: first refresh (not timed)`);
    await runJob(db, fullParams);
    await refreshRepeatedly(ctx, name, db, fullParams, ctx.settings.loansCsvRefreshes, result.runs);
  } catch (error) {
    if (ctx.interrupted.aborted) throw error;
    result.error = describeError(error);
    ctx.progress(`${name}: failed: ${result.error}`);
  }
  return result;
}
