import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from './support/database';

/**
 * The schema the migrations produce, compared with test/schema.snapshot.txt: a change to the
 * schema shows up in review as a change to that file. After a new migration, refresh it with
 * UPDATE_SCHEMA_SNAPSHOT=1 npx jest test/schema.test.ts
 */

const SNAPSHOT = path.join(__dirname, 'schema.snapshot.txt');
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

async function describeSchema(): Promise<string> {
  const columns = await db.pool.query<{ line: string }>(`
    SELECT format('column %s.%s %s%s%s', table_name, column_name, data_type,
                  CASE WHEN is_nullable = 'NO' THEN ' not null' ELSE '' END,
                  coalesce(' default ' || column_default, '')) AS line
    FROM information_schema.columns
    WHERE table_schema = 'public'
    ORDER BY table_name, ordinal_position`);
  const constraints = await db.pool.query<{ line: string }>(`
    SELECT format('constraint %s.%s %s', conrelid::regclass, conname, pg_get_constraintdef(oid)) AS line
    FROM pg_constraint
    -- NOT NULL is on the column lines; PostgreSQL 18 also lists it here (contype 'n'), 15 does not.
    WHERE connamespace = 'public'::regnamespace AND contype <> 'n'
    ORDER BY conrelid::regclass::text, conname`);
  const indexes = await db.pool.query<{ line: string }>(`
    SELECT 'index ' || indexdef AS line FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`);
  return [...columns.rows, ...constraints.rows, ...indexes.rows].map((r) => r.line).join('\n') + '\n';
}

test('the migrated schema matches test/schema.snapshot.txt', async () => {
  const schema = await describeSchema();
  if (process.env.UPDATE_SCHEMA_SNAPSHOT === '1') writeFileSync(SNAPSHOT, schema);
  expect(existsSync(SNAPSHOT)).toBe(true);
  expect(schema).toBe(readFileSync(SNAPSHOT, 'utf8'));
});
