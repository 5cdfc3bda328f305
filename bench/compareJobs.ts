import { describeError } from '../lib/errors';
import { checkpoint, copyFileIntoLoans, queryBenchSql } from './benchSql';
import { jobArgs, runJob, runPsqlReference } from './commands';
import { measureProcess, lastLine } from './measureProcess';
import { runPairs, type Side } from './pairs';
import type { BenchDatabase } from './postgres';
import type { BenchContext, JobSize } from './results';
import { commandEnv } from './commands';
import { projectRoot } from '../lib/sqlFiles';

/**
 * Items 4 and 5: the rolling-average job's full rebuild against a bare CREATE TABLE … AS SELECT
 * run by psql, and its incremental refresh after 7 new days against a full rebuild after the same
 * append, at every size of the growth table (capped at the days a calendar holds).
 */

export const APPENDED_DAYS = 7;

/** Not timed: a fresh database whose loans holds the first `days` days of the generated data. */
export async function databaseWithDays(ctx: BenchContext, label: string, days: number): Promise<BenchDatabase> {
  const db = await ctx.server.createDatabase(label);
  await copyFileIntoLoans(db.pool, await ctx.loansFile(days));
  await db.pool.query('VACUUM ANALYZE loans');
  return db;
}

export const sizeName = (days: number): string => `${days.toLocaleString('en-US')} days`;

export async function compareRebuild(ctx: BenchContext): Promise<JobSize[]> {
  const results: JobSize[] = [];
  for (const requestedRows of ctx.settings.sizes) results.push(await rebuildAt(ctx, requestedRows));
  return results;
}

async function rebuildAt(ctx: BenchContext, requestedRows: number): Promise<JobSize> {
  const days = Math.min(requestedRows, ctx.settings.maxDays);
  const size: JobSize = { requestedRows, days, fullParams: [], a: [], b: [] };
  const name = `rebuild ${sizeName(days)}`;
  try {
    const db = await databaseWithDays(ctx, `rebuild_${days}`, days);
    size.fullParams = await fullRebuildParams(db);
    // Every timed run follows a published version, as the scheduler's runs do after the first one.
    ctx.progress(`${name}: first rebuild (not timed)`);
    await runJob(db, size.fullParams);
    const job: Side = { label: 'job', prepare: () => checkpoint(db), run: () => runJob(db, size.fullParams) };
    const reference: Side = {
      label: 'psql CREATE TABLE AS',
      prepare: async () => {
        await queryBenchSql(db.pool, 'drop_reference.sql');
        await checkpoint(db);
      },
      run: () => runPsqlReference(ctx.settings.psql, db),
    };
    await runPairs(name, job, reference, ctx.settings.pairs, ctx.progress, size);
  } catch (error) {
    if (ctx.interrupted.aborted) throw error;
    size.error = describeError(error);
    ctx.progress(`${name}: failed: ${size.error}`);
  }
  return size;
}

export const INCREMENTAL_PARAMS = ['mode=incremental'];
const FULL_PARAMS = ['mode=full'];

/**
 * Undefined when this build's job takes these parameters, else why not (the job's own message).
 * A dry run: it checks the parameters without touching a database.
 */
export async function jobRefuses(db: BenchDatabase, params: readonly string[]): Promise<string | undefined> {
  try {
    await measureProcess(process.execPath, [...jobArgs(params), '--dry-run'], {
      env: commandEnv(db),
      cwd: projectRoot,
    });
    return undefined;
  } catch (error) {
    // The job's own message, without the command line and the log line's prefix.
    const line = lastLine(describeError(error));
    return line.includes('error=') ? line.slice(line.indexOf('error=') + 'error='.length) : line;
  }
}

/**
 * The parameters of a full rebuild: none, the command the scheduler runs, unless the job has a
 * `mode` parameter with a `full` value, which then says it explicitly, whatever the default mode.
 */
export async function fullRebuildParams(db: BenchDatabase): Promise<string[]> {
  return (await jobRefuses(db, FULL_PARAMS)) === undefined ? FULL_PARAMS : [];
}

/** How many days loans may start with so that every append of the run still fits in the calendar. */
export function incrementalStartDays(requestedRows: number, maxDays: number, pairs: number): number {
  return Math.min(requestedRows, maxDays - APPENDED_DAYS * 2 * pairs);
}

export async function compareIncremental(ctx: BenchContext): Promise<JobSize[]> {
  const results: JobSize[] = [];
  for (const requestedRows of ctx.settings.sizes) {
    const days = incrementalStartDays(requestedRows, ctx.settings.maxDays, ctx.settings.pairs);
    const size: JobSize = { requestedRows, days, fullParams: [], a: [], b: [] };
    results.push(size);
    const name = `incremental ${sizeName(days)}`;
    try {
      const db = await databaseWithDays(ctx, `incremental_${days}`, days);
      size.fullParams = await fullRebuildParams(db);
      ctx.progress(`${name}: first full rebuild and incremental refresh (not timed)`);
      await runJob(db, size.fullParams);
      // Whatever the full rebuild leaves in loans_changes, the timed refreshes start from an empty log.
      await runJob(db, INCREMENTAL_PARAMS);
      const appendDays = async (): Promise<void> => {
        await queryBenchSql(db.pool, 'append_days.sql', [APPENDED_DAYS]);
        await checkpoint(db);
      };
      const incremental: Side = {
        label: `incremental after ${APPENDED_DAYS} new days`,
        prepare: appendDays,
        run: () => runJob(db, INCREMENTAL_PARAMS),
      };
      const full: Side = {
        label: `full rebuild after ${APPENDED_DAYS} new days`,
        prepare: appendDays,
        run: () => runJob(db, size.fullParams),
      };
      await runPairs(name, incremental, full, ctx.settings.pairs, ctx.progress, size);
    } catch (error) {
      if (ctx.interrupted.aborted) throw error;
      size.error = describeError(error);
      ctx.progress(`${name}: failed: ${size.error}`);
    }
  }
  return results;
}
