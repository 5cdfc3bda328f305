import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chunksOf } from '../lib/chunks';
import { DuckDb, literal, literalList } from '../lake/duckdb';

/**
 * The lake's once-per-id rule against the files already in a partition, read a list of files at a
 * time (lake/ingest.ts, KNOWN_FILES_AT_ONCE): an id in files of two lists is dropped once, and the
 * lists together drop what one list of every file drops.
 */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'drop-known-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('chunksOf puts every item in exactly one list, in order, at and around the boundary', () => {
  const items = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
  expect(chunksOf(items(999), 1000).map((c) => c.length)).toEqual([999]);
  expect(chunksOf(items(1000), 1000).map((c) => c.length)).toEqual([1000]);
  expect(chunksOf(items(1001), 1000).map((c) => c.length)).toEqual([1000, 1]);
  expect(chunksOf(items(2001), 1000).flat()).toEqual(items(2001));
  expect(chunksOf([], 1000)).toEqual([]);
  expect(() => chunksOf(items(3), 0)).toThrow('size 0');
});

async function dropped(files: string[], listSize: number): Promise<number[]> {
  const duck = await DuckDb.open({ memoryLimitMb: 256, threads: 1, spillDir: path.join(dir, 'spill') });
  try {
    // The ingest's two relations drop_known reads and writes: the batch's good lines, and the lines already dropped.
    await duck.connection.run(
      "CREATE TABLE good_ids AS SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e')) t(line, id)",
    );
    // Line 5 was dropped already, as a repeat within the batch.
    await duck.connection.run('CREATE TABLE dropped AS SELECT 5 AS line');
    for (const list of chunksOf(files, listSize)) await duck.run('drop_known', [], { files: literalList(list) });
    const reader = await duck.connection.runAndReadAll('SELECT line FROM dropped ORDER BY line');
    return reader.getRows().map(([line]) => Number(line));
  } finally {
    duck.close();
  }
}

test('an id known from files of two lists is dropped once; the lists drop what one list drops', async () => {
  const duck = await DuckDb.open({ memoryLimitMb: 256, threads: 1, spillDir: path.join(dir, 'spill') });
  // a is in the first and the third file (two lists of 2), c in the second, e in the fourth; b and d are new.
  const known = [['a', 'x'], ['c'], ['a', 'y'], ['e']];
  const files = known.map((ids, i) => path.join(dir, `known-${i}.parquet`));
  try {
    for (const [i, ids] of known.entries()) {
      const values = ids.map((id) => `(${literal(id)})`).join(', ');
      await duck.connection.run(
        `COPY (SELECT * FROM (VALUES ${values}) t(id)) TO ${literal(files[i]!)} (FORMAT parquet)`,
      );
    }
  } finally {
    duck.close();
  }
  // By hand: lines 1 (a) and 3 (c) are known, 5 (e) was dropped before and is not added again.
  expect(await dropped(files, 2)).toEqual([1, 3, 5]);
  expect(await dropped(files, 1)).toEqual([1, 3, 5]);
  expect(await dropped(files, 1000)).toEqual([1, 3, 5]);
});
