import { describeDatabase } from '../lib/config';
import { endPool, waitForDatabase } from '../lib/db';
import { runMain, stopped } from '../lib/main';
import { DATABASE_ENVIRONMENT, LOG_ENVIRONMENT, type Usage } from '../lib/usage';
import { createReaderPool, prepareSession } from './db';
import { startDashboard } from './server';

/** `npm run web` (the `web` service under Compose): serves the dashboard until SIGTERM or Ctrl-C, then exits 0. */

const HELP: Usage = {
  synopsis: ['npm run web'],
  description: [
    'Serves the read-only dashboard (docs/dashboard.md): Overview, Loans, Runs, Loads, Ads and Lake',
    'pages, each also as JSON under /api/. It reads through connections that cannot write, as the',
    'loans_reader role when the login may use it. GET and HEAD only. Until SIGTERM or Ctrl-C, then exit 0.',
  ].join('\n'),
  options: [],
  environment: [
    ['WEB_HOST, WEB_PORT', 'where it listens (127.0.0.1, 8090)'],
    ['WEB_USER, WEB_PASSWORD', 'basic auth, both or neither (none)'],
    ['WEB_REFRESH_SECONDS', 'seconds between refreshes of a page in the browser; 0: none (30)'],
    ['CRON_LOG', "where a run's log lines are read (logs/cron.log)"],
    ...DATABASE_ENVIRONMENT,
    ...LOG_ENVIRONMENT,
  ],
  examples: ['npm run web', 'WEB_PORT=9000 WEB_USER=me WEB_PASSWORD=secret npm run web'],
};

export function main(): void {
  runMain(
    'web',
    async (config, logger, stop) => {
      const pool = createReaderPool(config.database);
      try {
        await waitForDatabase(pool, config.database, config.dbWaitTimeoutMs, logger, stop);
        const session = await pool.connect().then(async (client) => {
          try {
            return await prepareSession(client);
          } finally {
            client.release();
          }
        });
        const web = await startDashboard(config, pool, logger);
        logger.info('dashboard listening', {
          url: web.url,
          host: config.web.host,
          port: web.port,
          database: describeDatabase(config.database),
          role: session.role === 'none' ? `${session.login} (no loans_reader role it may use)` : session.role,
          auth: config.web.auth === undefined ? 'none' : 'basic',
        });
        await stopped(stop);
        logger.info('dashboard stopping', { signal: String(stop.reason) });
        await web.close();
      } finally {
        await endPool(pool);
      }
      return 0;
    },
    { usage: HELP, exitCodeWhenStopped: 0 },
  );
}

if (require.main === module) main();
