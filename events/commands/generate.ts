import { performance } from 'node:perf_hooks';
import { ConfigError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { LOG_ENVIRONMENT, type Usage } from '../../lib/usage';
import { MAX_TYPES } from '../eventTypes';
import { HOUR_MS, type EventOptions } from '../generateEvents';
import type { EventsCommand } from '../main';
import { writeEventFiles, type WriteOptions } from '../writeEventFiles';
import { rate, wholeNumber } from './flags';

/** `npm run events -- generate [options]`: a seeded set of event files and their manifest. */

const SYNOPSIS = ['npm run events -- generate [options]'];
const SEE_HELP = 'npm run events -- generate --help lists the options';
const EARLIEST_CREATED_MS = Date.UTC(2000, 0, 1);
const MAX_HOURS = 168;

const HELP: Usage = {
  synopsis: SYNOPSIS,
  description: [
    'Writes a day (or --hours) of made-up domain events as NDJSON files, one per arrival hour, with',
    'Zipf-skewed types, late events, duplicates, malformed and blank lines, then <out>/manifest.json',
    'with what every file holds and reference counts (docs/events-generator.md). Seeded: the same flags',
    'give the same bytes. Files of an earlier run in --out are replaced; a folder holding anything else',
    'is refused. Bad flags: exit 2.',
  ].join('\n'),
  options: [
    ['--out <folder>', 'where the files and manifest.json go (data/events)'],
    ['--events N', 'valid events, first deliveries, 1 to 1000000000 (100000); the lines below come on top'],
    ['--types N', `event types, 1 to ${MAX_TYPES} (300)`],
    ['--users N', 'the pool of attributes.user_id, 1 to 10000000 (10000)'],
    ['--seed N', '0 to 4294967295 (1)'],
    ['--start <hour>', 'the first arrival hour, YYYY-MM-DDTHH or YYYY-MM-DD, UTC (00:00 of yesterday)'],
    ['--hours N', `arrival hours, 1 to ${MAX_HOURS} (24)`],
    ['--malformed RATE', 'malformed lines, per event, 0 to 1 (0.001)'],
    ['--duplicates RATE', 'events delivered a second time, per event, 0 to 1 (0.01)'],
    ['--late RATE', 'events created 1 to --late-max-hours hours before their arrival hour, 0 to 1 (0.02)'],
    ['--late-max-hours N', `1 to ${MAX_HOURS} (6)`],
    ['--blank RATE', 'blank lines, per event, 0 to 1 (0.0001)'],
    ['--gzip', 'write .ndjson.gz files'],
    ['--per-type', 'one folder per type, raw-event-<type>/, with type_mismatch lines among the malformed'],
    ['--lines-per-file N', 'start a new file of the hour (and type) after N lines (no limit)'],
  ],
  environment: [...LOG_ENVIRONMENT],
  examples: [
    'npm run events -- generate',
    'npm run events -- generate --events 10000 --start 2026-12-01 --seed 7 --gzip --per-type --out /tmp/events',
  ],
};

export interface GenerateArgs {
  events: EventOptions;
  write: Omit<WriteOptions, 'signal'>;
}

/** YYYY-MM-DDTHH or YYYY-MM-DD (the hour 00), UTC, as epoch ms. */
const hour = (flag: string, raw: string): number => {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}))?$/.exec(raw);
  const ms = match === null ? NaN : Date.UTC(+match[1]!, +match[2]! - 1, +match[3]!, +(match[4] ?? 0));
  // Date.UTC rolls 2026-02-30 over into March: only a date that reads back the same is one.
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, raw.length) !== raw) {
    throw new ConfigError(
      `${flag}: expected an hour YYYY-MM-DDTHH or a day YYYY-MM-DD (UTC), got ${JSON.stringify(raw)}`,
    );
  }
  return ms;
};

const folder = (flag: string, raw: string): string => {
  if (raw.trim() === '') throw new ConfigError(`${flag}: expected a folder, got an empty string`);
  return raw;
};

const VALUE_FLAGS = {
  '--out': folder,
  '--events': wholeNumber(1, 1_000_000_000),
  '--types': wholeNumber(1, MAX_TYPES),
  '--users': wholeNumber(1, 10_000_000),
  '--seed': wholeNumber(0, 2 ** 32 - 1),
  '--start': hour,
  '--hours': wholeNumber(1, MAX_HOURS),
  '--malformed': rate,
  '--duplicates': rate,
  '--late': rate,
  '--late-max-hours': wholeNumber(1, MAX_HOURS),
  '--blank': rate,
  '--lines-per-file': wholeNumber(1, Number.MAX_SAFE_INTEGER),
} as const;
const SWITCHES = ['--gzip', '--per-type'] as const;

type ValueFlag = keyof typeof VALUE_FLAGS;
type Values = { [flag in ValueFlag]?: ReturnType<(typeof VALUE_FLAGS)[flag]> };

/** The options of `generate`; `now` decides the default --start (00:00 UTC of the day before). */
export function parseGenerateArgs(args: readonly string[], now: Date = new Date()): GenerateArgs {
  const values: Values = {};
  const switches = new Set<string>();
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if ((SWITCHES as readonly string[]).includes(arg)) {
      if (switches.has(arg)) throw new ConfigError(`${arg} given twice`);
      switches.add(arg);
    } else if (Object.hasOwn(VALUE_FLAGS, arg)) {
      const flag = arg as ValueFlag;
      const raw = args[i + 1];
      if (raw === undefined || raw.startsWith('--')) throw new ConfigError(`${flag} needs a value; ${SEE_HELP}`);
      if (values[flag] !== undefined) throw new ConfigError(`${flag} given twice`);
      (values as Record<string, unknown>)[flag] = VALUE_FLAGS[flag](flag, raw);
      i += 1;
    } else if (arg.startsWith('-')) {
      throw new ConfigError(`unknown option ${arg}; ${SEE_HELP}`);
    } else {
      throw new ConfigError(`unexpected argument ${JSON.stringify(arg)}; ${SEE_HELP}`);
    }
  }
  const lateMaxHours = values['--late-max-hours'] ?? 6;
  const startMs = values['--start'] ?? Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - 1);
  if (startMs - lateMaxHours * HOUR_MS < EARLIEST_CREATED_MS) {
    throw new ConfigError(
      `--start: late events would be created before 2000-01-01, which the validator refuses; start at least --late-max-hours (${lateMaxHours}) hours after it`,
    );
  }
  const linesPerFile = values['--lines-per-file'];
  return {
    events: {
      events: values['--events'] ?? 100_000,
      types: values['--types'] ?? 300,
      users: values['--users'] ?? 10_000,
      seed: values['--seed'] ?? 1,
      startMs,
      hours: values['--hours'] ?? 24,
      malformed: values['--malformed'] ?? 0.001,
      duplicates: values['--duplicates'] ?? 0.01,
      late: values['--late'] ?? 0.02,
      lateMaxHours,
      blank: values['--blank'] ?? 0.0001,
      perType: switches.has('--per-type'),
    },
    write: {
      out: values['--out'] ?? 'data/events',
      gzip: switches.has('--gzip'),
      ...(linesPerFile === undefined ? {} : { linesPerFile }),
    },
  };
}

async function runGenerate(args: readonly string[], logger: Logger, stop: AbortSignal): Promise<number> {
  const { events, write } = parseGenerateArgs(args);
  const start = new Date(events.startMs).toISOString().slice(0, 13);
  logger.info('generating events', {
    out: write.out,
    events: events.events,
    types: events.types,
    seed: events.seed,
    start,
    hours: events.hours,
  });
  const endMs = events.startMs + events.hours * HOUR_MS;
  if (endMs > Date.now() + 24 * HOUR_MS) {
    logger.warn(
      'events are created more than 24 h from now, which a validator run before then refuses as created_at_out_of_range',
      { start, hours: events.hours },
    );
  }
  const started = performance.now();
  const { totals } = await writeEventFiles(events, { ...write, signal: stop });
  const seconds = (performance.now() - started) / 1000;
  logger.info(`events written to ${write.out}, manifest.json last`, {
    status: 'succeeded',
    files: totals.files,
    lines: totals.lines,
    events: totals.events,
    duplicates: totals.duplicates,
    malformed: totals.malformed,
    late: totals.late,
    blank: totals.blank,
    bytes: totals.bytes,
    duration_ms: Math.round(seconds * 1000),
    lines_per_s: Math.round(totals.lines / seconds),
  });
  return 0;
}

export const generateCommand: EventsCommand = { name: 'generate', usage: HELP, run: runGenerate };
