import { describeDatabase } from '../lib/config';
import { createPool, waitForDatabase } from '../lib/db';
import { runMain } from '../lib/main';
import { migrate } from '../lib/migrate';
import { defineJobs } from './jobs';
import { Scheduler } from './scheduler';

/** `npm run scheduler`: runs the jobs on their schedules until SIGTERM or SIGINT. */

if (require.main === module) {
  runMain(
    'scheduler',
    async (config, logger) => {
      const pool = createPool(config.database, 'scheduler');
      try {
        logger.info('scheduler starting', {
          database: describeDatabase(config.database),
          cron_log: config.cronLogPath,
        });
        await waitForDatabase(pool, config.database, config.dbWaitTimeoutMs, logger);
        await migrate(pool, logger);
        const scheduler = new Scheduler(pool, defineJobs(config), logger, config.cronTimezone);
        scheduler.start();
        const signal = await new Promise<NodeJS.Signals>((resolve) => {
          process.once('SIGTERM', resolve);
          process.once('SIGINT', resolve);
        });
        logger.info('scheduler stopping', { signal });
        await scheduler.stop(config.shutdownTimeoutMs);
        logger.info('scheduler stopped');
        return 0;
      } finally {
        await pool.end();
      }
    },
    { logToFile: true },
  );
}
