import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readConfig } from '../lib/config';
import { LOCAL_SQS_CREDENTIALS, startLocalSqs } from '../lib/localSqs';
import { EventQueue, type QueueDepth } from '../lib/queue';
import { projectRoot } from '../lib/sqlFiles';
import type { ChildServer } from '../lib/childServer';
import { queryBenchSql } from './benchSql';
import { commandEnv, runDuckdbSql, runLake } from './commands';
import { answerOf, csvRows, freshLake, type Lake } from './compareLake';
import {
  clockTicksPerSecond,
  cpuTicks,
  lastLine,
  measureProcess,
  readStatusBytes,
  startProcess,
  stopProcess,
  tail,
} from './measureProcess';
import { attempt } from './pairs';
import type { BenchDatabase } from './postgres';
import { startQueueTap } from './queueTap';
import type {
  BenchContext,
  CpuShares,
  SendSummary,
  StreamFlushStats,
  StreamRawPart,
  StreamResult,
  StreamStepPart,
  StreamSteadyPart,
} from './results';

/**
 * Item 11, events over a queue (issue 12, "Speed"), on a local SQS server of its own (fauxqs, a
 * process, as under npm start). Every command is a process: `node dist/events/main.js consume`
 * and `node dist/events/main.js send --rate R --seconds S --late 0 --malformed 0` (its 1% of
 * duplicate deliveries kept: the lake must drop them).
 * (a) Steady: the rate for BENCH_STREAM_SECONDS. What the queue accepted is counted by a tap
 *     between producer and server (bench/queueTap.ts), the lake by DuckDB over its files
 *     (bench/sql/stream_reconcile.sql): lost, duplicated, and each event's lag from created_at
 *     to the commit of the flush that wrote it. The consumer's RSS and CPU once a second.
 * (b) Step-up: a new lake, one consumer, the producer at the rate, twice that, … for
 *     BENCH_STREAM_STEP_SECONDS each, until the backlog of the queue grows; then one step halfway
 *     between the last rate kept up and the one missed.
 * (c) The raw limit: messages queued up, then drained by a bare receive+delete loop
 *     (bench/drainQueue.ts) with the consumer's pollers on the same server.
 */

const ACCOUNT = '000000000000';
/** The producer's lines are all events or duplicate deliveries of them: the tap can tell each id. */
const PRODUCER_FLAGS = ['--late', '0', '--malformed', '0'];
/** Quick mode's flush age, so that a smoke test does not wait 30 s for each last flush. */
const QUICK_FLUSH_AGE_S = 2;
/** A step kept up when the producer reached this share of its rate… */
const PRODUCER_SHARE = 0.95;
/** …and the queue held at most this many seconds of sending at its end, and drained after it. */
export const BACKLOG_SECONDS = 5;
const MAX_DRAIN_MS = 600_000;
/**
 * The steady part runs `lake -- compact` at this second of the sending and every COMPACT_EVERY_S
 * after, as the stack's lake_compact workflow does while the consumer streams (LAKE_COMPACT_SCHEDULE,
 * minute 5 of every 10): a flush's once-per-id read grows with the files since the last compaction.
 */
const COMPACT_FIRST_S = 300;
const COMPACT_EVERY_S = 600;

const n = (value: number): string => value.toLocaleString('en-US');

/** The commands' environment for one queue on `endpoint` (the server, or the tap in front of it). */
function streamEnv(
  ctx: BenchContext,
  endpoint: string,
  queueName: string,
  extra: Record<string, string> = {},
  db?: BenchDatabase,
): Record<string, string> {
  return commandEnv(db, {
    AWS_ENDPOINT_URL_SQS: endpoint,
    EVENTS_QUEUE_URL: `${endpoint}/${ACCOUNT}/${queueName}`,
    AWS_ACCESS_KEY_ID: LOCAL_SQS_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_SQS_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
    LOG_FORMAT: 'json',
    ...(ctx.settings.quick ? { EVENTS_FLUSH_MAX_AGE: String(QUICK_FLUSH_AGE_S) } : {}),
    ...extra,
  });
}

const lakeEnv = (lake: Lake): Record<string, string> => ({ LAKE_URI: lake.folder, LAKE_TMP_DIR: lake.temp });

/** The bench's own client of a queue, as the commands given `env` see it. */
function queueOf(env: Record<string, string>): EventQueue {
  return new EventQueue(readConfig(env).stream);
}

const events = (script: string): string => path.join('dist', 'events', script);

interface Consumer {
  child: ChildProcess;
  output: ReturnType<typeof tail>;
}

/** Starts `events -- consume`; resolves once it logs that it consumes (its start-up is no lag of any event). */
async function startConsumer(env: Record<string, string>): Promise<Consumer> {
  const child = startProcess(process.execPath, [events('main.js'), 'consume'], { env, cwd: projectRoot });
  const output = tail();
  child.stdout!.on('data', output.add);
  child.stderr!.on('data', output.add);
  const deadline = Date.now() + 60_000;
  while (!output.text().includes('"message":"consuming"')) {
    checkRunning({ child, output });
    if (Date.now() > deadline)
      throw new Error(`events -- consume did not start within 60 s: ${lastLine(output.text())}`);
    await sleep(100);
  }
  return { child, output };
}

/** Collects the lake_dedupe phase of each flush line of the consumer (JSON logs) into `into`. */
function watchDedupe(consumer: Consumer, into: number[]): void {
  let partial = '';
  consumer.child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.includes('"flush committed and deleted"')) continue;
      const phases = (JSON.parse(line) as { phases_ms?: string }).phases_ms;
      const ms = phases === undefined ? undefined : (JSON.parse(phases) as Record<string, number>).lake_dedupe;
      if (ms !== undefined) into.push(ms);
    }
  });
}

function checkRunning(consumer: Consumer): void {
  if (consumer.child.exitCode !== null || consumer.child.signalCode !== null) {
    const code = consumer.child.exitCode ?? consumer.child.signalCode;
    throw new Error(`events -- consume exited with ${code}: ${lastLine(consumer.output.text())}`);
  }
}

/** The producer's summary line ("events sent"). */
function summaryOf(output: string): SendSummary {
  for (const line of output.split('\n').reverse()) {
    if (!line.includes('"events sent"')) continue;
    const f = JSON.parse(line) as Record<string, number>;
    return {
      events: f.events!,
      duplicates: f.duplicates!,
      refused: f.refused!,
      durationMs: f.duration_ms!,
      eventsPerS: f.events_per_s!,
    };
  }
  throw new Error(`events -- send printed no summary: ${lastLine(output)}`);
}

/** `events -- send …` to its end. */
async function send(
  env: Record<string, string>,
  args: string[],
  onSpawn?: (pid: number) => void,
): Promise<SendSummary> {
  const run = await measureProcess(process.execPath, [events('main.js'), 'send', ...args, ...PRODUCER_FLAGS], {
    env,
    cwd: projectRoot,
    pollMs: 1000,
    ...(onSpawn === undefined ? {} : { onSpawn }),
  });
  return summaryOf(run.stdout);
}

/** `lake -- compact` as a process, as the lake_compact workflow would run it now. */
async function compact(env: Record<string, string>, atSecond: number): Promise<{ atSecond: number; wallMs: number }> {
  const run = await measureProcess(process.execPath, [path.join('dist', 'lake', 'main.js'), 'compact'], {
    env,
    cwd: projectRoot,
    pollMs: 1000,
  });
  return { atSecond, wallMs: run.wallMs };
}

/** CPU time of the processes of a window, from their first sample to their last. */
class CpuWindow {
  private readonly first = new Map<keyof CpuShares, number>();
  private readonly last = new Map<keyof CpuShares, number>();
  private readonly startedMs = Date.now();

  constructor(private readonly ticksPerSecond: number) {}

  sample(name: keyof CpuShares, pid: number | undefined): void {
    const ticks = pid === undefined ? undefined : cpuTicks(pid);
    if (ticks === undefined) return;
    if (!this.first.has(name)) this.first.set(name, ticks);
    this.last.set(name, ticks);
  }

  shares(): CpuShares {
    const seconds = (Date.now() - this.startedMs) / 1000;
    const shares: CpuShares = {};
    for (const [name, first] of this.first) {
      shares[name] = ((this.last.get(name)! - first) / this.ticksPerSecond / seconds) * 100;
    }
    return shares;
  }
}

const held = (depth: QueueDepth): number => depth.visible + depth.inFlight + depth.delayed;

/**
 * Waits until the queue holds nothing, in flight included (all flushed and deleted), as long as
 * it keeps getting emptier: resolves to how long it took, or undefined when it held as much for
 * stallMs, or past maxMs.
 */
async function drained(
  queue: EventQueue,
  consumer: Consumer,
  stallMs: number,
  maxMs = MAX_DRAIN_MS,
): Promise<{ ms?: number; left: QueueDepth }> {
  const started = Date.now();
  let least = Infinity;
  let leastAt = started;
  for (;;) {
    const depth = await queue.depth();
    if (held(depth) === 0) return { ms: Date.now() - started, left: depth };
    checkRunning(consumer);
    if (held(depth) < least) [least, leastAt] = [held(depth), Date.now()];
    if (Date.now() - leastAt > stallMs || Date.now() - started > maxMs) return { left: depth };
    await sleep(500);
  }
}

const describeLeft = (left: QueueDepth, ms: number): string =>
  `the queue still held ${n(left.visible)} messages, ${n(left.inFlight)} in flight, ${Math.round(ms / 1000)} s after the producer's end`;

/** A CSV field: the lake's paths are of the generator's type names, but quoted all the same. */
const csvField = (value: string | number | null): string =>
  value === null ? '' : typeof value === 'number' ? String(value) : `"${value.replace(/"/g, '""')}"`;

function writeCsv(file: string, header: string[], rows: (string | number | null)[][]): void {
  writeFileSync(file, [header.join(','), ...rows.map((row) => row.map(csvField).join(','))].join('\n') + '\n');
}

/** The counts of stream_reconcile.sql: what the tap saw against the lake's live files. */
async function reconcile(db: BenchDatabase, lake: Lake, sentFile: string, workDir: string, part: StreamSteadyPart) {
  const files = (await queryBenchSql<{ path: string; ingest_id: number }>(db.pool, 'stream_event_files.sql')).rows;
  if (files.length === 0) throw new Error('the lake has no event files');
  const filesCsv = path.join(workDir, 'files.csv');
  writeCsv(
    filesCsv,
    ['path', 'ingest_id'],
    files.map((f) => [path.join(lake.folder, f.path), f.ingest_id]),
  );
  const ingests = (
    await queryBenchSql<{ ingest_id: number; finished_at_ms: number; committed_at_ms: number | null }>(
      db.pool,
      'stream_ingests.sql',
    )
  ).rows;
  const ingestsCsv = path.join(workDir, 'ingests.csv');
  writeCsv(
    ingestsCsv,
    ['ingest_id', 'finished_at_ms', 'committed_at_ms'],
    ingests.map((i) => [i.ingest_id, i.finished_at_ms, i.committed_at_ms]),
  );
  const run = await runDuckdbSql(
    'stream_reconcile.sql',
    {
      sent: sentFile,
      files: filesCsv,
      ingests: ingestsCsv,
      events: path.join(lake.folder, 'events', '**', '*.parquet'),
    },
    workDir,
  );
  const row = csvRows(run.stdout)[0] ?? {};
  const count = (name: string): number => {
    const value = Number(row[name]);
    if (row[name] === undefined || row[name] === '' || !Number.isFinite(value)) {
      throw new Error(`stream_reconcile.sql answered no ${name}: ${JSON.stringify(run.stdout.trim())}`);
    }
    return value;
  };
  const maybe = (name: string): number | undefined => (row[name] === '' ? undefined : count(name));
  part.tapLines = count('tap_lines');
  part.tapIds = count('tap_ids');
  part.lakeRows = count('lake_rows');
  part.lakeIds = count('lake_ids');
  part.lost = count('lost');
  part.unsent = count('unsent');
  part.duplicated = part.lakeRows - part.lakeIds;
  part.late = count('late');
  part.lagUnknown = count('lag_unknown');
  part.lagP50Ms = maybe('lag_p50_ms');
  part.lagP99Ms = maybe('lag_p99_ms');
  part.lagMaxMs = maybe('lag_max_ms');
  part.finishedLagP99Ms = maybe('finished_lag_p99_ms');
}

async function flushStats(db: BenchDatabase): Promise<StreamFlushStats> {
  const row = (await queryBenchSql<Record<string, number | null>>(db.pool, 'stream_flush_stats.sql')).rows[0]!;
  const v = (name: string): number => row[name] ?? Number.NaN;
  return {
    flushes: v('flushes'),
    failed: v('failed'),
    messagesMedian: v('messages_median'),
    durationMedianMs: v('duration_median_ms'),
    durationP99Ms: v('duration_p99_ms'),
    durationMaxMs: v('duration_max_ms'),
    lagMedianMs: v('lag_median_ms'),
    lagMaxMs: v('lag_max_ms'),
  };
}

/** Runs the producer to its end, calling `everySecond` once a second meanwhile. */
async function whileSending(
  sending: Promise<SendSummary>,
  everySecond: (second: number) => Promise<void>,
): Promise<SendSummary> {
  let done = false;
  const settled = sending.then(
    () => (done = true),
    () => (done = true),
  );
  const startedMs = Date.now();
  for (let second = 1; !done; second += 1) {
    await Promise.race([settled, sleep(startedMs + second * 1000 - Date.now())]);
    if (!done) await everySecond(second);
  }
  return sending;
}

async function steady(ctx: BenchContext, workDir: string, sqs: ChildServer, part: StreamSteadyPart): Promise<void> {
  const lake = await freshLake(ctx, workDir, 'stream-steady');
  const { db } = lake;
  const queueName = 'bench-steady';
  const env = streamEnv(ctx, sqs.endpoint, queueName, lakeEnv(lake), db);
  const sentFile = path.join(workDir, 'sent.csv');
  const tap = await startQueueTap(sqs.endpoint, sentFile);
  const queue = queueOf(env);
  let consumer: Consumer | undefined;
  let tapOpen = true;
  try {
    await queue.ensure();
    consumer = await startConsumer(env);
    const running = consumer;
    watchDedupe(running, part.dedupeMs);
    const flushAgeMs = readConfig(env).stream.flushMaxAgeMs;
    ctx.progress(`stream steady: ${n(part.rate)} events/s for ${part.seconds} s`);
    const cpu = new CpuWindow(clockTicksPerSecond());
    cpu.sample('consumer', running.child.pid);
    cpu.sample('queueServer', sqs.pid);
    let producer: number | undefined;
    const compactions: Promise<{ atSecond: number; wallMs: number }>[] = [];
    const sending = send(
      streamEnv(ctx, tap.endpoint, queueName),
      ['--rate', String(part.rate), '--seconds', String(part.seconds)],
      (pid) => {
        producer = pid;
        cpu.sample('producer', pid);
      },
    );
    part.sent = await whileSending(sending, async (second) => {
      checkRunning(running);
      const rss = readStatusBytes(running.child.pid!, 'VmRSS');
      if (rss !== undefined) part.rssBytes.push(rss);
      cpu.sample('consumer', running.child.pid);
      cpu.sample('queueServer', sqs.pid);
      cpu.sample('producer', producer);
      if (second >= COMPACT_FIRST_S && (second - COMPACT_FIRST_S) % COMPACT_EVERY_S === 0) {
        compactions.push(compact(env, second));
      }
      if (second % 60 === 0) ctx.progress(`stream steady: ${second}/${part.seconds} s`);
    });
    part.cpu = cpu.shares();
    part.compactions = await Promise.all(compactions);
    const drainStarted = Date.now();
    const atEnd = await queue.depth();
    part.backlogAtEnd = atEnd.visible;
    part.inFlightAtEnd = atEnd.inFlight;
    const drain = await drained(queue, running, flushAgeMs + 60_000);
    part.drainMs = drain.ms;
    part.leftInQueue = held(drain.left);
    part.consumerExit = await stopProcess(running.child, 60_000);
    if (part.consumerExit !== 0) {
      throw new Error(`events -- consume exited with ${part.consumerExit}: ${lastLine(running.output.text())}`);
    }
    await tap.stop();
    tapOpen = false;
    // Counted even when the consumer fell behind: what is left in the queue is not lost, and is said.
    await reconcile(db, lake, sentFile, workDir, part);
    part.lakeQuery = answerOf(
      (
        await runLake(db, lake.folder, lake.temp, [
          'query',
          'SELECT count(*) AS events, count(DISTINCT id) AS distinct_ids FROM events',
          '--format',
          'csv',
        ])
      ).stdout,
      'the lake',
    );
    if (drain.ms === undefined) throw new Error(describeLeft(drain.left, Date.now() - drainStarted));
  } finally {
    if (consumer !== undefined) await stopProcess(consumer.child, 60_000);
    if (tapOpen) await tap.stop();
    queue.close();
    part.flushes = await flushStats(db).catch(() => undefined);
  }
}

async function stepUp(ctx: BenchContext, workDir: string, sqs: ChildServer, part: StreamStepPart): Promise<void> {
  const { streamRate, streamMaxRate, streamStepSeconds: seconds } = ctx.settings;
  const lake = await freshLake(ctx, workDir, 'stream-steps');
  const { db } = lake;
  const env = streamEnv(ctx, sqs.endpoint, 'bench-steps', lakeEnv(lake), db);
  const flushAgeMs = readConfig(env).stream.flushMaxAgeMs;
  const queue = queueOf(env);
  let consumer: Consumer | undefined;
  try {
    await queue.ensure();
    consumer = await startConsumer(env);
    const running = consumer;
    let lastKept: number | undefined;
    let halfway = false;
    for (let rate = streamRate; rate <= streamMaxRate;) {
      const before = await queue.depth();
      const cpu = new CpuWindow(clockTicksPerSecond());
      cpu.sample('consumer', running.child.pid);
      cpu.sample('queueServer', sqs.pid);
      let producer: number | undefined;
      let maxBacklog = before.visible;
      const sending = send(env, ['--rate', String(rate), '--seconds', String(seconds)], (pid) => {
        producer = pid;
        cpu.sample('producer', pid);
      });
      const sent = await whileSending(sending, async () => {
        checkRunning(running);
        maxBacklog = Math.max(maxBacklog, (await queue.depth()).visible);
        cpu.sample('consumer', running.child.pid);
        cpu.sample('queueServer', sqs.pid);
        cpu.sample('producer', producer);
      });
      const end = await queue.depth();
      const shares = cpu.shares();
      // Over the producer's own sending time: its start-up sends nothing.
      const receivedPerS =
        (before.visible + sent.events + sent.duplicates - end.visible) / (Math.max(1, sent.durationMs) / 1000);
      const reached = sent.eventsPerS >= PRODUCER_SHARE * rate;
      const small = end.visible <= BACKLOG_SECONDS * rate;
      const drainStarted = Date.now();
      const drain = await drained(queue, running, flushAgeMs + 60_000);
      const drainMs = drain.ms;
      const why = drainMs === undefined ? describeLeft(drain.left, Date.now() - drainStarted) : '';
      const keptUp = reached && small && drainMs !== undefined;
      const reasons = [
        ...(reached ? [] : [`the producer reached ${n(sent.eventsPerS)} events/s, not ${n(rate)}`]),
        ...(small ? [] : [`${n(end.visible)} messages waiting at the end, more than ${BACKLOG_SECONDS} s of sending`]),
        ...(why === '' ? [] : [why]),
      ];
      const verdict = keptUp ? 'kept up' : reasons.join('; ');
      part.steps.push({
        rate,
        seconds,
        sent,
        maxBacklog,
        endBacklog: end.visible,
        receivedPerS,
        ...(drainMs === undefined ? {} : { drainMs }),
        cpu: shares,
        keptUp,
        producerBound: !reached && small && drainMs !== undefined,
        verdict,
      });
      ctx.progress(
        `stream step-up: ${n(rate)} events/s: sent ${n(sent.eventsPerS)}/s, received ${n(Math.round(receivedPerS))}/s, ` +
          `backlog ${n(end.visible)} at the end (max ${n(maxBacklog)}), consumer CPU ${(shares.consumer ?? NaN).toFixed(0)} %: ${verdict}`,
      );
      if (keptUp) lastKept = rate;
      // Doubling until a rate is missed, then one step halfway back: the rate reported is within
      // a quarter of the limit, not a half.
      if (halfway || (!keptUp && lastKept === undefined)) break;
      if (keptUp) rate *= 2;
      else [rate, halfway] = [Math.round((lastKept! + rate) / 2), true];
    }
  } finally {
    if (consumer !== undefined) await stopProcess(consumer.child, 60_000);
    queue.close();
  }
}

async function rawLimit(ctx: BenchContext, sqs: ChildServer, part: StreamRawPart): Promise<void> {
  const ticksPerSecond = clockTicksPerSecond();
  for (let run = 1; run <= ctx.settings.pairs; run += 1) {
    // A queue per run: the long poll the bare loop gave up on at its end stays with the server,
    // which hands it the first messages of the next preload (10 were missing from a second run).
    const env = streamEnv(ctx, sqs.endpoint, `bench-raw-${run}`);
    const queue = queueOf(env);
    try {
      await queue.ensure();
      // Not timed for the limit: the producer as fast as it goes, no duplicates, so that the queue holds exactly this many.
      const preload = await send(env, ['--rate', '1000000', '--events', String(part.messages), '--duplicates', '0']);
      part.preloads.push(preload);
      const depth = await queue.depth();
      if (depth.visible !== part.messages) {
        throw new Error(`the queue holds ${n(depth.visible)} messages after sending ${n(part.messages)}`);
      }
      const serverBefore = cpuTicks(sqs.pid) ?? 0;
      const drain = await measureProcess(
        process.execPath,
        [path.join('dist', 'bench', 'drainQueue.js'), String(part.messages)],
        { env, cwd: projectRoot },
      );
      const serverTicks = (cpuTicks(sqs.pid) ?? 0) - serverBefore;
      const counts = JSON.parse(lastLine(drain.stdout)) as { deleted: number; failed: number; duration_ms: number };
      if (counts.deleted !== part.messages || counts.failed !== 0) {
        throw new Error(`the bare loop deleted ${n(counts.deleted)} of ${n(part.messages)}, ${counts.failed} failed`);
      }
      part.drains.push({ wallMs: drain.wallMs, peakRssBytes: drain.peakRssBytes });
      part.perSecond.push(counts.deleted / (counts.duration_ms / 1000));
      part.serverCpu.push((serverTicks / ticksPerSecond / (drain.wallMs / 1000)) * 100);
      ctx.progress(
        `stream raw limit: run ${run}/${ctx.settings.pairs}: producer alone ${n(preload.eventsPerS)} events/s; ` +
          `bare receive+delete ${n(Math.round(part.perSecond.at(-1)!))} messages/s`,
      );
    } finally {
      queue.close();
    }
  }
}

export async function compareStream(ctx: BenchContext, workDir: string): Promise<StreamResult> {
  mkdirSync(workDir, { recursive: true });
  const { settings } = ctx;
  // What the consumer reads from the environment the bench gives it.
  const consumerConfig = readConfig(streamEnv(ctx, 'http://127.0.0.1:9', 'bench')).stream;
  const result: StreamResult = {
    flushMaxAgeS: consumerConfig.flushMaxAgeMs / 1000,
    flushMaxBytes: consumerConfig.flushMaxBytes,
    pollers: consumerConfig.pollers,
    steady: {
      rate: settings.streamRate,
      seconds: settings.streamSeconds,
      rssBytes: [],
      cpu: {},
      dedupeMs: [],
      compactions: [],
    },
    steps: { steps: [] },
    raw: {
      messages: settings.streamRawMessages,
      pollers: consumerConfig.pollers,
      preloads: [],
      perSecond: [],
      drains: [],
      serverCpu: [],
    },
  };
  const sqs = await startLocalSqs({ dataDir: path.join(workDir, 'sqs'), port: 0, announce: false });
  try {
    await attempt(ctx, result.steady, 'stream steady', () => steady(ctx, workDir, sqs, result.steady));
    await attempt(ctx, result.steps, 'stream step-up', () => stepUp(ctx, workDir, sqs, result.steps));
    await attempt(ctx, result.raw, 'stream raw limit', () => rawLimit(ctx, sqs, result.raw));
  } finally {
    await sqs.stop();
  }
  return result;
}
