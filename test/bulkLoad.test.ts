import { loadFile } from '../loader/loadFile';
import { createTestDatabase, type TestDatabase } from './support/database';
import { HEADER, tempDir, writeFile } from './support/files';

/**
 * A load into an empty loans copies straight into it with the insert trigger switched off for
 * its transaction (migration 0011) and logs its range of days itself: the log must say exactly
 * what the trigger would have, the trigger must be on again afterwards whatever happens, and no
 * transaction may commit with it off.
 */

let db: TestDatabase;
const dir = tempDir('bulk-');

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());
beforeEach(async () => {
  await db.pool.query('TRUNCATE loans, load_rejects, loads');
  // The TRUNCATE's own entry: each test starts from an empty log.
  await db.pool.query('DELETE FROM loans_changes');
});

async function insertTriggerState(): Promise<string> {
  const { rows } = await db.pool.query(
    "SELECT tgenabled FROM pg_trigger WHERE tgrelid = 'loans'::regclass AND tgname = 'loans_log_insert'",
  );
  return rows[0].tgenabled;
}

const changes = async () =>
  (await db.pool.query('SELECT operation, from_date, to_date FROM loans_changes ORDER BY change_id')).rows;

test('a load into an empty loans logs one INSERT from its first to its last day, the trigger on again after', async () => {
  const file = writeFile(dir, 'first.csv', [HEADER, '2021-08-29,39,2,37', '2021-08-28,32,5,27', '2021-09-03,45,0,43']);
  const { loadId } = await loadFile(db.pool, file, { strict: true });
  // It took the bulk path (the trigger would have logged the same range).
  const bulk = await db.pool.query('SELECT load_id::int AS load_id FROM loans_bulk_loads WHERE load_id = $1', [loadId]);
  expect(bulk.rows).toEqual([{ load_id: loadId }]);
  expect(await changes()).toEqual([{ operation: 'INSERT', from_date: '2021-08-28', to_date: '2021-09-03' }]);
  expect(await insertTriggerState()).toBe('O');
  // The next load finds loans not empty: it merges, and the trigger logs that write as before.
  await loadFile(db.pool, writeFile(dir, 'second.csv', [HEADER, '2021-09-10,10,1,1']), { strict: true });
  expect((await changes()).slice(1)).toEqual([{ operation: 'INSERT', from_date: '2021-09-10', to_date: '2021-09-10' }]);
});

test('a failed load into an empty loans leaves the trigger on and logs nothing', async () => {
  const file = writeFile(dir, 'bad.csv', [HEADER, '2021-08-28,32,5,27', 'not a row']);
  await expect(loadFile(db.pool, file, { strict: true })).rejects.toThrow(/--strict/);
  expect(await insertTriggerState()).toBe('O');
  expect(await changes()).toEqual([]);
  expect((await db.pool.query('SELECT count(*)::int AS n FROM loans')).rows[0].n).toBe(0);
});

describe('the functions refuse what would lose a logged change', () => {
  async function inTransaction(statements: string[]): Promise<void> {
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      for (const statement of statements) await client.query(statement);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }

  test('a transaction that switched the trigger off and not on again cannot commit', async () => {
    await expect(
      inTransaction([
        'LOCK TABLE loans IN SHARE ROW EXCLUSIVE MODE',
        'SELECT begin_bulk_load_into_empty_loans(4242)',
        "INSERT INTO loans (repayment_date, number_of_loans, defaults, liquidations) VALUES ('2021-01-01', 1, 0, 0)",
      ]),
    ).rejects.toThrow(/load 4242 switched off the logging of inserts into loans and did not switch it on again/);
    expect(await insertTriggerState()).toBe('O');
    expect((await db.pool.query('SELECT count(*)::int AS n FROM loans')).rows[0].n).toBe(0);
  });

  test('without the lock, or over a loans that is not empty, it does not switch anything off', async () => {
    await expect(inTransaction(['SELECT begin_bulk_load_into_empty_loans(1)'])).rejects.toThrow(
      /lock loans in SHARE ROW EXCLUSIVE mode first/,
    );
    await db.pool.query(
      "INSERT INTO loans (repayment_date, number_of_loans, defaults, liquidations) VALUES ('2021-01-01', 1, 0, 0)",
    );
    await expect(
      inTransaction(['LOCK TABLE loans IN SHARE ROW EXCLUSIVE MODE', 'SELECT begin_bulk_load_into_empty_loans(1)']),
    ).rejects.toThrow(/loans is not empty/);
    expect(await insertTriggerState()).toBe('O');
  });
});
