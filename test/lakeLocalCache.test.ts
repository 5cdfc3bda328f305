import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openLake } from '../lake/lakeStore';
import { LocalCache, STALE_AFTER_MS } from '../lake/localCache';
import { createTestDatabase, type TestDatabase } from './support/database';
import { tempDir } from './support/files';
import { ingestContext, ingestEvents, lakeConfig, makeEvents } from './support/lake';
import { captureLogger } from './support/logs';
import { startTestS3, type TestS3 } from './support/s3';

/**
 * The copies a consumer keeps of an S3 lake's files (lake/localCache.ts): on real files, and
 * through the lake on a real S3 server, where an object deleted behind the lake's back tells a
 * copy served from the cache (it still reads) from a download (it fails).
 */

const bytes = (n: number, fill: string): Buffer => Buffer.alloc(n, fill);

function file(folder: string, name: string, content: Buffer): string {
  const full = path.join(folder, name);
  writeFileSync(full, content);
  return full;
}

const cacheFolders = (parent: string): string[] => readdirSync(parent).filter((n) => n.startsWith('lake-cache-'));

describe('LocalCache', () => {
  test('a kept file comes back as a hard link with the same bytes; a path never kept is a miss', async () => {
    const parent = tempDir('cache-');
    const work = tempDir('work-');
    const cache = new LocalCache(parent, 1000);
    const source = file(work, 'a.parquet', bytes(100, 'a'));
    await cache.keep(source, 'events/type=a/date=2026-12-01/hour=05/ingest-1-0.parquet', 'link');
    expect(existsSync(source)).toBe(true);
    const target = path.join(work, 'copy.parquet');
    expect(await cache.copyTo('events/type=a/date=2026-12-01/hour=05/ingest-1-0.parquet', target)).toBe(true);
    expect(readFileSync(target)).toEqual(bytes(100, 'a'));
    expect(statSync(target).ino).toBe(statSync(source).ino);
    expect(await cache.copyTo('events/type=a/date=2026-12-01/hour=05/ingest-2-0.parquet', path.join(work, 'x'))).toBe(
      false,
    );
    expect(cache.size).toBe(100);
    cache.close();
  });

  test('move takes the file in; one larger than the whole cache is not kept, and a move deletes it all the same', async () => {
    const parent = tempDir('cache-');
    const work = tempDir('work-');
    const cache = new LocalCache(parent, 150);
    const moved = file(work, 'm', bytes(100, 'm'));
    await cache.keep(moved, 'm', 'move');
    expect(existsSync(moved)).toBe(false);
    const large = file(work, 'l', bytes(151, 'l'));
    await cache.keep(large, 'l', 'move');
    expect(existsSync(large)).toBe(false);
    expect(await cache.copyTo('l', path.join(work, 'l2'))).toBe(false);
    expect(await cache.copyTo('m', path.join(work, 'm2'))).toBe(true);
    expect(readFileSync(path.join(work, 'm2'))).toEqual(bytes(100, 'm'));
    expect(cache.size).toBe(100);
    cache.close();
  });

  test('past its size the least recently used copy goes, and a copy handed out before stays readable', async () => {
    const parent = tempDir('cache-');
    const work = tempDir('work-');
    const cache = new LocalCache(parent, 250);
    await cache.keep(file(work, 'a', bytes(100, 'a')), 'a', 'move');
    await cache.keep(file(work, 'b', bytes(100, 'b')), 'b', 'move');
    const handedOut = path.join(work, 'b-read');
    // b was kept after a, but reading a makes b the least recently used.
    expect(await cache.copyTo('b', handedOut)).toBe(true);
    expect(await cache.copyTo('a', path.join(work, 'a-read'))).toBe(true);
    await cache.keep(file(work, 'c', bytes(100, 'c')), 'c', 'move');
    expect(cache.size).toBe(200);
    expect(await cache.copyTo('b', path.join(work, 'b-again'))).toBe(false);
    expect(await cache.copyTo('a', path.join(work, 'a-again'))).toBe(true);
    expect(await cache.copyTo('c', path.join(work, 'c-again'))).toBe(true);
    expect(readFileSync(handedOut)).toEqual(bytes(100, 'b'));
    const [folder] = cacheFolders(parent);
    expect(readdirSync(path.join(parent, folder!)).sort()).toEqual(['a', 'c']);
    cache.close();
  });

  test('a folder a killed process left is deleted once nothing changed in it for an hour; a live one and other folders stay', async () => {
    const parent = tempDir('cache-');
    const work = tempDir('work-');
    const hoursAgo = (h: number): Date => new Date(Date.now() - h * 3600_000);
    for (const [name, mtime] of [
      ['lake-cache-killed', hoursAgo(2)],
      ['lake-cache-live', hoursAgo(0.5)],
      ['lake-ingest-7-abc', hoursAgo(2)],
    ] as const) {
      mkdirSync(path.join(parent, name));
      writeFileSync(path.join(parent, name, 'f'), 'x');
      utimesSync(path.join(parent, name), mtime, mtime);
    }
    expect(STALE_AFTER_MS).toBe(3600_000);
    const cache = new LocalCache(parent, 1000);
    await cache.keep(file(work, 'a', bytes(10, 'a')), 'a', 'move');
    const left = readdirSync(parent).sort();
    expect(left).toHaveLength(3);
    expect(left).toEqual(expect.arrayContaining(['lake-cache-live', 'lake-ingest-7-abc']));
    expect(left).not.toContain('lake-cache-killed');
    cache.close();
    expect(readdirSync(parent).sort()).toEqual(['lake-cache-live', 'lake-ingest-7-abc']);
  });

  test('its folder deleted behind its back (taken for stale): a miss, and keeping starts it again', async () => {
    const parent = tempDir('cache-');
    const work = tempDir('work-');
    const cache = new LocalCache(parent, 1000);
    await cache.keep(file(work, 'a', bytes(10, 'a')), 'a', 'move');
    rmSync(path.join(parent, cacheFolders(parent)[0]!), { recursive: true });
    expect(await cache.copyTo('a', path.join(work, 'a-read'))).toBe(false);
    await cache.keep(file(work, 'b', bytes(20, 'b')), 'b', 'move');
    expect(cache.size).toBe(20);
    expect(await cache.copyTo('b', path.join(work, 'b-read'))).toBe(true);
    expect(readFileSync(path.join(work, 'b-read'))).toEqual(bytes(20, 'b'));
    cache.close();
    expect(cacheFolders(parent)).toEqual([]);
  });
});

describe('an S3 lake with the cache (a consumer’s)', () => {
  let db: TestDatabase;
  let s3: TestS3;

  beforeAll(async () => {
    db = await createTestDatabase();
    s3 = await startTestS3(['lake']);
  });
  afterAll(async () => {
    await s3.stop();
    await db.drop();
  });

  const deleteObjects = async (): Promise<number> => {
    const store = s3.store('lake');
    let deleted = 0;
    for await (const object of store.list('l/events/')) {
      await store.delete(object.key);
      deleted++;
    }
    return deleted;
  };

  test('files it published or downloaded are read from its copies; without the cache they are downloaded', async () => {
    const tmp = tempDir('lake-tmp-');
    const config = lakeConfig(db, { ...s3.env, LAKE_URI: 's3://lake/l', LAKE_TMP_DIR: tmp, LAKE_CACHE_MB: '64' });
    const cached = openLake(config, { cache: true });
    const plain = openLake(config);
    const { logger } = captureLogger();
    const sources = tempDir('sources-');
    try {
      // One ingest by the cached lake, one by another writer (the plain lake): two files of one partition.
      const mine = makeEvents('signup', '2026-12-01T05', 30);
      const theirs = makeEvents('signup', '2026-12-01T05', 20);
      await ingestEvents(ingestContext(db.pool, cached, config, logger), sources, 'mine.ndjson', mine);
      await ingestEvents(ingestContext(db.pool, plain, config, logger), sources, 'theirs.ndjson', theirs);
      const { rows } = await db.pool.query<{ path: string; bytes: string }>(
        "SELECT path, bytes FROM lake_files WHERE path LIKE 'events/type=signup/%' ORDER BY ingest_id",
      );
      const paths = rows.map((r) => r.path);
      expect(paths).toHaveLength(2);
      // The other writer's file is downloaded once, then kept.
      await cached.localPaths([paths[1]!], tempDir('read-'));
      expect(await deleteObjects()).toBe(2);

      const read = tempDir('read-');
      const local = await cached.localPaths(paths, read);
      expect(local.map((f) => statSync(f).size)).toEqual(rows.map((r) => Number(r.bytes)));
      expect(local.every((f) => f.startsWith(read))).toBe(true);
      await expect(plain.localPaths([paths[0]!], tempDir('read-'))).rejects.toThrow();

      // A new ingest of the same events by the cached lake reads the ids from its copies: all repeats.
      const again = await ingestEvents(ingestContext(db.pool, cached, config, logger), sources, 'again.ndjson', [
        ...mine,
        ...theirs,
      ]);
      expect(again).toMatchObject({ status: 'succeeded', eventsWritten: 0, duplicates: 50 });
    } finally {
      cached.close();
      plain.close();
    }
    expect(cacheFolders(tmp)).toEqual([]);
  });

  test('LAKE_CACHE_MB=0 turns it off', async () => {
    const config = lakeConfig(db, { ...s3.env, LAKE_URI: 's3://lake/off', LAKE_CACHE_MB: '0' });
    expect(config.lake.cacheBytes).toBe(0);
    const lake = openLake(config, { cache: true });
    const { logger } = captureLogger();
    try {
      await ingestEvents(
        ingestContext(db.pool, lake, config, logger),
        tempDir('sources-'),
        'a.ndjson',
        makeEvents('x', '2026-12-01T06', 5),
      );
      const { rows } = await db.pool.query<{ path: string }>(
        "SELECT path FROM lake_files WHERE path LIKE 'events/type=x/%'",
      );
      const store = s3.store('lake');
      for await (const object of store.list('off/events/')) await store.delete(object.key);
      await expect(lake.localPaths([rows[0]!.path], tempDir('read-'))).rejects.toThrow();
    } finally {
      lake.close();
    }
  });
});
