import { connectionUrl } from '../lib/config';
import { runningServerConnection } from '../lib/embeddedPostgres';
import { ConfigError } from '../lib/errors';
import { runMain } from '../lib/main';
import type { Usage } from '../lib/usage';

/**
 * `node dist/embedded/connectionUrl.js`, for `make psql-embedded`: prints the connection URL,
 * password included, of the embedded PostgreSQL of this checkout (EMBEDDED_PG_DIR), whatever the
 * PG* variables say; or one line saying that it does not run.
 */
const HELP: Usage = {
  synopsis: ['node dist/embedded/connectionUrl.js'],
  description: [
    'Prints the connection URL, password included, of the embedded PostgreSQL of this checkout',
    '(started by npm start), for make psql-embedded; exit 2 when it does not run.',
  ].join('\n'),
  options: [],
  environment: [['EMBEDDED_PG_DIR', 'data folder of the embedded PostgreSQL (.pgdata)']],
  examples: ['psql "$(node dist/embedded/connectionUrl.js)"'],
};

export function main(): void {
  runMain(
    'embedded',
    async (config) => {
      const running = runningServerConnection(config.embedded.dataDir);
      if (running === undefined) {
        throw new ConfigError(
          `no embedded PostgreSQL of this checkout runs on ${config.embedded.dataDir} (EMBEDDED_PG_DIR): start it with npm start (or make start)`,
        );
      }
      process.stdout.write(`${connectionUrl(running.database)}\n`);
      return 0;
    },
    { usage: HELP },
  );
}

if (require.main === module) main();
