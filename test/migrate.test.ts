import { createPool } from '../lib/db';
import { migrate } from '../lib/migrate';
import { listSqlFiles } from '../lib/sqlFiles';
import { createTestDatabase, type TestDatabase } from './support/database';
import { captureLogger } from './support/logs';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase({ empty: true });
});
afterAll(() => db.drop());

test('processes that start at the same moment apply each migration exactly once', async () => {
  const { logger, entries } = captureLogger();
  const pools = [db.pool, createPool(db.config, 'second'), createPool(db.config, 'third')];
  try {
    const applied = await Promise.all(pools.map((pool) => migrate(pool, logger)));
    const files = listSqlFiles('migrations');
    expect(applied.flat().sort()).toEqual(files);
    expect(entries.filter((e) => e.message === 'migration applied')).toHaveLength(files.length);
    const ledger = await db.pool.query('SELECT name FROM schema_migrations ORDER BY name');
    expect(ledger.rows.map((r) => r.name)).toEqual(files);
    // Migrating again is a no-op.
    expect(await migrate(db.pool, logger)).toEqual([]);
  } finally {
    await Promise.all(pools.slice(1).map((pool) => pool.end()));
  }
});

test('an applied migration that was edited afterwards is refused', async () => {
  const { logger } = captureLogger();
  await db.pool.query("UPDATE schema_migrations SET sha256 = 'edited' WHERE name = '0001_loans.sql'");
  await expect(migrate(db.pool, logger)).rejects.toThrow(
    /sql\/migrations\/0001_loans\.sql changed after it was applied; migrations are forward-only/,
  );
});
