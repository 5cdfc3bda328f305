import path from 'node:path';
import { describeDatabase } from '../lib/config';
import { createPool, endPool, waitForDatabase } from '../lib/db';
import { ConfigError } from '../lib/errors';
import { runMain } from '../lib/main';
import { migrate } from '../lib/migrate';
import { DATABASE_ENVIRONMENT, LOG_ENVIRONMENT, usageLine, type Usage } from '../lib/usage';
import { loadFile, type LoadSummary } from './loadFile';
import { createProgress } from './progress';

const SYNOPSIS = ['npm run load -- [--strict] [--force | --if-changed] [file]'];
export const USAGE = `${usageLine(SYNOPSIS)}   (file defaults to data/loans.csv)`;

const HELP: Usage = {
  synopsis: SYNOPSIS,
  description: [
    'Loads a loans CSV into the loans table in one transaction: every row is validated, rows that',
    'break a rule go to load_rejects, and an unchanged file over an unchanged loans is not read again.',
    'Applies pending migrations first. Exit 0 when loaded (with rejects too), 3 when the file cannot be.',
  ].join('\n'),
  options: [
    ['file', 'the CSV to load (default data/loans.csv)'],
    ['--strict', 'fail the whole load, changing nothing, when any row is rejected'],
    ['--force', 'read the file even when it and loans are unchanged since its last load'],
    [
      '--if-changed',
      'skip the file when it has the size and sha256 of its own last successful load (npm start and the Compose loader use it)',
    ],
  ],
  environment: [...DATABASE_ENVIRONMENT, ...LOG_ENVIRONMENT],
  examples: ['npm run load -- --strict data/loans.csv'],
};

export function parseArgs(args: readonly string[]): {
  file: string;
  strict: boolean;
  force: boolean;
  ifChanged: boolean;
} {
  let file: string | undefined;
  let strict = false;
  let force = false;
  let ifChanged = false;
  for (const arg of args) {
    if (arg === '--strict') strict = true;
    else if (arg === '--force') force = true;
    else if (arg === '--if-changed') ifChanged = true;
    else if (arg.startsWith('-')) throw new ConfigError(`unknown option ${arg}; ${USAGE}`);
    else if (file !== undefined) throw new ConfigError(`one file at a time, got ${file} and ${arg}; ${USAGE}`);
    else file = arg;
  }
  if (force && ifChanged) {
    throw new ConfigError(`--force reads the file whatever, --if-changed only when it changed: give one; ${USAGE}`);
  }
  return { file: file ?? path.join('data', 'loans.csv'), strict, force, ifChanged };
}

export function summarise(s: LoadSummary): string {
  if (s.skippedSinceLoadId !== undefined) {
    return (
      `skipped ${s.file}: unchanged since its last load (load ${s.skippedSinceLoadId}, same size and sha256), ` +
      'so loans keeps what was loaded since (--if-changed; without it the file is loaded again)'
    );
  }
  const asOf = Object.entries(s.asOf).map(([column, date]) => `${column} as of ${date}`);
  if (s.unchangedSinceLoadId !== undefined) {
    return (
      `${s.file} and loans are unchanged since load ${s.unchangedSinceLoadId}: nothing to read or write ` +
      `(${s.read} rows read then, ${s.loaded} loaded, ${s.rejected} rejected, ${s.blank} blank; --force reads it again)` +
      (s.rejected > 0 ? ` (see: SELECT * FROM load_rejects WHERE load_id = ${s.unchangedSinceLoadId})` : '') +
      (asOf.length > 0 ? `; ${asOf.join(', ')}` : '')
    );
  }
  return (
    `loaded ${s.file}: ${s.read} rows read, ${s.loaded} loaded (${s.inserted} new, ${s.updated} updated, ` +
    `${s.unchanged} unchanged), ${s.rejected} rejected, ${s.blank} blank` +
    (s.rejected > 0 ? ` (see: SELECT * FROM load_rejects WHERE load_id = ${s.loadId})` : '') +
    (asOf.length > 0 ? `; ${asOf.join(', ')}` : '')
  );
}

export function main(): void {
  runMain(
    'loader',
    async (config, logger, stop) => {
      const { file, strict, force, ifChanged } = parseArgs(process.argv.slice(2));
      const pool = createPool(config.database, 'loader', { max: 2 });
      try {
        await waitForDatabase(pool, config.database, config.dbWaitTimeoutMs, logger, stop);
        await migrate(pool, logger);
        logger.info('load started', {
          file,
          strict,
          force,
          if_changed: ifChanged,
          database: describeDatabase(config.database),
        });
        const progress = createProgress(file, logger);
        // SIGTERM or Ctrl-C stops the load and rolls it back (exit code 1).
        const summary = await loadFile(pool, file, {
          strict,
          force,
          ifChanged,
          onProgress: progress.update,
          signal: stop,
        }).finally(progress.done);
        logger.info(summarise(summary), {
          status: summary.skippedSinceLoadId === undefined ? 'succeeded' : 'skipped',
          rows: summary.unchangedSinceLoadId === undefined ? summary.loaded : 0,
          duration_ms: summary.durationMs,
          load_id: summary.loadId,
          sha256: summary.sha256.slice(0, 12),
        });
        return 0;
      } finally {
        await endPool(pool);
      }
    },
    { usage: HELP },
  );
}

if (require.main === module) main();
