import type { Config } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import { EventQueue } from '../../lib/queue';
import { querySqlFile } from '../../lib/sqlFiles';
import { DATABASE_ENVIRONMENT, LOG_ENVIRONMENT, QUEUE_ENVIRONMENT, type Usage } from '../../lib/usage';
import { readCatalog } from '../../lake/commands/withCatalog';
import type { EventsCommand } from '../main';
import { parseFlags, wholeNumber } from './flags';

/** `npm run events -- status`: the queue, the recent flushes, and the lake's freshness per type. */

const HELP: Usage = {
  synopsis: ['npm run events -- status [--minutes N]'],
  description: [
    'Prints the queue depth, the messages in flight and in the dead-letter queue, the flushes of the last',
    '--minutes (count, events, quarantined, delete failures, the worst lag), and per event type the newest',
    'event in the lake and how far behind now it is (docs/stream.md). Reads only; creates nothing.',
  ].join('\n'),
  options: [['--minutes N', 'the flushes of the last N minutes, 1 to 10080 (10)']],
  environment: [...QUEUE_ENVIRONMENT, ...DATABASE_ENVIRONMENT, ...LOG_ENVIRONMENT],
  examples: ['npm run events -- status', 'npm run events -- status --minutes 60'],
};

interface FlushRow {
  flushes: string;
  failed: string;
  messages: string;
  events: string;
  quarantined: string;
  delete_failures: string;
  last_committed_at: Date | null;
  max_lag_s: string | null;
}

interface FreshnessRow {
  event_type: string;
  newest_event_at: Date | null;
  last_added_at: Date;
  events: string;
}

const utc = (date: Date | null): string => (date === null ? '-' : date.toISOString().replace('.000Z', 'Z'));

function behind(date: Date | null, nowMs: number): string {
  if (date === null) return '-';
  const seconds = Math.round((nowMs - date.getTime()) / 1000);
  return seconds < 120
    ? `${seconds} s`
    : seconds < 7200
      ? `${Math.round(seconds / 60)} min`
      : `${Math.round(seconds / 3600)} h`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

async function runStatus(args: readonly string[], _log: Logger, stop: AbortSignal, config: Config): Promise<number> {
  const flags = parseFlags(args, { '--minutes': wholeNumber(1, 10_080) }, 'npm run events -- status --help');
  const minutes = flags['--minutes'] ?? 10;
  const queue = new EventQueue(config.stream);
  const out: string[] = [];
  try {
    const depth = await queue.depth();
    out.push(
      `queue ${queue.describe()}: ${depth.visible} waiting, ${depth.inFlight} in flight, ${depth.delayed} delayed; ` +
        `dead-letter queue ${config.stream.dlqName}: ${depth.deadLetters}`,
    );
  } finally {
    queue.close();
  }
  const { flush, types } = await readCatalog(config, _log, stop, async (client) => ({
    flush: (await querySqlFile<FlushRow>(client, 'stream/recent_flushes.sql', [minutes * 60])).rows[0]!,
    types: (await querySqlFile<FreshnessRow>(client, 'stream/lake_freshness.sql')).rows,
  }));
  const lag = flush.max_lag_s === null ? '-' : `${Number(flush.max_lag_s).toFixed(1)} s`;
  out.push(
    `flushes in the last ${minutes} min: ${flush.flushes} (${flush.failed} failed), ${flush.messages} messages, ` +
      `${flush.events} events, ${flush.quarantined} quarantined, ${flush.delete_failures} delete failures; ` +
      `last committed ${utc(flush.last_committed_at)}, worst lag ${lag}`,
  );
  const nowMs = Date.now();
  out.push(
    '',
    types.length === 0
      ? 'the lake has no events yet'
      : table(
          ['type', 'newest event (UTC)', 'behind now', 'last file added (UTC)', 'events'],
          types.map((t) => [
            t.event_type,
            utc(t.newest_event_at),
            behind(t.newest_event_at, nowMs),
            utc(t.last_added_at),
            t.events,
          ]),
        ),
  );
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

export const statusCommand: EventsCommand = { name: 'status', usage: HELP, run: runStatus, logToStderr: true };
