import { describeDatabase } from '../lib/config';
import { createPool, endPool, waitForDatabase } from '../lib/db';
import { runMain, stopped } from '../lib/main';
import { migrate } from '../lib/migrate';
import { defineWorkflows } from './workflows';
import { poolSizeFor, Scheduler } from './scheduler';

/** `npm run scheduler`: runs the jobs on their schedules until SIGTERM or SIGINT, then exits 0. */

export function main(): void {
  runMain(
    'scheduler',
    async (config, logger, stop) => {
      const workflows = defineWorkflows(config);
      const pool = createPool(config.database, 'scheduler', {
        max: poolSizeFor(workflows),
        // A run gives up on a silent server a little after PostgreSQL would have cancelled it.
        queryTimeoutMs: config.jobTimeoutMs + 10_000,
      });
      try {
        logger.info('scheduler starting', {
          database: describeDatabase(config.database),
          cron_log: config.cronLogPath,
        });
        // Checks the WORKFLOW_* parameters: a bad one stops us here, before any waiting.
        const scheduler = new Scheduler(pool, workflows, logger, config.workflowParams);
        await waitForDatabase(pool, config.database, config.dbWaitTimeoutMs, logger, stop);
        await migrate(pool, logger);
        if (!stop.aborted) scheduler.start();
        await stopped(stop);
        logger.info('scheduler stopping', { signal: String(stop.reason) });
        await scheduler.stop(config.shutdownTimeoutMs);
        logger.info('scheduler stopped');
        return 0;
      } finally {
        await endPool(pool);
      }
    },
    { logToFile: true, exitCodeWhenStopped: 0 },
  );
}

if (require.main === module) main();
