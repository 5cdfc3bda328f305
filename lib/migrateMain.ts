import { describeDatabase } from './config';
import { createPool, endPool, waitForDatabase } from './db';
import { runMain } from './main';
import { migrate } from './migrate';
import { DATABASE_ENVIRONMENT, LOG_ENVIRONMENT, type Usage } from './usage';

/**
 * `npm run migrate` (the `migrate` service under Compose): applies the pending migrations as
 * the owner of the schema, so that the loader and the scheduler can run as users that may not
 * change it.
 */
const HELP: Usage = {
  synopsis: ['npm run migrate'],
  description: [
    'Applies the pending migrations of sql/migrations/, each in its own transaction, under an advisory',
    'lock (two at once never apply one twice), as a user that may change the schema (its owner).',
  ].join('\n'),
  options: [],
  environment: [...DATABASE_ENVIRONMENT, ...LOG_ENVIRONMENT],
  examples: ['PGUSER=analytics PGPASSWORD=analytics npm run migrate'],
};

export function main(): void {
  runMain(
    'migrate',
    async (config, logger, stop) => {
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
    },
    { usage: HELP },
  );
}

if (require.main === module) main();
