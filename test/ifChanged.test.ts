import path from 'node:path';
import { projectRoot } from '../lib/sqlFiles';
import { loadFile, recordedName, type LoadSummary } from '../loader/loadFile';
import { createTestDatabase, type TestDatabase } from './support/database';
import { HEADER, tempDir, writeFile } from './support/files';
import { killStarted, startNode } from './support/processes';
import { pgEnvironment } from './support/server';

/**
 * --if-changed, the start-up load of npm start and of the Compose loader (issue 3): a file is
 * loaded only when it changed since its own last load, so a restart never reverts a later load
 * of another file. test/embedded.test.ts and test/compose.test.ts run it as those two do.
 */

let db: TestDatabase;
const dir = tempDir('if-changed-');
const ORIGINAL = [HEADER, '2021-08-28,40,0,40', '2021-08-29,39,2,37'];
const CORRECTED = [HEADER, '2021-08-28,40,3,30'];

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  killStarted();
  await db.drop();
});
beforeEach(async () => {
  await db.pool.query('TRUNCATE loans, load_rejects, loads, loans_changes');
});

const startUpLoad = (file: string): Promise<LoadSummary> => loadFile(db.pool, file, { strict: false, ifChanged: true });

async function firstDay(): Promise<unknown> {
  const { rows } = await db.pool.query("SELECT defaults, liquidations FROM loans WHERE repayment_date = '2021-08-28'");
  return rows[0];
}

const loadCount = async (): Promise<number> => (await db.pool.query('SELECT count(*)::int AS n FROM loads')).rows[0].n;

test('the first start loads the file; a restart skips it and keeps what a later load of another file wrote', async () => {
  const original = writeFile(dir, 'loans.csv', ORIGINAL);
  const first = await startUpLoad(original);
  expect(first).toMatchObject({ loaded: 2, inserted: 2 });
  expect(first.skippedSinceLoadId).toBeUndefined();

  const corrected = await loadFile(db.pool, writeFile(dir, 'fixed.csv', CORRECTED), { strict: false });
  expect(corrected).toMatchObject({ loaded: 1, updated: 1 });
  expect(await firstDay()).toEqual({ defaults: 3, liquidations: 30 });

  const loadsBefore = await loadCount();
  const restart = await startUpLoad(original);
  expect(restart).toMatchObject({ skippedSinceLoadId: first.loadId, loadId: first.loadId, read: 0, loaded: 0 });
  expect(await firstDay()).toEqual({ defaults: 3, liquidations: 30 });
  // A skip is not a load: nothing is recorded (a recorded one would pass for the file's last load).
  expect(await loadCount()).toBe(loadsBefore);
});

test('a changed file is loaded, and then skipped until it changes again', async () => {
  const file = writeFile(dir, 'changing.csv', ORIGINAL);
  await startUpLoad(file);
  await loadFile(db.pool, writeFile(dir, 'other.csv', CORRECTED), { strict: false });
  // Same size, other bytes: the sha256 decides.
  writeFile(dir, 'changing.csv', [HEADER, '2021-08-28,40,1,39', '2021-08-29,39,2,37']);
  const changed = await startUpLoad(file);
  expect(changed.skippedSinceLoadId).toBeUndefined();
  expect(changed).toMatchObject({ read: 2, updated: 1 });
  expect(await firstDay()).toEqual({ defaults: 1, liquidations: 39 });
  expect((await startUpLoad(file)).skippedSinceLoadId).toBe(changed.loadId);
});

test('only a successful load of the same file counts, however its path is spelled', async () => {
  const file = writeFile(dir, 'spelled.csv', ORIGINAL);
  const relative = path.relative(process.cwd(), file);
  const loaded = await startUpLoad(`./${relative}`);
  expect((await startUpLoad(relative)).skippedSinceLoadId).toBe(loaded.loadId);
  expect((await startUpLoad(file)).skippedSinceLoadId).toBe(loaded.loadId);
  // The same bytes under another name are another file.
  expect((await startUpLoad(writeFile(dir, 'copy.csv', ORIGINAL))).skippedSinceLoadId).toBeUndefined();
  // A failed load changed nothing: the file's last load is still the successful one.
  writeFile(dir, 'spelled.csv', ['no header here']);
  await expect(startUpLoad(file)).rejects.toThrow(/bad header/);
  writeFile(dir, 'spelled.csv', ORIGINAL);
  expect((await startUpLoad(file)).skippedSinceLoadId).toBe(loaded.loadId);
});

test('loads.file names a file of the project relative to it, and any other file absolutely', () => {
  const inProject = path.join(projectRoot, 'data', 'loans.csv');
  for (const spelling of [
    inProject,
    path.relative(process.cwd(), inProject),
    `./${path.relative(process.cwd(), inProject)}`,
  ]) {
    expect(recordedName(spelling)).toBe(path.join('data', 'loans.csv'));
  }
  expect(recordedName(path.join(dir, 'x.csv'))).toBe(path.join(dir, 'x.csv'));
  expect(recordedName(path.join(projectRoot, '..', 'x.csv'))).toBe(path.resolve(projectRoot, '..', 'x.csv'));
});

describe('npm run load -- --if-changed', () => {
  const run = async (...args: string[]) => {
    const running = startNode(['dist/loader/main.js', ...args], { ...pgEnvironment(db.config), DB_WAIT_TIMEOUT: '2' });
    return { code: await running.exited, output: running.output() };
  };

  test('says it skipped the file, with status=skipped, and exits 0', async () => {
    const file = writeFile(dir, 'cli.csv', ORIGINAL);
    const first = await run('--if-changed', file);
    expect(first.code).toBe(0);
    expect(first.output).toMatch(/status=succeeded rows=2 .* loaded .*cli\.csv: 2 rows read/);
    const again = await run('--if-changed', file);
    expect(again.code).toBe(0);
    expect(again.output).toMatch(
      /INFO +loader status=skipped rows=0 .* skipped .*cli\.csv: unchanged since its last load \(load \d+, same size and sha256\), so loans keeps what was loaded since/,
    );
  });

  test('refuses --force with it, and documents it in the usage', async () => {
    const result = await run('--if-changed', '--force');
    expect(result.code).toBe(2);
    expect(result.output).toMatch(
      /--force reads the file whatever, --if-changed only when it changed: give one; usage: npm run load -- \[--strict\] \[--force \| --if-changed\] \[file\]/,
    );
    const help = await run('--help');
    expect(help.code).toBe(0);
    expect(help.output).toMatch(
      /--if-changed +skip the file when it has the size and sha256 of its own last successful load/,
    );
  });
});
