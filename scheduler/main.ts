import { createPool, endPool, waitForDatabase } from '../lib/db';
import { runMain, stopped } from '../lib/main';
import { migrate } from '../lib/migrate';
import { describeObjectStore } from '../lib/objectStore';
import {
  ADS_ENVIRONMENT,
  CRON_LOG_ENVIRONMENT,
  DATABASE_ENVIRONMENT,
  LOG_ENVIRONMENT,
  S3_ENVIRONMENT,
  SCHEDULE_ENVIRONMENT,
  WORKFLOW_ENVIRONMENT,
  type Usage,
} from '../lib/usage';
import { defineWorkflows } from './workflows';
import { poolSizeFor, Scheduler } from './scheduler';

/** `npm run scheduler`: runs the jobs on their schedules until SIGTERM or SIGINT, then exits 0. */

const HELP: Usage = {
  synopsis: ['npm run scheduler'],
  description: [
    'Runs every workflow once at start, then on its schedule, until SIGTERM or Ctrl-C; never two runs',
    'of one workflow at once, one run per tick across replicas. Logs every event to the console and',
    'to cron.log. Applies pending migrations first. Exit 0 after SIGTERM.',
  ].join('\n'),
  options: [],
  environment: [
    ...DATABASE_ENVIRONMENT,
    ...SCHEDULE_ENVIRONMENT,
    ...WORKFLOW_ENVIRONMENT,
    ...ADS_ENVIRONMENT,
    ...S3_ENVIRONMENT,
    ...CRON_LOG_ENVIRONMENT,
    ...LOG_ENVIRONMENT,
  ],
  examples: ['CRON_SCHEDULE="*/10 * * * * *" npm run scheduler'],
};

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
        // Checks the WORKFLOW_* parameters: a bad one stops us here, before any waiting.
        const scheduler = new Scheduler(pool, workflows, logger, config.workflowParams);
        await waitForDatabase(pool, config.database, config.dbWaitTimeoutMs, logger, stop);
        logger.info('scheduler starting', {
          cron_log: config.cronLogPath,
          ...describeObjectStore(config.s3, config.ads.bucket),
        });
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
    { usage: HELP, logToFile: true, exitCodeWhenStopped: 0 },
  );
}

if (require.main === module) main();
