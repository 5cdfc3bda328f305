import { setTimeout as sleep } from 'node:timers/promises';
import { ingestSource, type IngestContext, type IngestSummary } from '../lake/ingest';
import type { Source } from '../lake/sources';
import { EventQueue } from '../lib/queue';
import { Consumer, type ConsumerTotals } from '../stream/consumer';
import { captureLogger, type LogEntry } from './support/logs';
import { waitUntil } from './support/processes';
import {
  eventBodies,
  lakeEvents,
  lakeIds,
  pending,
  quarantine,
  sendAll,
  streamTestFile,
  type StreamSetup,
} from './support/sqs';

/**
 * Consumers in this process (stream/consumer.ts) against a real SQS-protocol server (fauxqs, a
 * process of its own) and a real PostgreSQL: poison messages, the dead-letter queue, two
 * consumers on one queue, a batch delete with a failed entry, and a flush slower than the
 * visibility timeout. Every count is checked against the bodies the test sent, in the lake as
 * DuckDB reads it from the catalog's files.
 */

const file = streamTestFile('stream', { EVENTS_FLUSH_MAX_AGE: '1', EVENTS_VISIBILITY_TIMEOUT: '30' });
const newSetup = file.newSetup;

interface Running {
  consumer: Consumer;
  entries: LogEntry[];
  stop(): Promise<ConsumerTotals>;
}

type Ingest = (ctx: IngestContext, source: Source) => Promise<IngestSummary>;

function startConsumer(on: StreamSetup, options: { name?: string; ingest?: Ingest; queue?: EventQueue } = {}): Running {
  const { logger, entries } = captureLogger();
  const consumer = new Consumer({
    config: on.config,
    db: file.db.pool,
    lake: on.lake,
    log: logger,
    queue: options.queue ?? on.queue,
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.ingest === undefined ? {} : { ingest: options.ingest }),
  });
  const stop = new AbortController();
  const done = consumer.run(stop.signal);
  return {
    consumer,
    entries,
    stop: () => {
      stop.abort();
      return done;
    },
  };
}

const sorted = (items: readonly string[]): string[] => [...items].sort();

interface FlushRow {
  consumer: string;
  status: string;
  messages: number;
  events: number;
  duplicates: number;
  quarantined: number;
  delete_failures: number;
}

async function flushes(): Promise<FlushRow[]> {
  const { rows } = await file.db.pool.query<FlushRow>(
    'SELECT consumer, status, messages, events, duplicates, quarantined, delete_failures FROM stream_flushes ORDER BY flush_id',
  );
  return rows;
}

test('poison messages: each non-event is quarantined with its body byte for byte and deleted; a pretty-printed event lands', async () => {
  const on = await newSetup();
  const now = Date.now();
  const pretty = {
    data: { id: 'pretty-1', type: 'page_view', attributes: { path: '/a\nb', n: [1, 2] } },
    meta: { created_at: now },
  };
  const poison: [string, string][] = [
    ['this is not json', 'not_json'],
    ['{"data": 1}', 'missing_field'],
    ['[1, 2, 3]', 'not_object'],
    [`{"data":{"id":"","type":"page_view","attributes":{}},"meta":{"created_at":${now}}}`, 'bad_id'],
    ['first line\nsecond line\r\nthird', 'not_json'],
    ['{"data":\n{"id": "cut"', 'not_json'],
    ['   \n\t  \r\n', 'not_json'],
    [' ', 'not_json'],
  ];
  const good = eventBodies('good', 20);
  const bodies = [
    ...good.bodies.slice(0, 10),
    ...poison.map(([body]) => body),
    JSON.stringify(pretty, null, 2),
    // A pretty-printed event with Windows line ends.
    JSON.stringify({ ...pretty, data: { ...pretty.data, id: 'pretty-2' } }, null, 2).replace(/\n/g, '\r\n'),
    ...good.bodies.slice(10),
  ];
  await sendAll(on.queue, bodies);

  const running = startConsumer(on);
  const expectedIds = sorted([...good.ids, 'pretty-1', 'pretty-2']);
  try {
    await waitUntil(async () => (await lakeIds(file.db, on)).length >= expectedIds.length, 20_000);
    await waitUntil(async () => (await pending(on.queue)) === 0, 10_000);
  } finally {
    await running.stop();
  }

  const ids = await lakeIds(file.db, on);
  expect(ids).toEqual(expectedIds);
  const rows = await quarantine(file.db, on);
  const key = (row: { raw: Buffer; reason: string }): string => `${row.reason}:${row.raw.toString('hex')}`;
  expect(rows.map(key).sort()).toEqual(poison.map(([body, reason]) => key({ raw: Buffer.from(body), reason })).sort());
  // The pretty-printed event as sent, the line break inside its attribute included.
  const stored = (await lakeEvents(file.db, on)).find((event) => event.id === 'pretty-1');
  expect(stored).toEqual({ id: 'pretty-1', createdAtMs: now, attributes: pretty.data.attributes });
  expect((await on.queue.depth()).deadLetters).toBe(0);
});

test('a message that keeps failing goes to the dead-letter queue after maxReceiveCount receives, and not into the lake', async () => {
  const on = await newSetup({ EVENTS_VISIBILITY_TIMEOUT: '1', EVENTS_MAX_RECEIVE_COUNT: '2' });
  const { bodies } = eventBodies('dlq', 5);
  await sendAll(on.queue, bodies);
  let calls = 0;
  const running = startConsumer(on, {
    ingest: () => {
      calls++;
      return Promise.reject(new Error('injected: the lake refuses this flush'));
    },
  });
  let totals: ConsumerTotals;
  try {
    await waitUntil(async () => (await on.queue.depth()).deadLetters === bodies.length, 30_000);
  } finally {
    totals = await running.stop();
  }

  expect(await pending(on.queue)).toBe(0);
  // Received twice (the first time and once more), failed both times.
  expect(calls).toBeGreaterThanOrEqual(2);
  expect(totals.failedFlushes).toBe(calls);
  expect(totals.flushes).toBe(0);
  expect(await lakeIds(file.db, on)).toEqual([]);
  expect((await flushes()).map((row) => row.status)).toEqual(Array(calls).fill('failed'));
  // What the DLQ holds is the bodies as sent.
  const dlq = new EventQueue({ ...on.config.stream, queueName: on.config.stream.dlqName }, { maxAttempts: 1 });
  try {
    const received: string[] = [];
    while (received.length < bodies.length) {
      const messages = await dlq.receive(10, 1);
      if (messages.length === 0) break;
      received.push(...messages.map((message) => message.body));
    }
    expect(sorted(received)).toEqual(sorted(bodies));
  } finally {
    dlq.close();
  }
});

test('two consumers on one queue: every event once, and both flushed', async () => {
  const on = await newSetup();
  const { ids, bodies } = eventBodies('two', 1000);
  const second = new EventQueue(on.config.stream, { maxAttempts: 1 });
  const alpha = startConsumer(on, { name: 'alpha' });
  const beta = startConsumer(on, { name: 'beta', queue: second });
  try {
    await sendAll(on.queue, bodies);
    await waitUntil(async () => (await lakeIds(file.db, on)).length >= ids.length, 30_000);
    await waitUntil(async () => (await pending(on.queue)) === 0, 10_000);
  } finally {
    await Promise.all([alpha.stop(), beta.stop()]);
    second.close();
  }
  const got = await lakeIds(file.db, on);
  expect(got.length).toBe(ids.length);
  expect(got).toEqual(sorted(ids));
  const rows = await flushes();
  expect(new Set(rows.map((row) => row.consumer))).toEqual(new Set(['alpha', 'beta']));
  expect(rows.every((row) => row.status === 'succeeded' && row.delete_failures === 0)).toBe(true);
  // No redelivery: the messages of the flushes are the messages sent, once.
  expect(rows.reduce((sum, row) => sum + row.messages, 0)).toBe(ids.length);
});

/** Makes the first DeleteMessageBatch leave one entry out and report it failed, as SQS does for a stale handle. */
function failOneDelete(queue: EventQueue): { failedHandle: () => string | undefined } {
  let failedHandle: string | undefined;
  type Entries = { Id: string; ReceiptHandle: string }[];
  queue.client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = (args as { input: { Entries?: Entries } }).input;
      if (
        (context as { commandName?: string }).commandName !== 'DeleteMessageBatchCommand' ||
        failedHandle !== undefined
      )
        return next(args);
      const [dropped, ...rest] = input.Entries!;
      failedHandle = dropped!.ReceiptHandle;
      const result = await next({ ...args, input: { ...input, Entries: rest } } as typeof args);
      const output = (result as { output: { Failed?: unknown[] } }).output;
      output.Failed = [
        ...(output.Failed ?? []),
        { Id: dropped!.Id, SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: 'injected by the test' },
      ];
      return result;
    },
    { step: 'initialize', name: 'failOneDeleteEntry' },
  );
  return { failedHandle: () => failedHandle };
}

test('a batch delete with a failed entry: recorded, the message comes back, and the lake holds its event once', async () => {
  const on = await newSetup({ EVENTS_VISIBILITY_TIMEOUT: '3' });
  const { ids, bodies } = eventBodies('del', 20);
  const injected = failOneDelete(on.queue);
  await sendAll(on.queue, bodies);
  const running = startConsumer(on);
  try {
    await waitUntil(async () => (await flushes()).some((row) => row.delete_failures > 0), 20_000);
    // It comes back after the visibility timeout, is flushed again and dropped as a repeat.
    await waitUntil(async () => (await flushes()).some((row) => row.duplicates > 0), 20_000);
    await waitUntil(async () => (await pending(on.queue)) === 0, 10_000);
  } finally {
    await running.stop();
  }
  expect(injected.failedHandle()).toBeDefined();
  const rows = await flushes();
  expect(rows.map((row) => row.delete_failures).reduce((a, b) => a + b, 0)).toBe(1);
  expect(rows.find((row) => row.duplicates > 0)).toMatchObject({ messages: 1, events: 0, duplicates: 1 });
  expect(await lakeIds(file.db, on)).toEqual(sorted(ids));
  const warned = running.entries.filter(
    (entry) => entry.message === 'flush committed and deleted' && entry.delete_failures !== undefined,
  );
  expect(warned.length).toBe(1);
  expect(warned[0]).toMatchObject({ level: 'warn', error: 'ReceiptHandleIsInvalid: injected by the test' });
});

test('a flush slower than the visibility timeout extends it: nothing is redelivered meanwhile, the events land once', async () => {
  const on = await newSetup({ EVENTS_VISIBILITY_TIMEOUT: '2' });
  const { ids, bodies } = eventBodies('slow', 10);
  const DELAY_MS = 5000;
  const sources: string[] = [];
  let delaying = false;
  const slowIngest: Ingest = async (ctx, source) => {
    sources.push(source.uri);
    delaying = true;
    await sleep(DELAY_MS);
    delaying = false;
    return ingestSource(ctx, source);
  };
  const probe = new EventQueue(on.config.stream, { maxAttempts: 1 });
  await sendAll(on.queue, bodies);
  const running = startConsumer(on, { ingest: slowIngest });
  const samples: { visible: number; inFlight: number }[] = [];
  const probed: number[] = [];
  try {
    await waitUntil(() => delaying, 10_000);
    while (delaying) {
      const depth = await on.queue.depth();
      samples.push({ visible: depth.visible, inFlight: depth.inFlight });
      probed.push((await probe.receive(10, 0)).length);
      await sleep(200);
    }
    await waitUntil(async () => (await lakeIds(file.db, on)).length >= ids.length, 10_000);
    // More than a visibility timeout: a message whose delete or extension was lost would be back by now.
    await sleep(2500);
  } finally {
    await running.stop();
    probe.close();
  }
  // The delay spans more than two visibility timeouts.
  expect(samples.length).toBeGreaterThan(10);
  expect(samples.every((sample) => sample.visible === 0 && sample.inFlight === ids.length)).toBe(true);
  expect(probed.every((n) => n === 0)).toBe(true);
  expect(sources.length).toBe(1);
  expect(await flushes()).toEqual([
    expect.objectContaining({ status: 'succeeded', messages: 10, events: 10, duplicates: 0, delete_failures: 0 }),
  ]);
  expect(await lakeIds(file.db, on)).toEqual(sorted(ids));
  expect(await pending(on.queue)).toBe(0);
  expect(running.entries.some((entry) => entry.message === 'visibility extended while the messages are held')).toBe(
    true,
  );
});
