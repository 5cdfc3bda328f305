import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { describeConnection, describeDatabase, type DatabaseConfig } from './config';
import { DatabaseUnavailableError, describeError, PgErrorCode } from './errors';
import type { Logger } from './logger';

// Dates stay 'YYYY-MM-DD' strings: turning them into JS Dates would shift them by the host's time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export function createPool(
  db: DatabaseConfig,
  applicationName: string,
  options: { max?: number; queryTimeoutMs?: number } = {},
): Pool {
  const base: pg.PoolConfig = {
    application_name: applicationName,
    max: options.max ?? 4,
    connectionTimeoutMillis: 10_000,
    // A server that vanished without closing the connection (host crash, network cut) is noticed
    // by TCP keepalive, and a query on it gives up after queryTimeoutMs, instead of hanging.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...(options.queryTimeoutMs !== undefined ? { query_timeout: options.queryTimeoutMs } : {}),
  };
  const pool = new pg.Pool(
    db.connectionString !== undefined
      ? { ...base, connectionString: db.connectionString }
      : {
          ...base,
          host: db.host,
          port: db.port,
          user: db.user,
          password: db.password,
          database: db.database,
        },
  );
  // An idle client loses its server when PostgreSQL restarts; without a listener that error
  // would crash the process. The next query simply gets a new connection.
  pool.on('error', () => undefined);
  return pool;
}

/** Errors that mean "the server is not there (yet)", as opposed to a wrong password or database. */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') {
    return error instanceof Error && /Connection terminated|timeout expired|connect/i.test(error.message);
  }
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE'].includes(code) ||
    code === PgErrorCode.cannotConnectNow ||
    code === PgErrorCode.adminShutdown ||
    code === PgErrorCode.crashShutdown
  );
}

/**
 * Waits for PostgreSQL to accept connections, with exponential backoff (0.25 s doubling up to
 * 5 s), for at most timeoutMs. Errors that waiting cannot fix (bad password, no such database)
 * fail at once. Every command that uses the database starts here, so the line saying which
 * database it uses, and why that one, is the first line of each.
 */
export async function waitForDatabase(
  pool: Pool,
  db: DatabaseConfig,
  timeoutMs: number,
  logger: Logger,
  signal?: AbortSignal,
): Promise<void> {
  logger.info('using this database', describeConnection(db));
  const deadline = Date.now() + timeoutMs;
  let delayMs = 250;
  for (let attempt = 1; ; attempt += 1) {
    signal?.throwIfAborted();
    try {
      await pool.query('SELECT 1');
      if (attempt > 1)
        logger.info('database is up', {
          database: describeDatabase(db),
          attempt,
        });
      return;
    } catch (error) {
      const where = describeDatabase(db);
      if (!isConnectionError(error)) {
        throw new DatabaseUnavailableError(
          `cannot use PostgreSQL at ${where}: ${describeError(error)}; check PGUSER, PGPASSWORD and PGDATABASE (or DATABASE_URL)`,
          { cause: error },
        );
      }
      const leftMs = deadline - Date.now();
      if (leftMs <= 0) {
        throw new DatabaseUnavailableError(
          `PostgreSQL at ${where} did not accept connections within ${Math.round(timeoutMs / 1000)} s ` +
            `(last error: ${describeError(error)}); check that it runs and that PGHOST/PGPORT (or DATABASE_URL) point at it, ` +
            `or raise DB_WAIT_TIMEOUT`,
          { cause: error },
        );
      }
      logger.warn('waiting for database', {
        database: where,
        attempt,
        retry_in_ms: delayMs,
        error: describeError(error),
      });
      // A stop signal ends the wait at once (sleep rejects with an AbortError).
      await sleep(Math.min(delayMs, leftMs), undefined, { signal });
      delayMs = Math.min(delayMs * 2, 5000);
    }
  }
}

/**
 * A client checked out of the pool. While checked out, a client has no error listener of the
 * pool's: if its server goes away (restart, pg_terminate_backend) the 'error' it emits would
 * crash the process. The lease listens, remembers that the connection is lost, and on release
 * destroys such a connection instead of returning it to the pool.
 */
export interface Lease {
  client: PoolClient;
  /** True once the connection reported an error. */
  readonly lost: boolean;
  /** Back to the pool, or closed when lost or when discard is true. Only the first call counts. */
  release(discard?: boolean): void;
}

export async function lease(pool: Pool): Promise<Lease> {
  const client = await pool.connect();
  let lost = false;
  const onError = (): void => {
    lost = true;
  };
  client.on('error', onError);
  let released = false;
  return {
    client,
    get lost() {
      return lost;
    },
    release(discard = false) {
      if (released) return;
      released = true;
      client.removeListener('error', onError);
      client.release(lost || discard);
    },
  };
}

export async function withClient<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const leased = await lease(pool);
  let failed = false;
  try {
    return await work(leased.client);
  } catch (error) {
    failed = isConnectionError(error);
    throw error;
  } finally {
    leased.release(failed);
  }
}

/**
 * Closes the pool, waiting at most timeoutMs for checked-out clients: a run that ignored its
 * cancellation must not keep the process from exiting.
 */
export async function endPool(pool: Pool, timeoutMs = 5000): Promise<void> {
  const patience = new AbortController();
  await Promise.race([pool.end(), sleep(timeoutMs, undefined, { signal: patience.signal }).catch(() => undefined)]);
  patience.abort();
}

/** Runs work inside BEGIN … COMMIT on the given client, rolling back if it throws. */
export async function inTransaction<T>(client: PoolClient, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
