import { performance } from 'node:perf_hooks';
import { readConfig } from '../lib/config';
import { describeError } from '../lib/errors';
import { BATCH_ENTRIES, EventQueue } from '../lib/queue';

/**
 * `node dist/bench/drainQueue.js <messages>`: the raw limit of the queue server in the stream
 * comparison (item 11). EVENTS_POLLERS loops, as many as the consumer's, each a long poll of up to
 * 10 messages and at once a DeleteMessageBatch of them, nothing else: no buffer, no lake. Stops
 * once <messages> are deleted and prints one JSON line: the messages deleted, the deletes that
 * failed, and the milliseconds from the first receive to the last delete.
 */

const WAIT_S = 20;

async function run(args: readonly string[]): Promise<void> {
  const wanted = Number(args[0]);
  if (!Number.isInteger(wanted) || wanted < 1) throw new Error('usage: node dist/bench/drainQueue.js <messages>');
  const config = readConfig(process.env);
  const queue = new EventQueue(config.stream);
  const done = new AbortController();
  let deleted = 0;
  let failed = 0;
  let firstMs: number | undefined;
  let lastMs = 0;
  const poller = async (): Promise<void> => {
    while (!done.signal.aborted) {
      const messages = await queue.receive(BATCH_ENTRIES, WAIT_S, done.signal);
      if (messages.length === 0) continue;
      firstMs ??= performance.now();
      const refused = (await queue.deleteBatch(messages)).length;
      failed += refused;
      deleted += messages.length - refused;
      lastMs = performance.now();
      if (deleted + failed >= wanted) done.abort();
    }
  };
  try {
    await Promise.all(Array.from({ length: config.stream.pollers }, poller));
  } finally {
    queue.close();
  }
  const durationMs = firstMs === undefined ? 0 : lastMs - firstMs;
  process.stdout.write(`${JSON.stringify({ deleted, failed, duration_ms: durationMs })}\n`);
}

if (require.main === module) {
  run(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`drainQueue: ${describeError(error)}\n`);
    process.exitCode = 1;
  });
}
