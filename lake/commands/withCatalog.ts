import type { Config } from '../../lib/config';
import { createPool, endPool, lease, waitForDatabase, type Pool, type PoolClient } from '../../lib/db';
import { ConfigError, describeError, PgErrorCode } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { migrate } from '../../lib/migrate';
import { querySqlFile } from '../../lib/sqlFiles';

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

/**
 * The catalog read by a command that only reads it (query, kpis): one read-only transaction, no
 * migration — on a database without the lake's tables it says how to create them and creates
 * nothing —, closed as soon as the reading is done, before the long work on the files.
 */
export async function readCatalog<T>(
  config: Config,
  log: Logger,
  stop: AbortSignal,
  read: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const db = createPool(config.database, 'lake', { max: 1 });
  try {
    await waitForDatabase(db, config.database, config.dbWaitTimeoutMs, log, stop);
    const leased = await lease(db);
    const { client } = leased;
    try {
      await querySqlFile(client, 'lake/begin_read_only.sql');
      return await read(client);
    } catch (error) {
      if ((error as { code?: unknown }).code === PgErrorCode.undefinedTable) {
        const { database, host, port } = config.database;
        throw new ConfigError(
          `database ${database} on ${host}:${port} has no lake catalog (${describeError(error)}): ` +
            'create it with npm run migrate (or npm start, for the embedded database)',
          { cause: error },
        );
      }
      throw error;
    } finally {
      // Nothing to keep: the transaction only read.
      await client.query('ROLLBACK').catch(() => undefined);
      leased.release();
    }
  } finally {
    await endPool(db);
  }
}
