import { randomInt } from 'node:crypto';
import type { Config } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import { EventQueue } from '../../lib/queue';
import { ConfigError } from '../../lib/errors';
import { LOG_ENVIRONMENT, QUEUE_ENVIRONMENT, type Usage } from '../../lib/usage';
import { MAX_TYPES } from '../eventTypes';
import type { EventsCommand } from '../main';
import { sendEvents, type SendOptions, type SendTotals } from '../../stream/producer';
import { parseFlags, rate, wholeNumber } from './flags';

/** `npm run events -- send [options]`: generated events onto the queue at a rate. */

const SEE_HELP = 'npm run events -- send --help lists the options';

const HELP: Usage = {
  synopsis: ['npm run events -- send [options]'],
  description: [
    "Sends the generator's events (docs/events-generator.md) to EVENTS_QUEUE_URL at --rate events per second,",
    'created as they are sent, in batches of up to 10, for --events events or --seconds seconds (or until',
    'Ctrl-C), retrying the entries the server failed; malformed, duplicate and late events at their rates.',
    'A line SQS cannot carry (bytes that are no UTF-8, an empty body) is counted, not sent. Ends with one',
    'summary line (docs/stream.md). Exit 0 when every line sendable was accepted, 1 when the queue refused some.',
  ].join('\n'),
  options: [
    ['--rate N', 'events per second, 1 to 1000000 (100)'],
    ['--events N', 'events to send, 1 to 1000000000 (no limit)'],
    ['--seconds N', 'send for this long instead: --rate × N events'],
    ['--burst-every N', 'send each N seconds worth at once, at the start of the N seconds (steady)'],
    ['--types N', `event types, 1 to ${MAX_TYPES} (300)`],
    ['--users N', 'the pool of attributes.user_id (10000)'],
    ['--seed N', '0 to 4294967295 (a new one each run, logged: a restart sends new ids)'],
    ['--malformed RATE', 'malformed lines, per event, 0 to 1 (0.001)'],
    ['--duplicates RATE', 'events sent a second time, per event, 0 to 1 (0.01)'],
    ['--late RATE', 'events created 1 to --late-max-hours hours before they are sent, 0 to 1 (0.02)'],
    ['--late-max-hours N', '1 to 168 (6)'],
    ['--blank RATE', 'messages of only whitespace, per event, 0 to 1 (0)'],
  ],
  environment: [...QUEUE_ENVIRONMENT, ...LOG_ENVIRONMENT],
  examples: [
    'npm run events -- send --rate 2000 --seconds 60',
    'npm run events -- send --events 1000 --malformed 0.05',
  ],
};

const FLAGS = {
  '--rate': wholeNumber(1, 1_000_000),
  '--events': wholeNumber(1, 1_000_000_000),
  '--seconds': wholeNumber(1, 30 * 86400),
  '--burst-every': wholeNumber(1, 3600),
  '--types': wholeNumber(1, MAX_TYPES),
  '--users': wholeNumber(1, 10_000_000),
  '--seed': wholeNumber(0, 2 ** 32 - 1),
  '--malformed': rate,
  '--duplicates': rate,
  '--late': rate,
  '--late-max-hours': wholeNumber(1, 168),
  '--blank': rate,
};

export function parseSendArgs(args: readonly string[]): SendOptions {
  const v = parseFlags(args, FLAGS, SEE_HELP);
  if (v['--events'] !== undefined && v['--seconds'] !== undefined) {
    throw new ConfigError('--events and --seconds: give one of them, or neither to send until stopped');
  }
  const perSecond = v['--rate'] ?? 100;
  const events = v['--events'] ?? (v['--seconds'] === undefined ? undefined : v['--seconds'] * perSecond);
  return {
    rate: perSecond,
    ...(events === undefined ? {} : { events }),
    ...(v['--burst-every'] === undefined ? {} : { burstEverySeconds: v['--burst-every'] }),
    generator: {
      types: v['--types'] ?? 300,
      users: v['--users'] ?? 10_000,
      // A fixed default would resend the same ids after every restart, all dropped as repeats.
      seed: v['--seed'] ?? randomInt(2 ** 32),
      malformed: v['--malformed'] ?? 0.001,
      duplicates: v['--duplicates'] ?? 0.01,
      late: v['--late'] ?? 0.02,
      lateMaxHours: v['--late-max-hours'] ?? 6,
      blank: v['--blank'] ?? 0,
      perType: false,
    },
  };
}

/** The summary's fields, for the last line of send and the producer of npm start. */
export function describeSent(totals: SendTotals): Record<string, string | number> {
  const unsendable = Object.values(totals.unsendable).reduce((sum, n) => sum + n, 0);
  return {
    events: totals.sent.event,
    duplicates: totals.sent.duplicate,
    malformed: totals.sent.malformed,
    blank: totals.sent.blank,
    ...(unsendable > 0 ? { not_sent: unsendable, not_sent_reasons: JSON.stringify(totals.unsendable) } : {}),
    refused: totals.refused,
    ...(totals.refusedReason === undefined ? {} : { error: totals.refusedReason }),
    batches: totals.batches,
    duration_ms: totals.durationMs,
    events_per_s: Math.round((totals.sent.event * 1000) / Math.max(1, totals.durationMs)),
  };
}

async function runSend(args: readonly string[], log: Logger, stop: AbortSignal, config: Config): Promise<number> {
  const options = parseSendArgs(args);
  const queue = new EventQueue(config.stream);
  try {
    log.info('sending events', {
      queue: queue.describe(),
      from: config.stream.origin,
      rate_per_s: options.rate,
      seed: options.generator.seed,
      events: options.events ?? 'until stopped',
    });
    const totals = await sendEvents(queue, { ...options, progressEveryMs: 60_000 }, log, stop);
    const status = totals.refused > 0 ? 'failed' : stop.aborted ? 'stopped' : 'succeeded';
    log.log(status === 'failed' ? 'error' : 'info', 'events sent', { status, ...describeSent(totals) });
    return totals.refused > 0 ? 1 : 0;
  } finally {
    queue.close();
  }
}

export const sendCommand: EventsCommand = { name: 'send', usage: HELP, run: runSend };
