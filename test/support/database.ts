import { randomBytes } from 'node:crypto';
import type { DatabaseConfig } from '../../lib/config';
import { createPool, type Pool } from '../../lib/db';
import { TEMPLATE_DATABASE, testServer } from './server';

/** A database of its own for one test file: a clone of the migrated template, or an empty one. */
export interface TestDatabase {
  config: DatabaseConfig;
  pool: Pool;
  drop(): Promise<void>;
}

export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const name = `test_${randomBytes(5).toString('hex')}`;
  const admin = createPool(testServer(), 'test admin', { max: 1 });
  try {
    await admin.query(
      options.empty === true ? `CREATE DATABASE ${name}` : `CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`,
    );
  } finally {
    await admin.end();
  }
  const config = { ...testServer(), database: name };
  const pool = createPool(config, 'test', { max: 6 });
  return {
    config,
    pool,
    async drop() {
      await pool.end();
      const cleanup = createPool(testServer(), 'test admin', { max: 1 });
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}
