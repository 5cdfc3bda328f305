import { createHash } from 'node:crypto';
import { describeError } from './errors';
import { inTransaction, withClient, type Pool } from './db';
import type { Logger } from './logger';
import { listSqlFiles, readSql } from './sqlFiles';

/**
 * Applies the numbered, forward-only migrations in sql/migrations, each in its own transaction
 * and recorded in schema_migrations. The loader and the scheduler start at the same moment under
 * Compose: a transaction-scoped advisory lock makes the second one wait, then see the first one's
 * work and skip it.
 */

// Any fixed number works; it only has to differ from the other advisory locks of the stack.
export const MIGRATION_LOCK_KEY = 7_301_190_001;

const CREATE_LEDGER = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    name text PRIMARY KEY,
    sha256 text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`;

export async function migrate(pool: Pool, logger: Logger): Promise<string[]> {
  const applied: string[] = [];
  for (const name of listSqlFiles('migrations')) {
    const sql = readSql(`migrations/${name}`);
    const sha256 = createHash('sha256').update(sql).digest('hex');
    const ran = await withClient(pool, (client) =>
      inTransaction(client, async () => {
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
        await client.query(CREATE_LEDGER);
        const done = await client.query<{ sha256: string }>('SELECT sha256 FROM schema_migrations WHERE name = $1', [
          name,
        ]);
        const recorded = done.rows[0];
        if (recorded !== undefined) {
          if (recorded.sha256 !== sha256) {
            throw new Error(
              `sql/migrations/${name} changed after it was applied; migrations are forward-only: restore the file and add a new one`,
            );
          }
          return false;
        }
        await client.query(sql).catch((error: unknown) => {
          throw new Error(`sql/migrations/${name} failed: ${describeError(error)}`, { cause: error });
        });
        await client.query('INSERT INTO schema_migrations (name, sha256) VALUES ($1, $2)', [name, sha256]);
        return true;
      }),
    );
    if (ran) {
      applied.push(name);
      logger.info('migration applied', { migration: name });
    }
  }
  return applied;
}
