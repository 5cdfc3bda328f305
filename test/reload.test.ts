import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { loadFile, type LoadOptions, type LoadSummary } from '../loader/loadFile';
import { RejectSpool } from '../loader/rejectSpool';
import { createTestDatabase, type TestDatabase } from './support/database';
import { HEADER, tempDir, writeFile } from './support/files';

/**
 * A file loaded again while neither it nor loans changed is recognised and not read: the load is
 * recorded with the counts and rejects of the load that read it. Any change to the file or to
 * loans, a change of the loader's rules, --force, or --strict over rejected rows reads it again.
 */

let db: TestDatabase;
const dir = tempDir('reload-');
const ROWS = [HEADER, '2021-08-28,32,5,27', 'not a row', '2021-08-29,39,2,37', '', '2021-08-30,45,0,43'];

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());
beforeEach(async () => {
  await db.pool.query('TRUNCATE loans, load_rejects, loads, loans_changes');
});

const load = (file: string, options: Partial<LoadOptions> = {}): Promise<LoadSummary> =>
  loadFile(db.pool, file, { strict: false, ...options });

async function rejects(loadId: number): Promise<unknown[]> {
  const { rows } = await db.pool.query(
    'SELECT line_number, raw_line, reason FROM load_rejects WHERE load_id = $1 ORDER BY line_number',
    [loadId],
  );
  return rows;
}

async function loansRows(): Promise<unknown[]> {
  return (await db.pool.query('SELECT *, xmin::text AS version FROM loans ORDER BY repayment_date')).rows;
}

test('the same file over an unchanged loans is not read again; its counts are carried over, its rejects pointed at', async () => {
  const file = writeFile(dir, 'same.csv', ROWS);
  const first = await load(file);
  const before = await loansRows();
  const second = await load(file);
  expect(second).toMatchObject({
    unchangedSinceLoadId: first.loadId,
    read: first.read,
    loaded: first.loaded,
    rejected: 1,
    blank: 1,
    inserted: 0,
    updated: 0,
    unchanged: first.loaded,
    sha256: first.sha256,
    asOf: first.asOf,
  });
  // Its rejects are those of the load that read the file, not copied again.
  expect(await rejects(second.loadId)).toEqual([]);
  expect(await rejects(first.loadId)).toHaveLength(1);
  expect(await loansRows()).toEqual(before);
  // A third load points at the load that actually read the file.
  expect((await load(file)).unchangedSinceLoadId).toBe(first.loadId);
  const recorded = await db.pool.query(
    'SELECT load_id, unchanged_since_load_id, rows_read, rows_unchanged FROM loads ORDER BY load_id',
  );
  expect(recorded.rows.map((r) => r.unchanged_since_load_id)).toEqual([
    null,
    String(first.loadId),
    String(first.loadId),
  ]);
});

test('a write to loans since the last load makes the file be read again, and the file wins', async () => {
  const file = writeFile(dir, 'after-edit.csv', ROWS);
  await load(file);
  await db.pool.query("UPDATE loans SET defaults = 1 WHERE repayment_date = '2021-08-28'");
  const again = await load(file);
  expect(again.unchangedSinceLoadId).toBeUndefined();
  expect(again).toMatchObject({ updated: 1, unchanged: 2 });
  const { rows } = await db.pool.query("SELECT defaults FROM loans WHERE repayment_date = '2021-08-28'");
  expect(rows[0].defaults).toBe(5);
});

test('a deleted day, or a truncated table, makes the file be read again', async () => {
  const file = writeFile(dir, 'after-delete.csv', ROWS);
  await load(file);
  await db.pool.query("DELETE FROM loans WHERE repayment_date = '2021-08-29'");
  expect(await load(file)).toMatchObject({ inserted: 1, unchanged: 2 });
  await db.pool.query('TRUNCATE loans');
  expect(await load(file)).toMatchObject({ inserted: 3 });
});

test('a file of the same size with other bytes is read again', async () => {
  const file = writeFile(dir, 'same-size.csv', ROWS);
  await load(file);
  writeFileSync(file, `${ROWS.join('\n').replace('2021-08-30,45,0,43', '2021-08-30,45,0,44')}\n`);
  const again = await load(file);
  expect(again.unchangedSinceLoadId).toBeUndefined();
  expect(again.updated).toBe(1);
});

test('--force reads the file again', async () => {
  const file = writeFile(dir, 'forced.csv', ROWS);
  await load(file);
  const forced = await load(file, { force: true });
  expect(forced.unchangedSinceLoadId).toBeUndefined();
  expect(forced).toMatchObject({ loaded: 3, unchanged: 3, rejected: 1 });
});

test('--strict still fails on a file whose last load rejected rows', async () => {
  const file = writeFile(dir, 'strict.csv', ROWS);
  await load(file);
  await expect(load(file, { strict: true })).rejects.toThrow(/--strict and 1 row was rejected/);
});

test('a load made under other loader rules does not count', async () => {
  const file = writeFile(dir, 'rules.csv', ROWS);
  await load(file);
  await db.pool.query("UPDATE loads SET loader_version = 'older'");
  expect((await load(file)).unchangedSinceLoadId).toBeUndefined();
});

test('a failed load in between leaves the recognition intact only if it wrote nothing', async () => {
  const file = writeFile(dir, 'between.csv', ROWS);
  const first = await load(file);
  await expect(load(writeFile(dir, 'broken.csv', [HEADER, '2022-01-01,1,0,0', '"open']))).rejects.toThrow(
    /never closed/,
  );
  // The broken file was refused before anything reached loans: the table is as the first load left it.
  expect((await load(file)).unchangedSinceLoadId).toBe(first.loadId);
});

test('a file with many rejects loads them all', async () => {
  const bad = Array.from({ length: 70_000 }, (_, i) => `2021-13-01,${i},xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx,0`);
  const summary = await load(writeFile(dir, 'many-rejects.csv', [HEADER, '2021-08-28,32,5,27', ...bad]));
  expect(summary).toMatchObject({ loaded: 1, rejected: 70_000 });
  const { rows } = await db.pool.query(
    'SELECT count(*)::int AS n, min(line_number) AS first, max(line_number) AS last FROM load_rejects WHERE load_id = $1',
    [summary.loadId],
  );
  expect(rows[0]).toEqual({ n: 70_000, first: 3, last: 70_002 });
});

test('rejects beyond a few megabytes go to a temporary file, all reach load_rejects, and the file is removed', async () => {
  const parent = tempDir('spill-');
  const spool = new RejectSpool(parent);
  const started = await db.pool.query<{ load_id: string }>(
    "INSERT INTO loads (file, status, strict, started_at) VALUES ('spool', 'succeeded', false, now()) RETURNING load_id",
  );
  const loadId = started.rows[0]!.load_id;
  const reason = 'r'.repeat(100);
  for (let line = 1; line <= 50_000; line += 1) spool.add(`${loadId}\t${line}\traw \\\\ line ${line}\t${reason}\n`);
  const spilled = spool.spillFile;
  expect(spilled).toBeDefined();
  expect(statSync(spilled!).size).toBeGreaterThan(4 * 1024 * 1024);
  const client = await db.pool.connect();
  try {
    await spool.copyInto(client);
  } finally {
    client.release();
    spool.dispose();
  }
  const { rows } = await db.pool.query(
    'SELECT count(*)::int AS n, count(DISTINCT line_number)::int AS lines, min(raw_line) AS sample FROM load_rejects WHERE load_id = $1',
    [loadId],
  );
  expect(rows[0]).toEqual({ n: 50_000, lines: 50_000, sample: 'raw \\ line 1' });
  expect(readdirSync(parent)).toEqual([]);
});
