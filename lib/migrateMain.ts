import { describeDatabase } from './config';
import { createPool, endPool, waitForDatabase } from './db';
import { runMain } from './main';
import { migrate } from './migrate';

/**
 * `npm run migrate` (the `migrate` service under Compose): applies the pending migrations as
 * the owner of the schema, so that the loader and the scheduler can run as users that may not
 * change it.
 */
export function main(): void {
  runMain('migrate', async (config, logger, stop) => {
    const pool = createPool(config.database, 'migrate', { max: 1 });
    try {
      await waitForDatabase(pool, config.database, config.dbWaitTimeoutMs, logger, stop);
      const applied = await migrate(pool, logger);
      logger.info(applied.length === 0 ? 'the schema is up to date' : `applied ${applied.length} migrations`, {
        status: 'succeeded',
        database: describeDatabase(config.database),
      });
      return 0;
    } finally {
      await endPool(pool);
    }
  });
}

if (require.main === module) main();
