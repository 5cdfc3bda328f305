import { createHash } from 'node:crypto';
import { ConfigError, describeError, PgErrorCode } from './errors';
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

/** True when every migration file is applied, unchanged: then there is nothing to lock or create. */
async function upToDate(pool: Pool, files: readonly string[]): Promise<boolean> {
  const ledger = await pool
    .query<{ name: string; sha256: string }>('SELECT name, sha256 FROM schema_migrations')
    .catch(() => undefined);
  if (ledger === undefined) return false;
  const recorded = new Map(ledger.rows.map((row) => [row.name, row.sha256]));
  return files.every((name) => recorded.get(name) === sha256Of(readSql(`migrations/${name}`)));
}

function sha256Of(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Applies the pending migrations. When none is pending it only reads schema_migrations, so the
 * loader and the scheduler can start under users that may not change the schema.
 */
export async function migrate(pool: Pool, logger: Logger): Promise<string[]> {
  const files = listSqlFiles('migrations');
  if (await upToDate(pool, files)) return [];
  try {
    return await applyMigrations(pool, files, logger);
  } catch (error) {
    if ((error as { code?: unknown }).code === PgErrorCode.insufficientPrivilege) {
      throw new ConfigError(
        `migrations are pending and this database user may not apply them (${describeError(error)}); ` +
          'run them as the owner of the schema: npm run migrate (the migrate service under Compose)',
        { cause: error },
      );
    }
    throw error;
  }
}

async function applyMigrations(pool: Pool, files: readonly string[], logger: Logger): Promise<string[]> {
  const applied: string[] = [];
  for (const name of files) {
    const sql = readSql(`migrations/${name}`);
    const sha256 = sha256Of(sql);
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
          throw Object.assign(new Error(`sql/migrations/${name} failed: ${describeError(error)}`, { cause: error }), {
            code: (error as { code?: unknown }).code,
          });
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
