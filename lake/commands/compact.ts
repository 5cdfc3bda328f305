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
import { compactLake, DEFAULT_MAX_PARTITIONS, type CompactOptions } from '../compact';
import { openLake } from '../lakeStore';
import { isSafeType } from '../partitions';
import { withCatalog } from './withCatalog';

/** `npm run lake -- compact [--type T] [--date D] [--hour H] [--limit N]`: what the lake_compact workflow does, now. */

export const COMPACT_USAGE: Usage = {
  synopsis: ['npm run lake -- compact [--type T] [--date YYYY-MM-DD] [--hour H] [--limit N]'],
  description: [
    'Rewrites each partition (an hour of one type) made of small files into files near LAKE_TARGET_FILE_MB.',
    'A partition is a candidate when two of its live files under the target fit in one; its new files',
    'replace the old in one catalog transaction (docs/lake-maintenance.md). The old files stay for',
    'LAKE_FILE_GRACE, then `maintain` deletes them. One line per partition and a summary. Exit 0 when',
    'every partition was compacted, 1 when one failed (its files are unchanged).',
  ].join('\n'),
  options: [
    ['--type T', 'only partitions of this event type'],
    ['--date YYYY-MM-DD', 'only partitions of this day (UTC)'],
    ['--hour H', 'only partitions of this hour, 0 to 23 (UTC)'],
    ['--limit N', `at most N partitions, the most fragmented first (${DEFAULT_MAX_PARTITIONS})`],
  ],
  environment: [...LAKE_ENVIRONMENT, ...DATABASE_ENVIRONMENT, ...S3_ENVIRONMENT, ...LOG_ENVIRONMENT],
  examples: ['npm run lake -- compact', 'npm run lake -- compact --type user_created --date 2026-05-01'],
};

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function parseCompactArgs(args: readonly string[]): CompactOptions {
  const usage = usageLine(COMPACT_USAGE.synopsis);
  const options: CompactOptions = { maxPartitions: DEFAULT_MAX_PARTITIONS };
  const value = (i: number, flag: string): string => {
    const v = args[i];
    if (v === undefined || v.startsWith('--')) throw new ConfigError(`compact: ${flag} needs a value\n${usage}`);
    return v;
  };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--type') {
      const type = value(++i, arg);
      if (!isSafeType(type))
        throw new ConfigError(`compact: --type ${JSON.stringify(type)} is not an event type of the lake`);
      options.type = type;
    } else if (arg === '--date') {
      const date = value(++i, arg);
      if (!DAY.test(date) || new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) !== date) {
        throw new ConfigError(`compact: --date ${JSON.stringify(date)} is not a YYYY-MM-DD date`);
      }
      options.date = date;
    } else if (arg === '--hour') {
      const hour = value(++i, arg);
      if (!/^\d{1,2}$/.test(hour) || Number(hour) > 23)
        throw new ConfigError(`compact: --hour ${JSON.stringify(hour)} is not 0 to 23`);
      options.hour = Number(hour);
    } else if (arg === '--limit') {
      const limit = value(++i, arg);
      if (!/^\d+$/.test(limit) || Number(limit) < 1)
        throw new ConfigError(`compact: --limit ${JSON.stringify(limit)} is not a whole number >= 1`);
      options.maxPartitions = Number(limit);
    } else {
      throw new ConfigError(`compact: unknown argument ${JSON.stringify(arg)}\n${usage}`);
    }
  }
  return options;
}

export async function compactCommand(
  args: readonly string[],
  config: Config,
  log: Logger,
  stop: AbortSignal,
): Promise<number> {
  const options = parseCompactArgs(args);
  const lake = openLake(config);
  try {
    return await withCatalog(config, log, stop, async (db) => {
      const { failed } = await compactLake({ db, lake, config, log, signal: stop }, options);
      return failed === 0 ? 0 : 1;
    });
  } finally {
    lake.close();
  }
}
