import { statSync } from 'node:fs';
import path from 'node:path';
import { describeError } from '../lib/errors';
import { checkpoint, queryBenchSql } from './benchSql';
import { runLoader, runPsqlCopy } from './commands';
import { runAlone, runPairs, type Side } from './pairs';
import type { BenchDatabase } from './postgres';
import type { BenchContext, LoaderSize, ReloadResult } from './results';

/**
 * Items 1, 2 and 3 of the benchmark: the loader into an empty `loans` against `psql \copy` of the
 * same file into an empty plain table (with the loader's peak memory at every size), and a reload
 * of an unchanged file against the first load.
 */

/** Not timed: an empty loans, and the previous run's dirty pages written out so the next run does not pay for them. */
async function emptyLoans(db: BenchDatabase): Promise<void> {
  await queryBenchSql(db.pool, 'empty_loans.sql');
  await checkpoint(db);
}

/**
 * Not timed: psql's side loads a new plain table with loans' columns and key but not its
 * change-logging triggers, whose transition tables would slow psql down as much as the loader and
 * so flatter it: the ratio is then against the raw limit of COPY.
 */
async function emptyPlainLoans(db: BenchDatabase): Promise<void> {
  await queryBenchSql(db.pool, 'plain_loans.sql');
  await checkpoint(db);
}

export async function compareLoader(ctx: BenchContext): Promise<LoaderSize[]> {
  const { settings } = ctx;
  const db = await ctx.server.createDatabase('loader');
  const results: LoaderSize[] = [];
  for (const rows of settings.sizes) {
    const file = await ctx.loansFile(rows);
    const distinctDays = Math.min(rows, settings.maxDays);
    const size: LoaderSize = {
      rows,
      distinctDays,
      fileBytes: statSync(file).size,
      loader: [],
      summary: '',
    };
    results.push(size);
    let summary = '';
    const loader: Side = {
      label: 'loader',
      prepare: () => emptyLoans(db),
      run: async () => {
        const run = await runLoader(db, file);
        summary = run.summary;
        return run;
      },
    };
    const name = `loader ${rows.toLocaleString('en-US')} rows`;
    try {
      if (distinctDays === rows) {
        size.psql = [];
        const psql: Side = {
          label: 'psql \\copy',
          prepare: () => emptyPlainLoans(db),
          run: () => runPsqlCopy(settings.psql, db, file),
        };
        await runPairs(name, loader, psql, settings.pairs, ctx.progress, { a: size.loader, b: size.psql });
      } else {
        // Repeated days: psql \copy stops at the first one (primary key), so the loader runs alone.
        await runAlone(name, loader, settings.pairs, ctx.progress, size.loader);
      }
    } catch (error) {
      if (ctx.interrupted.aborted) throw error;
      size.error = describeError(error);
      ctx.progress(`${name}: failed: ${size.error}`);
    }
    size.summary = summary;
  }
  return results;
}

export async function compareReload(ctx: BenchContext): Promise<ReloadResult> {
  const rows = ctx.settings.sizes[1];
  const file = await ctx.loansFile(rows);
  const db = await ctx.server.createDatabase('reload');
  const result: ReloadResult = { rows, first: [], reload: [], summary: '' };
  await runPairs(
    `reload ${rows.toLocaleString('en-US')} rows`,
    { label: 'first load', prepare: () => emptyLoans(db), run: () => runLoader(db, file) },
    {
      label: 'reload (unchanged file, no truncate)',
      run: async () => {
        const run = await runLoader(db, file);
        // The temporary folder is gone when a person reads this: name the file only.
        result.summary = run.summary.replace(`${path.dirname(file)}${path.sep}`, '');
        return run;
      },
    },
    ctx.settings.pairs,
    ctx.progress,
    { a: result.first, b: result.reload },
  );
  return result;
}
