import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { readConfig } from '../lib/config';
import { runningLocalS3, startLocalS3 } from '../lib/localS3';
import { ObjectStoreError } from '../lib/errors';
import { tempDir } from './support/files';
import { ObjectStore } from '../lib/objectStore';
import { startSilentServer } from './support/silentServer';
import { killStarted, startNode, startProcess, waitUntil } from './support/processes';
import { startTestS3, type TestS3 } from './support/s3';

/** lib/objectStore.ts and lib/localS3.ts against a real S3 server process (s3rver). */

let s3: TestS3;

beforeAll(async () => {
  s3 = await startTestS3(['ad-data']);
});
afterAll(async () => {
  killStarted();
  await s3.stop();
});

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

test('put stores the exact bytes and says what it stored', async () => {
  const store = s3.store();
  const body = randomBytes(5000);
  const stored = await store.put('backup/one.json', body);
  expect(stored).toEqual({
    key: 'backup/one.json',
    bytes: 5000,
    sha256: sha256(body),
    etag: createHash('md5').update(body).digest('hex'),
  });
  expect((await store.get('backup/one.json')).equals(body)).toBe(true);
  expect(await store.head('backup/one.json')).toEqual({ bytes: 5000, etag: stored.etag });
  expect(await store.head('backup/none.json')).toBeUndefined();
});

test('upload streams a body of several parts; checksum reads back the same bytes', async () => {
  const store = s3.store();
  // 20 MiB in 64 KiB chunks: three 8 MiB parts, never the whole body in one buffer.
  const chunks = Array.from({ length: 320 }, (_, i) => Buffer.alloc(65_536, i % 251));
  const expected = createHash('sha256');
  for (const chunk of chunks) expected.update(chunk);
  const digest = expected.digest('hex');
  const stored = await store.upload('archive/big.bin', Readable.from(chunks));
  expect(stored.bytes).toBe(320 * 65_536);
  expect(stored.sha256).toBe(digest);
  expect(await store.checksum('archive/big.bin')).toEqual({ bytes: 320 * 65_536, sha256: digest });
});

test('list pages through more objects than one listing returns (1000)', async () => {
  const store = s3.store();
  const keys = Array.from({ length: 1003 }, (_, i) => `many/${String(i).padStart(4, '0')}`);
  for (let i = 0; i < keys.length; i += 50) {
    await Promise.all(keys.slice(i, i + 50).map((key) => store.put(key, Buffer.from(key))));
  }
  const listed: string[] = [];
  for await (const object of store.list('many/')) listed.push(object.key);
  expect(listed).toEqual(keys);
});

test('delete removes an object, and a missing one is no error', async () => {
  const store = s3.store();
  await store.put('tmp/x', Buffer.from('x'));
  await store.delete('tmp/x');
  await store.delete('tmp/x');
  expect(await store.head('tmp/x')).toBeUndefined();
  await expect(store.get('tmp/x')).rejects.toThrow('object store: there is no s3://ad-data/tmp/x');
});

test('ensureBucket creates a missing bucket once', async () => {
  const store = s3.store('other-bucket');
  await expect(store.put('a', Buffer.from('a'))).rejects.toThrow(ObjectStoreError);
  await store.ensureBucket();
  await store.ensureBucket();
  await store.put('a', Buffer.from('a'));
  expect((await store.get('a')).toString()).toBe('a');
});

test('objects survive a restart of the server; while it is down every call fails naming the endpoint', async () => {
  const store = s3.store();
  await store.put('backup/kept.json', Buffer.from('kept'));
  await s3.stop();
  const down = s3.store();
  const failure = down.put('backup/lost.json', Buffer.from('lost'));
  await expect(failure).rejects.toThrow(ObjectStoreError);
  await expect(failure).rejects.toThrow(
    new RegExp(
      `^object store: storing s3://ad-data/backup/lost.json \\(${s3.config.endpoint}\\) failed: .*ECONNREFUSED`,
    ),
  );
  await s3.start();
  const again = s3.store();
  expect((await again.get('backup/kept.json')).toString()).toBe('kept');
  expect(await again.head('backup/lost.json')).toBeUndefined();
});

test('a server that takes the connection and never answers fails the call once it was silent for the idle timeout', async () => {
  const silent = await startSilentServer();
  const store = new ObjectStore({ ...s3.config, endpoint: silent.endpoint }, 'ad-data', {
    maxAttempts: 1,
    idleTimeoutMs: 1000,
  });
  try {
    const started = Date.now();
    await expect(store.get('backup/any.json')).rejects.toThrow(
      /^object store: reading s3:\/\/ad-data\/backup\/any\.json \(http:\/\/127\.0\.0\.1:\d+\) failed: .*timed out after 1000 ms of inactivity/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  } finally {
    store.close();
    await silent.close();
  }
});

/**
 * An S3 endpoint as s3rver behaves under load: it stores a PUT's body and answers it at once, but
 * its HEADs report 0 bytes until `lateHeads` of them have been answered.
 */
async function startLateS3(lateHeads: number): Promise<{ endpoint: string; heads(): number; close(): Promise<void> }> {
  const sizes = new Map<string, number>();
  let heads = 0;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const key = request.url!.split('?')[0]!;
      if (request.method === 'PUT') {
        const body = Buffer.concat(chunks);
        sizes.set(key, body.length);
        response.writeHead(200, { ETag: `"${createHash('md5').update(body).digest('hex')}"` }).end();
      } else if (request.method === 'HEAD' && sizes.has(key)) {
        heads += 1;
        const length = heads > lateHeads ? sizes.get(key)! : 0;
        response.writeHead(200, { 'Content-Length': length, ETag: '"x"' }).end();
      } else {
        response.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    heads: () => heads,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

test('a size the server reports short right after the PUT is asked for again; one that stays short fails', async () => {
  for (const [lateHeads, outcome] of [
    [2, 'stored'],
    [100, 'short'],
  ] as const) {
    const late = await startLateS3(lateHeads);
    const store = new ObjectStore({ ...s3.config, endpoint: late.endpoint }, 'ad-data', { maxAttempts: 1 });
    try {
      const stored = store.put('backup/late.json', Buffer.from('{"late":true}'));
      if (outcome === 'stored') {
        await expect(stored).resolves.toMatchObject({ key: 'backup/late.json', bytes: 13 });
        expect(late.heads()).toBe(3);
      } else {
        await expect(stored).rejects.toThrow(
          'object store: s3://ad-data/backup/late.json holds 0 bytes after 13 bytes were sent',
        );
        // The first look and the 5 more over ~1.5 s.
        expect(late.heads()).toBe(6);
      }
    } finally {
      store.close();
      await late.close();
    }
  }
});

describe('the local server of npm start', () => {
  test('announces itself: with no endpoint set, the configuration finds it, and forgets it once stopped', async () => {
    const dataDir = tempDir('s3-announce-');
    const local = await startLocalS3({ dataDir, port: 0, buckets: ['ad-data'], announce: true });
    try {
      expect(runningLocalS3(dataDir)?.endpoint).toBe(local.endpoint);
      const config = readConfig({ EMBEDDED_S3_DIR: dataDir });
      expect(config.s3).toMatchObject({
        endpoint: local.endpoint,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
        forcePathStyle: true,
      });
      expect(config.s3.origin).toContain(path.join(dataDir, 'server.json'));
      // An explicit endpoint wins.
      expect(readConfig({ EMBEDDED_S3_DIR: dataDir, AWS_ENDPOINT_URL_S3: 'http://elsewhere:9000' }).s3).toMatchObject({
        endpoint: 'http://elsewhere:9000',
        origin: 'AWS_ENDPOINT_URL_S3',
      });
      await expect(startLocalS3({ dataDir, port: 0, buckets: [] })).rejects.toThrow(
        `a local S3 server (pid ${local.pid}) already runs on ${dataDir}`,
      );
    } finally {
      await local.stop();
    }
    expect(existsSync(path.join(dataDir, 'server.json'))).toBe(false);
    expect(readConfig({ EMBEDDED_S3_DIR: dataDir }).s3.endpoint).toBeUndefined();
  });

  test('exits when the process that started it is killed', async () => {
    const dataDir = tempDir('s3-orphan-');
    const script = [
      `require(${JSON.stringify(path.resolve('dist/lib/localS3.js'))})`,
      `.startLocalS3({ dataDir: ${JSON.stringify(dataDir)}, port: 0, buckets: [], announce: true })`,
      '.then((s) => console.log("pid", s.pid));',
      'setInterval(() => {}, 1000);',
    ].join('');
    const parent = startProcess(['-e', script], {});
    await waitUntil(() => /pid \d+/.test(parent.stdout()), 15_000);
    const childPid = Number(/pid (\d+)/.exec(parent.stdout())![1]);
    process.kill(parent.child.pid!, 'SIGKILL');
    await parent.exited;
    await waitUntil(() => {
      try {
        process.kill(childPid, 0);
        return false;
      } catch {
        return true;
      }
    }, 10_000);
    // Its server.json stays behind, but names a process that is gone: nobody uses it.
    expect(runningLocalS3(dataDir)).toBeUndefined();
  });
});

test('npm run create-bucket (the bucket one-shot of Compose) creates the bucket, and a rerun changes nothing', async () => {
  for (let run = 0; run < 2; run += 1) {
    const running = startNode(['dist/lib/createBucketMain.js'], { ...s3.env, ADS_BUCKET: 'made-by-one-shot' });
    expect(await running.exited).toBe(0);
    expect(running.output()).toContain('bucket made-by-one-shot is there');
  }
  await s3.store('made-by-one-shot').put('x', Buffer.from('x'));
});
