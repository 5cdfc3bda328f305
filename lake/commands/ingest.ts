import type { Config } from '../../lib/config';
import { ConfigError, InputError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { DATABASE_ENVIRONMENT, LAKE_ENVIRONMENT, LOG_ENVIRONMENT, S3_ENVIRONMENT, type Usage } from '../../lib/usage';
import { ingestSources } from '../ingestSources';
import { openLake } from '../lakeStore';
import { findSources } from '../sources';
import { withCatalog } from './withCatalog';

/** `npm run lake -- ingest <file|folder|s3://bucket/prefix> …`: sources into the lake, once each. */

export const INGEST_USAGE: Usage = {
  synopsis: ['npm run lake -- ingest <file|folder|s3://bucket/prefix> …'],
  description: [
    'Validates NDJSON events (*.ndjson, *.jsonl, .gz too) into the lake at LAKE_URI: Parquet under',
    'events/type=/date=/hour=, malformed lines byte for byte under quarantine/, each event id once, every',
    'file and ingest in the catalog (docs/lake.md). A source already ingested (same bytes) changes nothing.',
    'One line per source. Exit 0 when every source was ingested or skipped, 1 when one failed.',
  ].join('\n'),
  options: [],
  environment: [...LAKE_ENVIRONMENT, ...DATABASE_ENVIRONMENT, ...S3_ENVIRONMENT, ...LOG_ENVIRONMENT],
  examples: ['npm run lake -- ingest data/events', 'npm run lake -- ingest s3://event-inbox/raw-event-user_created/'],
};

export async function ingestCommand(
  args: readonly string[],
  config: Config,
  log: Logger,
  stop: AbortSignal,
): Promise<number> {
  if (args.length === 0) throw new ConfigError('ingest: name at least one file, folder or s3:// prefix');
  const sources = await findSources(config, args, stop);
  if (sources.length === 0) throw new InputError(`ingest: no *.ndjson or *.jsonl file in ${args.join(', ')}`);
  const lake = openLake(config);
  try {
    return await withCatalog(config, log, stop, async (db) => {
      const { failed } = await ingestSources({ db, lake, config, log, signal: stop }, sources);
      return failed === 0 ? 0 : 1;
    });
  } finally {
    lake.close();
  }
}
