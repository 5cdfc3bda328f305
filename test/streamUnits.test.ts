import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { readConfig } from '../lib/config';
import { ConfigError } from '../lib/errors';
import { EventQueue, MAX_BATCH_BYTES, type ReceivedMessage } from '../lib/queue';
import { parseSendArgs } from '../events/commands/send';
import { messageSource } from '../stream/messageSource';
import { unsendable } from '../stream/producer';
import { judge } from './support/eventRules';
import { tempDir } from './support/files';
import { eventText } from './support/lake';
import { startSilentServer } from './support/silentServer';

/**
 * The parts of events over a queue that need no queue server: messages as the lines of a lake
 * source (stream/messageSource.ts), what the producer will not send (stream/producer.ts), the
 * queue's configuration (lib/config.ts), and the queue client against a server that hangs. Lines are judged by the rules of test/support/eventRules.ts,
 * written from the brief, not by the lake's own validator.
 */

const T0 = Date.UTC(2026, 10, 30, 10);

function message(body: string, index = 0): ReceivedMessage {
  return { id: `m${index}`, receiptHandle: `h${index}`, body, receiveCount: 1, sentAtMs: T0 };
}

async function linesOf(bodies: readonly string[]): Promise<{ lines: string[]; originals: Map<number, string> }> {
  const { source } = messageSource(
    bodies.map((body, i) => message(body, i)),
    'q/c/1',
  );
  const all = await text(await source.open());
  return {
    lines: all.split('\n'),
    originals: new Map(
      [...(source.originals ?? new Map<number, Buffer>())].map(([line, raw]) => [line, raw.toString()]),
    ),
  };
}

describe('messageSource', () => {
  const event = JSON.parse(eventText('e1', 'page_view', T0, { path: '/a', tags: ['x', 'y'] })) as object;

  test('one line per message, in order; a body without line breaks is its line as it is', async () => {
    const bodies = [eventText('a', 'page_view', T0), 'not json', '{"data": 1}', eventText('b', 'page_view', T0)];
    const { lines, originals } = await linesOf(bodies);
    expect(lines).toEqual(bodies);
    expect(originals.size).toBe(0);
  });

  test('a pretty-printed event is one valid line, LF or CRLF; the original bytes are kept', async () => {
    const lf = JSON.stringify(event, null, 2);
    const crlf = lf.replace(/\n/g, '\r\n');
    const { lines, originals } = await linesOf([lf, crlf]);
    expect(lines.length).toBe(2);
    for (const line of lines) {
      expect(judge(Buffer.from(line), { ingestMs: T0 })).toBeUndefined();
      expect(JSON.parse(line)).toEqual(event);
    }
    expect(originals).toEqual(
      new Map([
        [1, lf],
        [2, crlf],
      ]),
    );
  });

  test('a multi-line body that is not JSON, and a blank one, stay not_json instead of splitting or vanishing', async () => {
    const bodies = [
      'one\ntwo',
      'a\r\nb\rc',
      // A raw line break inside a JSON string is no JSON.
      '{"data": {"id": "x\ny"}}',
      ' ',
      '\n',
      ' \t\r\n ',
    ];
    const { lines, originals } = await linesOf(bodies);
    expect(lines.length).toBe(bodies.length);
    for (const line of lines) expect(judge(Buffer.from(line), { ingestMs: T0 })).toBe('not_json');
    expect([...originals.keys()]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...originals.values()]).toEqual(bodies);
  });

  test('bytes are the bodies in UTF-8; each flush is a version of its own', () => {
    const messages = [message('é'), message('😀'), message('abc')];
    const first = messageSource(messages, 'q/c/1');
    const second = messageSource(messages, 'q/c/1');
    expect(first.bytes).toBe(2 + 4 + 3);
    expect(first.source.uri).toBe('sqs://q/c/1');
    expect(first.source.gzip).toBe(false);
    expect(first.source.version).not.toBe(second.source.version);
  });
});

describe('unsendable', () => {
  test('what SQS cannot carry is named; the rest, up to 256 KiB of UTF-8, is sent', () => {
    expect(unsendable(Buffer.from([0x7b, 0xff]))).toBe('invalid_utf8');
    expect(unsendable('')).toBe('empty');
    expect(unsendable('a'.repeat(MAX_BATCH_BYTES))).toBeUndefined();
    expect(unsendable('a'.repeat(MAX_BATCH_BYTES + 1))).toBe('too_large');
    // Two bytes each: the limit is of bytes, not characters.
    expect(unsendable('é'.repeat(MAX_BATCH_BYTES / 2))).toBeUndefined();
    expect(unsendable('é'.repeat(MAX_BATCH_BYTES / 2 + 1))).toBe('too_large');
    for (const bad of ['a\u0000b', '\u0008', '\u001f', '\uFFFE', '\uFFFF', 'lone \uD800 surrogate'])
      expect([bad, unsendable(bad)]).toEqual([bad, 'not_sqs_characters']);
    for (const good of [' ', '\t\n\r', '\u0020\uD7FF\uE000\uFFFD', '😀', eventText('x', 'page_view', T0)])
      expect([good, unsendable(good)]).toEqual([good, undefined]);
  });
});

describe('the seed of events -- send', () => {
  test('none given: a new one each run, so that a restarted producer sends ids the lake has not seen', () => {
    const seeds = new Set(Array.from({ length: 20 }, () => parseSendArgs([]).generator.seed));
    // Twenty draws from 2^32 that repeat one another almost never; a fixed default gives one value.
    expect(seeds.size).toBeGreaterThan(15);
    for (const seed of seeds) expect(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32).toBe(true);
  });

  test('given: that one, so that a run can be repeated', () => {
    expect(parseSendArgs(['--seed', '7']).generator.seed).toBe(7);
  });
});

// Folders where no local server of this checkout runs, whatever npm start does meanwhile.
const noServers = (): Record<string, string> => ({
  EMBEDDED_PG_DIR: tempDir('no-pg-'),
  EMBEDDED_S3_DIR: tempDir('no-s3-'),
  EMBEDDED_SQS_DIR: tempDir('no-sqs-'),
});

describe('readStream (lib/config.ts)', () => {
  test('the defaults: no queue, named events, with the documented flush, poll and queue settings', () => {
    const stream = readConfig(noServers()).stream;
    expect(stream).toEqual({
      queueName: 'events',
      dlqName: 'events-dlq',
      region: 'us-east-1',
      origin: 'nowhere (no EVENTS_QUEUE_URL is set, and no local SQS server of this checkout runs)',
      flushMaxBytes: 16 * 1024 * 1024,
      flushMaxAgeMs: 30_000,
      pollers: 8,
      visibilityTimeoutS: 120,
      maxReceiveCount: 5,
      producerRate: 20,
    });
    expect(() => new EventQueue(stream)).toThrow(ConfigError);
  });

  test('EVENTS_QUEUE_URL names the queue (a trailing slash too); the endpoint and the DLQ name as given', () => {
    const url = 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders_events-1';
    const stream = readConfig({ ...noServers(), EVENTS_QUEUE_URL: url, AWS_REGION: 'eu-west-1' }).stream;
    expect(stream).toMatchObject({
      queueUrl: url,
      queueName: 'orders_events-1',
      dlqName: 'orders_events-1-dlq',
      region: 'eu-west-1',
      origin: 'EVENTS_QUEUE_URL',
    });
    expect(stream.endpoint).toBeUndefined();
    expect(readConfig({ ...noServers(), EVENTS_QUEUE_URL: `${url}/` }).stream.queueName).toBe('orders_events-1');
    const local = readConfig({
      ...noServers(),
      EVENTS_QUEUE_URL: 'http://127.0.0.1:9324/000000000000/ev',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9324',
      EVENTS_DLQ_NAME: 'ev-dead',
      EVENTS_FLUSH_MAX_AGE: '5',
      EVENTS_POLLERS: '4',
    }).stream;
    expect(local).toMatchObject({
      queueName: 'ev',
      dlqName: 'ev-dead',
      endpoint: 'http://127.0.0.1:9324',
      flushMaxAgeMs: 5000,
      pollers: 4,
    });
    // The SQS one wins over the general one.
    expect(
      readConfig({
        ...noServers(),
        AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
        AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:2',
      }).stream.endpoint,
    ).toBe('http://127.0.0.1:2');
  });

  test('the local SQS server of this checkout, when one runs, is the queue and the endpoint', () => {
    const env = noServers();
    // server.json of a live process (this one): what npm start writes.
    writeFileSync(
      path.join(env.EMBEDDED_SQS_DIR!, 'server.json'),
      JSON.stringify({ pid: process.pid, endpoint: 'http://127.0.0.1:54340' }),
    );
    const stream = readConfig(env).stream;
    expect(stream).toMatchObject({
      queueUrl: 'http://127.0.0.1:54340/000000000000/events',
      queueName: 'events',
      endpoint: 'http://127.0.0.1:54340',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    expect(stream.origin).toMatch(/^the queue on the local SQS server of this checkout/);
    // An endpoint set by the user wins over it.
    expect(readConfig({ ...env, AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9' }).stream.endpoint).toBe(
      'http://127.0.0.1:9',
    );
  });

  test('a bad queue name and bad numbers are all reported at once, each by its variable', () => {
    const read = (): unknown =>
      readConfig({
        ...noServers(),
        EVENTS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/bad.name',
        EVENTS_DLQ_NAME: 'x'.repeat(81),
        EVENTS_POLLERS: '0',
        EVENTS_FLUSH_MAX_AGE: 'soon',
      });
    expect(read).toThrow(ConfigError);
    let message = '';
    try {
      read();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(
      `EVENTS_QUEUE_URL: "bad.name" is not an SQS queue name (1 to 80 of A-Z, a-z, 0-9, '-', '_')`,
    );
    expect(message).toContain(`EVENTS_DLQ_NAME: "${'x'.repeat(81)}" is not an SQS queue name`);
    expect(message).toContain('EVENTS_POLLERS="0": expected a whole number from 1 to 64');
    expect(message).toContain('EVENTS_FLUSH_MAX_AGE="soon": expected a whole number of seconds from 1 to 3600');
    expect(() => readConfig({ ...noServers(), EVENTS_QUEUE_URL: 'not a url' })).toThrow(/EVENTS_QUEUE_URL/);
  });
});

describe('EventQueue (lib/queue.ts) against a server that takes the connection and never answers', () => {
  test('a call fails once its connection was silent for the idle timeout, naming the queue', async () => {
    const silent = await startSilentServer();
    const stream = readConfig({
      ...noServers(),
      EVENTS_QUEUE_URL: `${silent.endpoint}/000000000000/ev`,
      AWS_ENDPOINT_URL_SQS: silent.endpoint,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    }).stream;
    const queue = new EventQueue(stream, { maxAttempts: 1, idleTimeoutMs: 1000 });
    try {
      const started = Date.now();
      await expect(queue.depth()).rejects.toThrow(
        /^looking up the queue ev on .*\/000000000000\/ev at http:\/\/127\.0\.0\.1:\d+ failed: .*timed out after 1000 ms of inactivity/,
      );
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      queue.close();
      await silent.close();
    }
  });
});
