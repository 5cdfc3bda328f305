import type { Config } from '../../lib/config';
import { createPool, endPool, waitForDatabase, type Pool } from '../../lib/db';
import type { Logger } from '../../lib/logger';
import { migrate } from '../../lib/migrate';

/** The catalog's database for one command: waited for, migrated, closed after. */
export async function withCatalog<T>(
  config: Config,
  log: Logger,
  stop: AbortSignal,
  work: (db: Pool) => Promise<T>,
): Promise<T> {
  const db = createPool(config.database, 'lake', { max: 3 });
  try {
    await waitForDatabase(db, config.database, config.dbWaitTimeoutMs, log, stop);
    await migrate(db, log);
    return await work(db);
  } finally {
    await endPool(db);
  }
}
