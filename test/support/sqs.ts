import http from 'node:http';
import path from 'node:path';
import type { ChildServer } from '../../lib/childServer';
import type { Config } from '../../lib/config';
import { LOCAL_SQS_CREDENTIALS, startLocalSqs } from '../../lib/localSqs';
import { EventQueue } from '../../lib/queue';
import { openLake, type LakeStore } from '../../lake/lakeStore';
import { createTestDatabase, type TestDatabase } from './database';
import { tempDir } from './files';
import { eventText, lakeConfig, livePaths, readLakeFiles, readParquet, type StoredEvent } from './lake';

/**
 * Events over a queue for a test: a real SQS-protocol server (the fauxqs of npm start, in a
 * process of its own) that can go down and come back on its port, the bodies a test sends (so it
 * knows what the lake must hold), and the lake read back by DuckDB from the catalog's files.
 */

export interface TestSqs {
  endpoint: string;
  /** The variables that point a consumer at `queue` on this server, or on `endpoint` (a proxy of it). */
  env(queue: string, endpoint?: string): Record<string, string>;
  stop(): Promise<void>;
  /** Starts it again after stop(), on the same port: empty, as fauxqs keeps nothing. */
  start(): Promise<void>;
}

export async function startTestSqs(): Promise<TestSqs> {
  const dataDir = tempDir('sqs-');
  let server: ChildServer | undefined = await startLocalSqs({ dataDir, port: 0 });
  const endpoint = server.endpoint;
  const port = Number(new URL(endpoint).port);
  return {
    endpoint,
    env: (queue, at = endpoint) => ({
      AWS_ENDPOINT_URL_SQS: at,
      EVENTS_QUEUE_URL: `${at}/000000000000/${queue}`,
      AWS_ACCESS_KEY_ID: LOCAL_SQS_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_SQS_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
    }),
    async stop() {
      await server?.stop();
      server = undefined;
    },
    async start() {
      server ??= await startLocalSqs({ dataDir, port });
    },
  };
}

/** A queue and a folder lake with its catalog in the test's database, as a consumer sees them. */
export interface StreamSetup {
  config: Config;
  lake: LakeStore;
  queue: EventQueue;
  /** The variables a consumer process needs for the same queue, lake and database. */
  env: Record<string, string>;
  close(): void;
}

export async function streamSetup(
  db: TestDatabase,
  sqs: TestSqs,
  queueName: string,
  env: Record<string, string> = {},
): Promise<StreamSetup> {
  const all = {
    ...sqs.env(queueName),
    LAKE_URI: tempDir('lake-'),
    LAKE_TMP_DIR: tempDir('lake-tmp-'),
    LAKE_MEMORY_MB: '256',
    LAKE_THREADS: '2',
    ...env,
  };
  const config = lakeConfig(db, all);
  const lake = openLake(config);
  // One attempt: a test of "the queue is down" should not wait for the SDK's retries.
  const queue = new EventQueue(config.stream, { maxAttempts: 1 });
  await queue.ensure();
  return {
    config,
    lake,
    queue,
    env: { ...all, LAKE_URI: lakeRoot(config) },
    close() {
      queue.close();
      lake.close();
    },
  };
}

/** A test file's database and queue server, and a queue and lake of its own for each test. */
export interface StreamTestFile {
  db: TestDatabase;
  sqs: TestSqs;
  /** A queue named <prefix>-<n>, created with the file's settings and these, and a lake of its own. */
  newSetup(env?: Record<string, string>, on?: TestSqs): Promise<StreamSetup & { name: string }>;
}

/**
 * Registers the file's hooks: the database and the server made before its tests; after each
 * test, `afterEachTest` (to stop what it started), its setups closed and the catalog emptied.
 */
export function streamTestFile(
  prefix: string,
  defaults: Record<string, string>,
  afterEachTest: () => void = () => undefined,
): StreamTestFile {
  const setups: StreamSetup[] = [];
  let queues = 0;
  const file = {
    newSetup: async (env: Record<string, string> = {}, on?: TestSqs) => {
      const name = `${prefix}-${++queues}`;
      const setup = await streamSetup(file.db, on ?? file.sqs, name, { ...defaults, ...env });
      setups.push(setup);
      return { ...setup, name };
    },
  } as StreamTestFile;
  beforeAll(async () => {
    [file.db, file.sqs] = await Promise.all([createTestDatabase(), startTestSqs()]);
  });
  afterEach(async () => {
    afterEachTest();
    for (const setup of setups.splice(0)) setup.close();
    await file.db.pool.query('TRUNCATE lake_files, lake_ingests, lake_compactions, stream_flushes CASCADE');
  });
  afterAll(async () => {
    await file.sqs.stop();
    await file.db.drop();
  });
  return file;
}

export function lakeRoot(config: Config): string {
  const location = config.lake.location;
  if (location.kind !== 'folder') throw new Error('a folder lake was expected');
  return location.root;
}

/** Events of one type, created in the last minutes, their ids `<prefix>-<n>`: the bodies as sent. */
export function eventBodies(prefix: string, count: number, type = 'page_view'): { ids: string[]; bodies: string[] } {
  const now = Date.now();
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  return { ids, bodies: ids.map((id, i) => eventText(id, type, now - i * 10, { n: i, user_id: `u-${i % 7}` })) };
}

/** Sends the bodies in batches of 10, every entry accepted. */
export async function sendAll(queue: EventQueue, bodies: readonly string[]): Promise<void> {
  const batches: string[][] = [];
  for (let i = 0; i < bodies.length; i += 10) batches.push(bodies.slice(i, i + 10));
  for (let i = 0; i < batches.length; i += 8) {
    const failed = (await Promise.all(batches.slice(i, i + 8).map((batch) => queue.sendBatch(batch)))).flat();
    if (failed.length > 0) throw new Error(`the queue refused ${failed.length} entries: ${JSON.stringify(failed[0])}`);
  }
}

/** The events the lake holds, one per row, sorted by id: read from the live files of the catalog. */
export async function lakeEvents(db: TestDatabase, setup: StreamSetup): Promise<StoredEvent[]> {
  return readLakeFiles(setup.config, setup.lake, await livePaths(db.pool));
}

/** The ids of the events the lake holds, once per row (a duplicate would show twice), sorted. */
export async function lakeIds(db: TestDatabase, setup: StreamSetup): Promise<string[]> {
  return (await lakeEvents(db, setup)).map((event) => event.id);
}

export interface QuarantineRow {
  reason: string;
  raw: Buffer;
}

/** The lake's quarantine, from the catalog's live quarantine files. */
export async function quarantine(db: TestDatabase, setup: StreamSetup): Promise<QuarantineRow[]> {
  const { rows } = await db.pool.query<{ path: string }>(
    "SELECT path FROM lake_files WHERE content = 'quarantine' AND removed_at IS NULL ORDER BY path",
  );
  if (rows.length === 0) return [];
  const files = rows.map((row) => path.join(lakeRoot(setup.config), row.path));
  const read = await readParquet<{ reason: string; raw: { bytes: Uint8Array } }>(files, 'reason, raw');
  return read.map((row) => ({ reason: row.reason, raw: Buffer.from(row.raw.bytes) }));
}

/** What the queue still holds: waiting plus in flight. */
export async function pending(queue: EventQueue): Promise<number> {
  const depth = await queue.depth();
  return depth.visible + depth.inFlight;
}

/**
 * An HTTP proxy in front of the server that can hold every DeleteMessageBatch call unanswered,
 * and says when the first one came: a consumer behind it is then between its commit and its
 * delete, where a test kills it.
 */
export interface SqsProxy {
  endpoint: string;
  /** Holds the deletes from now on; resolves when the first one is held. */
  holdDeletes(): Promise<void>;
  close(): Promise<void>;
}

export async function startSqsProxy(target: string): Promise<SqsProxy> {
  const held: http.ServerResponse[] = [];
  let holding: (() => void) | undefined;
  const server = http.createServer((req, res) => {
    const action = String(req.headers['x-amz-target'] ?? '');
    if (holding !== undefined && action.endsWith('.DeleteMessageBatch')) {
      held.push(res);
      req.resume();
      holding();
      return;
    }
    const upstream = http.request(
      new URL(req.url ?? '/', target),
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    holdDeletes: () => new Promise<void>((resolve) => (holding = resolve)),
    async close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
