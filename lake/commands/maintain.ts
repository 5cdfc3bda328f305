import type { Config } from '../../lib/config';
import { ConfigError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import {
  DATABASE_ENVIRONMENT,
  LAKE_ENVIRONMENT,
  LOG_ENVIRONMENT,
  S3_ENVIRONMENT,
  usageLine,
  type Usage,
} from '../../lib/usage';
import { openLake } from '../lakeStore';
import { maintainLake } from '../maintain';
import { withCatalog } from './withCatalog';

/** `npm run lake -- maintain [--dry-run]`: what the lake_maintenance workflow does, now. */

export const MAINTAIN_USAGE: Usage = {
  synopsis: ['npm run lake -- maintain [--dry-run]'],
  description: [
    'Deletes replaced files and orphans past LAKE_FILE_GRACE, and marks abandoned ingests failed:',
    "ingests left 'running' by a process that died; files compaction replaced more than the grace ago",
    '(then their catalog rows); files under events/ and quarantine/ older than the grace that no catalog',
    'row names; staging folders nothing changed in for the grace (docs/lake-maintenance.md). One line',
    'per kind of action, with counts.',
  ].join('\n'),
  options: [['--dry-run', 'count what would be done; change nothing']],
  environment: [...LAKE_ENVIRONMENT, ...DATABASE_ENVIRONMENT, ...S3_ENVIRONMENT, ...LOG_ENVIRONMENT],
  examples: ['npm run lake -- maintain --dry-run', 'npm run lake -- maintain'],
};

export async function maintainCommand(
  args: readonly string[],
  config: Config,
  log: Logger,
  stop: AbortSignal,
): Promise<number> {
  const unknown = args.find((arg) => arg !== '--dry-run');
  if (unknown !== undefined) {
    throw new ConfigError(
      `maintain: unknown argument ${JSON.stringify(unknown)}\n${usageLine(MAINTAIN_USAGE.synopsis)}`,
    );
  }
  const lake = openLake(config);
  try {
    await withCatalog(config, log, stop, (db) =>
      maintainLake({ db, lake, config, log, signal: stop }, { dryRun: args.includes('--dry-run') }),
    );
    return 0;
  } finally {
    lake.close();
  }
}
