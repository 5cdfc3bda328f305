import type { QueryResultRow } from 'pg';
import { createPool, isConnectionError, lease, type Pool, type PoolClient } from '../lib/db';
import type { DatabaseConfig } from '../lib/config';
import { querySqlFile, readSql } from '../lib/sqlFiles';

/**
 * The dashboard's connections (docs/dashboard.md, "Read-only"): a pool of its own, each
 * connection set up by sql/web/read_only_session.sql before its first query, so that it cannot
 * write whatever a page asks (default_transaction_read_only) and reads as loans_reader when that
 * role exists and the login may use it. A connection whose setup failed is closed, never used.
 */

/** The role a connection of the dashboard reads as: loans_reader, or 'none' (the login's own). */
export interface ReaderSession {
  role: string;
  login: string;
}

const prepared = new WeakMap<PoolClient, ReaderSession>();

export function createReaderPool(db: DatabaseConfig): Pool {
  // A page runs a few short queries one after the other on one connection; a handful is plenty.
  return createPool(db, 'web', { max: 4, queryTimeoutMs: 15_000 });
}

/** Sets a fresh connection up once; the same connection later is already set up. */
export async function prepareSession(client: PoolClient): Promise<ReaderSession> {
  const known = prepared.get(client);
  if (known !== undefined) return known;
  // Several statements, no parameters: one simple-protocol query, one result per statement.
  const results = (await client.query(readSql('web/read_only_session.sql'))) as unknown as {
    rows: ReaderSession[];
  }[];
  const session = results.at(-1)!.rows[0]!;
  prepared.set(client, session);
  return session;
}

/** A page's reads, on one connection of the pool set up as read-only. */
export async function withReader<T>(pool: Pool, work: (reader: Reader) => Promise<T>): Promise<T> {
  const leased = await lease(pool);
  let discard = false;
  try {
    await prepareSession(leased.client).catch((error: unknown) => {
      // Closed rather than returned to the pool: a connection must never be used unset.
      discard = true;
      throw error;
    });
    return await work(new Reader(leased.client));
  } catch (error) {
    discard ||= isConnectionError(error);
    throw error;
  } finally {
    leased.release(discard);
  }
}

/** Runs the sql/web/ files, the only SQL the dashboard sends besides its session setup. */
export class Reader {
  constructor(readonly client: PoolClient) {}

  async rows<R extends QueryResultRow>(file: string, values: unknown[] = []): Promise<R[]> {
    return (await querySqlFile<R>(this.client, `web/${file}`, values)).rows;
  }

  async row<R extends QueryResultRow>(file: string, values: unknown[] = []): Promise<R | undefined> {
    return (await this.rows<R>(file, values))[0];
  }
}
