import { createHash } from 'node:crypto';
import { createPool } from '../lib/db';
import { migrate } from '../lib/migrate';
import { listSqlFiles, readSql } from '../lib/sqlFiles';
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

test('0010 keeps the published rows: changed_at from created_at, one text per number, at fillfactor 50', async () => {
  const { logger } = captureLogger();
  const before = await createTestDatabase({ empty: true });
  try {
    // The schema as it was before 0010, applied and recorded as migrate() records it.
    for (const name of listSqlFiles('migrations').filter((file) => file < '0010')) {
      const sql = readSql(`migrations/${name}`);
      await before.pool.query(sql);
      await before.pool.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      await before.pool.query('INSERT INTO schema_migrations (name, sha256) VALUES ($1, $2)', [
        name,
        createHash('sha256').update(sql).digest('hex'),
      ]);
    }
    await before.pool.query(`
      INSERT INTO default_liquidation_rolling_avg_hist VALUES
        ('2023-01-01', 10, 4, 1, 0.25000000000000000000, 0.25000000000000000000, '2023-01-02 00:00:00+00'),
        ('2023-01-02', 10, 0, 1, NULL, 0.25000000000000000000, '2023-01-03 00:00:00+00'),
        ('2023-01-03', 10, 1, 2, 2.0000000000000000, 1.1250000000000000, '2023-01-03 00:00:00+00')`);
    expect(await migrate(before.pool, logger)).toEqual(listSqlFiles('migrations').filter((file) => file >= '0010'));
    const { rows } = await before.pool.query(
      `SELECT repayment_date, liquidation_to_default_ratio::text AS ratio, rolling_avg_7d::text AS avg,
              changed_at = created_at AS same_stamps
       FROM default_liquidation_rolling_avg_hist ORDER BY 1`,
    );
    expect(rows).toEqual([
      { repayment_date: '2023-01-01', ratio: '0.25', avg: '0.25', same_stamps: true },
      { repayment_date: '2023-01-02', ratio: null, avg: '0.25', same_stamps: true },
      { repayment_date: '2023-01-03', ratio: '2', avg: '1.125', same_stamps: true },
    ]);
    const table = await before.pool.query(
      "SELECT reloptions FROM pg_class WHERE oid = 'default_liquidation_rolling_avg_hist'::regclass",
    );
    // fillfactor from 0010; 0015's autovacuum thresholds, kept by the rewrite.
    expect(table.rows).toEqual([
      {
        reloptions: [
          'fillfactor=50',
          'autovacuum_vacuum_scale_factor=2',
          'autovacuum_vacuum_insert_threshold=-1',
          'autovacuum_analyze_scale_factor=10',
        ],
      },
    ]);
  } finally {
    await before.drop();
  }
});
