import type { Config } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import { EventQueue } from '../../lib/queue';
import {
  DATABASE_ENVIRONMENT,
  LAKE_ENVIRONMENT,
  LOG_ENVIRONMENT,
  QUEUE_ENVIRONMENT,
  S3_ENVIRONMENT,
  type Usage,
} from '../../lib/usage';
import { openLake } from '../../lake/lakeStore';
import { keepHeapNearLive } from '../../stream/heap';
import { withCatalog } from '../../lake/commands/withCatalog';
import { Consumer } from '../../stream/consumer';
import type { EventsCommand } from '../main';
import { parseFlags } from './flags';

/** `npm run events -- consume`: the queue into the lake until stopped. */

const HELP: Usage = {
  synopsis: ['npm run events -- consume'],
  description: [
    'Long-polls EVENTS_QUEUE_URL (EVENTS_POLLERS calls at once) and lands every event in the lake at LAKE_URI',
    "through the lake's own validation, quarantine and once-per-id rule: a flush at EVENTS_FLUSH_MAX_BYTES or",
    'EVENTS_FLUSH_MAX_AGE, the catalog committed, then the messages deleted (docs/stream.md). Creates the queue',
    'and its dead-letter queue when missing. One line per flush. SIGTERM or Ctrl-C: stops receiving, flushes and',
    'deletes what it holds, exit 0; exit 1 when that last flush failed (its messages come back).',
  ].join('\n'),
  options: [],
  environment: [
    ...QUEUE_ENVIRONMENT,
    ['EVENTS_FLUSH_MAX_BYTES, EVENTS_FLUSH_MAX_AGE', 'flush at this many bytes (16777216) or seconds (30)'],
    ['EVENTS_POLLERS', 'receive calls at once (8)'],
    [
      'EVENTS_VISIBILITY_TIMEOUT, EVENTS_MAX_RECEIVE_COUNT',
      'for a queue it creates: seconds (120), receives before the DLQ (5)',
    ],
    ...LAKE_ENVIRONMENT,
    [
      'LAKE_CACHE_MB',
      "for an S3 lake: MB of copies of its files kept in LAKE_TMP_DIR for the flushes' reads (512; 0: none)",
    ],
    ...DATABASE_ENVIRONMENT,
    ...S3_ENVIRONMENT,
    ...LOG_ENVIRONMENT,
  ],
  examples: ['npm run events -- consume', 'EVENTS_FLUSH_MAX_AGE=5 npm run events -- consume'],
};

async function runConsume(args: readonly string[], log: Logger, stop: AbortSignal, config: Config): Promise<number> {
  parseFlags(args, {}, 'npm run events -- consume --help says what it reads');
  // The buffers are most of what this process allocates (stream/heap.ts).
  keepHeapNearLive();
  const queue = new EventQueue(config.stream);
  const lake = openLake(config, { cache: true });
  try {
    return await withCatalog(config, log, stop, async (db) => {
      const { created } = await queue.ensure();
      if (created.length > 0) log.info('queues created', { queues: created.join(', ') });
      const consumer = new Consumer({ config, db, lake, log, queue });
      const totals = await consumer.run(stop);
      return totals.lastFlushFailed ? 1 : 0;
    });
  } finally {
    lake.close();
    queue.close();
  }
}

export const consumeCommand: EventsCommand = { name: 'consume', usage: HELP, run: runConsume };
