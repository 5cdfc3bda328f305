import type { Config, StreamConfig } from '../lib/config';
import type { Pool } from '../lib/db';
import { describeError } from '../lib/errors';
import { LOCAL_SQS_CREDENTIALS, startLocalSqs } from '../lib/localSqs';
import type { Logger } from '../lib/logger';
import { pause } from '../lib/pause';
import { EventQueue } from '../lib/queue';
import { openLake } from '../lake/lakeStore';
import { describeSent, parseSendArgs } from '../events/commands/send';
import { Consumer } from '../stream/consumer';
import { keepHeapNearLive } from '../stream/heap';
import { sendEvents } from '../stream/producer';

/**
 * The stream of `npm start` (docs/stream.md): the local SQS server (fauxqs) unless
 * AWS_ENDPOINT_URL_SQS names another, the queue and its dead-letter queue, a consumer into the
 * lake and a producer at EVENTS_PRODUCER_RATE, all in this process. stop() ends the producer,
 * then the consumer's last flush, then the server.
 */

export interface RunningStream {
  config: StreamConfig;
  stop(): Promise<void>;
}

const PRODUCER_RETRY_MS = 5000;

async function localQueue(config: Config, log: Logger): Promise<{ stream: StreamConfig; stop(): Promise<void> }> {
  if (config.stream.endpoint !== undefined || config.stream.queueUrl !== undefined) {
    return { stream: config.stream, stop: async () => undefined };
  }
  log.info('starting the local SQS server', { data_dir: config.embeddedSqs.dataDir, port: config.embeddedSqs.port });
  const server = await startLocalSqs({
    dataDir: config.embeddedSqs.dataDir,
    port: config.embeddedSqs.port,
    announce: true,
  });
  const stream: StreamConfig = {
    ...config.stream,
    endpoint: server.endpoint,
    credentials: config.stream.credentials ?? { ...LOCAL_SQS_CREDENTIALS },
    queueUrl: `${server.endpoint}/000000000000/${config.stream.queueName}`,
    origin: 'the local SQS server of npm start',
  };
  return { stream, stop: () => server.stop() };
}

/** Sends until stopped; a failure (the queue is gone) is logged and sending starts again a little later. */
async function produce(queue: EventQueue, rate: number, log: Logger, stop: AbortSignal): Promise<void> {
  while (!stop.aborted) {
    // Parsed each time round: a new seed, so that starting again sends new ids, not repeats.
    const options = { ...parseSendArgs(['--rate', String(rate)]), progressEveryMs: 600_000 };
    try {
      log.info('producer sending', { rate_per_s: rate, seed: options.generator.seed });
      const totals = await sendEvents(queue, options, log, stop);
      log.info('producer stopped', { status: 'stopped', ...describeSent(totals) });
    } catch (error) {
      log.warn('producer failed; starting again', { error: describeError(error), retry_in_ms: PRODUCER_RETRY_MS });
      await pause(PRODUCER_RETRY_MS, stop);
    }
  }
}

export async function startStream(config: Config, db: Pool, log: Logger): Promise<RunningStream> {
  // For the whole of npm start's process: the consumer's buffers are most of what it allocates (stream/heap.ts).
  keepHeapNearLive();
  const local = await localQueue(config, log);
  const queue = new EventQueue(local.stream);
  const lake = openLake(config, { cache: true });
  const consumerStop = new AbortController();
  const producerStop = new AbortController();
  let consuming: Promise<unknown> = Promise.resolve();
  let producing: Promise<void> = Promise.resolve();
  try {
    const { created } = await queue.ensure();
    if (created.length > 0) log.info('queues created', { queues: created.join(', ') });
    const consumer = new Consumer({ config: { ...config, stream: local.stream }, db, lake, log, queue });
    consuming = consumer.run(consumerStop.signal).catch((error: unknown) => {
      log.error('consumer failed; events stay in the queue', { error: describeError(error) });
    });
    if (local.stream.producerRate > 0) producing = produce(queue, local.stream.producerRate, log, producerStop.signal);
  } catch (error) {
    queue.close();
    lake.close();
    await local.stop();
    throw error;
  }
  return {
    config: local.stream,
    async stop() {
      producerStop.abort();
      await producing;
      consumerStop.abort();
      await consuming;
      queue.close();
      lake.close();
      await local.stop();
    },
  };
}
