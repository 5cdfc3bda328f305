import { setMaxListeners } from 'node:events';
import os from 'node:os';
import { ingestSource, type IngestContext, type IngestSummary } from '../lake/ingest';
import type { LakeStore } from '../lake/lakeStore';
import type { Source } from '../lake/sources';
import { chunksOf } from '../lib/chunks';
import type { Config } from '../lib/config';
import type { Pool } from '../lib/db';
import { describeError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { pause } from '../lib/pause';
import { BATCH_ENTRIES, type EventQueue, type FailedEntry, type ReceivedMessage } from '../lib/queue';
import { querySqlFile } from '../lib/sqlFiles';
import { messageSource } from './messageSource';

/**
 * A consumer of the events queue (docs/stream.md): pollers long-poll into a buffer; the buffer is
 * flushed to the lake when it holds EVENTS_FLUSH_MAX_BYTES or its oldest message is
 * EVENTS_FLUSH_MAX_AGE old, through the lake's own ingest, and only once the ingest committed are
 * the messages deleted. Pollers go on filling the next buffer during a flush, and wait when it is
 * full. A message held near the end of its visibility timeout (a slow flush) has it extended.
 * Whatever stops the process before a delete, the message comes back and the lake drops it as a
 * repeat of its id: nothing is lost, nothing is twice.
 */

export interface ConsumerOptions {
  config: Config;
  db: Pool;
  lake: LakeStore;
  log: Logger;
  queue: EventQueue;
  /** Recorded with every flush; host-pid by default. */
  name?: string;
  /** The lake's ingest; a test slows it down. */
  ingest?: (ctx: IngestContext, source: Source) => Promise<IngestSummary>;
}

export interface ConsumerTotals {
  flushes: number;
  failedFlushes: number;
  messages: number;
  events: number;
  quarantined: number;
  duplicates: number;
  deleteFailures: number;
  /** The last flush failed: its messages were not deleted, and come back. */
  lastFlushFailed: boolean;
}

interface Held {
  message: ReceivedMessage;
  /** When it was received: the buffer's age is its oldest's, whatever extensions did to the deadline. */
  receivedAtMs: number;
  /** When the queue makes it visible again unless it is extended. */
  deadlineMs: number;
  /**
   * The queue refused to extend it: its handle is stale (it came back and may be with another
   * consumer), so no later extension can work. Flushed all the same; the lake drops a second copy.
   */
  unextendable?: true;
}

const WAIT_S = 20;
const TICK_MS = 250;
const DELETES_AT_ONCE = 4;
const MAX_BACKOFF_MS = 60_000;

async function inGroups<T>(items: readonly T[], size: number, work: (group: T[]) => Promise<void>): Promise<void> {
  const groups = chunksOf(items, size);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let group = groups[next++]; group !== undefined; group = groups[next++]) await work(group);
  };
  await Promise.all(Array.from({ length: Math.min(DELETES_AT_ONCE, groups.length) }, worker));
}

export class Consumer {
  readonly name: string;
  readonly totals: ConsumerTotals = {
    flushes: 0,
    failedFlushes: 0,
    messages: 0,
    events: 0,
    quarantined: 0,
    duplicates: 0,
    deleteFailures: 0,
    lastFlushFailed: false,
  };
  private buffer: Held[] = [];
  private bufferBytes = 0;
  private flushingHeld: Held[] = [];
  private flushing: Promise<void> | undefined;
  private flushSeq = 0;
  private failuresInRow = 0;
  private pauseUntil = 0;
  private extending = false;
  private visibilityMs = 0;
  private readonly ingest: NonNullable<ConsumerOptions['ingest']>;

  constructor(private readonly options: ConsumerOptions) {
    this.name = options.name ?? `${os.hostname()}-${process.pid}`;
    this.ingest = options.ingest ?? ingestSource;
  }

  private get stream(): Config['stream'] {
    return this.options.config.stream;
  }

  /** Consumes until stop fires; then receives no more, flushes what it holds, deletes it, and returns. */
  async run(stop: AbortSignal): Promise<ConsumerTotals> {
    const { log, queue } = this.options;
    this.visibilityMs = (await queue.visibilityTimeout()) * 1000;
    if (this.stream.flushMaxAgeMs * 2 > this.visibilityMs) {
      log.warn("EVENTS_FLUSH_MAX_AGE is more than half the queue's visibility timeout: every flush will extend it", {
        flush_max_age_s: this.stream.flushMaxAgeMs / 1000,
        visibility_timeout_s: this.visibilityMs / 1000,
      });
    }
    log.info('consuming', {
      consumer: this.name,
      queue: queue.describe(),
      pollers: this.stream.pollers,
      flush_max_bytes: this.stream.flushMaxBytes,
      flush_max_age_s: this.stream.flushMaxAgeMs / 1000,
      visibility_timeout_s: this.visibilityMs / 1000,
    });
    // Each poller's receive (and its wait after a failure) listens to stop: with 8 pollers Node
    // warned of a "possible EventTarget memory leak" at its default of 10 listeners.
    setMaxListeners(this.stream.pollers * 2 + 10, stop);
    const ticker = setInterval(() => this.tick(), TICK_MS);
    try {
      await Promise.all(Array.from({ length: this.stream.pollers }, () => this.poll(stop)));
      // A flush that ends may start the next one itself (maybeFlush): wait until none is left.
      while (this.flushing !== undefined || this.buffer.length > 0) {
        if (this.flushing === undefined) this.startFlush();
        await this.flushing;
      }
    } finally {
      clearInterval(ticker);
    }
    log.info('stopped consuming; every message received is in the lake and deleted, or comes back', {
      consumer: this.name,
      status: 'stopped',
      flushes: this.totals.flushes,
      failed_flushes: this.totals.failedFlushes,
      messages: this.totals.messages,
      events: this.totals.events,
      quarantined: this.totals.quarantined,
      duplicates: this.totals.duplicates,
      delete_failures: this.totals.deleteFailures,
    });
    return this.totals;
  }

  private async poll(stop: AbortSignal): Promise<void> {
    let errorsInRow = 0;
    while (!stop.aborted) {
      const now = Date.now();
      if (now < this.pauseUntil) {
        await pause(Math.min(this.pauseUntil - now, 1000), stop);
        continue;
      }
      // The next buffer is full while the last one is still being written: wait for it.
      if (this.bufferBytes >= this.stream.flushMaxBytes && this.flushing !== undefined) {
        await Promise.race([this.flushing, pause(1000, stop)]);
        continue;
      }
      let messages: ReceivedMessage[];
      try {
        messages = await this.options.queue.receive(BATCH_ENTRIES, WAIT_S, stop);
        errorsInRow = 0;
      } catch (error) {
        errorsInRow++;
        const waitMs = Math.min(MAX_BACKOFF_MS, 500 * 2 ** errorsInRow);
        this.options.log.warn('receive failed; trying again', {
          consumer: this.name,
          error: describeError(error),
          retry_in_ms: waitMs,
        });
        await pause(waitMs, stop);
        continue;
      }
      const receivedAtMs = Date.now();
      const deadlineMs = receivedAtMs + this.visibilityMs;
      for (const message of messages) {
        this.buffer.push({ message, receivedAtMs, deadlineMs });
        this.bufferBytes += Buffer.byteLength(message.body);
      }
      this.maybeFlush();
    }
  }

  private tick(): void {
    this.maybeFlush();
    if (!this.extending) {
      this.extending = true;
      this.extendHeld().finally(() => (this.extending = false));
    }
  }

  private maybeFlush(): void {
    if (this.flushing !== undefined || this.buffer.length === 0) return;
    const oldest = this.buffer[0]!.receivedAtMs;
    if (this.bufferBytes >= this.stream.flushMaxBytes || Date.now() - oldest >= this.stream.flushMaxAgeMs) {
      this.startFlush();
    }
  }

  private startFlush(): void {
    const held = this.buffer;
    this.buffer = [];
    this.bufferBytes = 0;
    this.flushingHeld = held;
    this.flushing = this.flush(held).finally(() => {
      this.flushingHeld = [];
      this.flushing = undefined;
      this.maybeFlush();
    });
  }

  /** Extends the messages held that would come back within a third of the timeout, in batches. */
  private async extendHeld(): Promise<void> {
    const now = Date.now();
    // Not the ones refused before: trying them again every tick would take the calls the others need.
    // Each list filtered where it is: copying both first, four times a second, copied ~100,000 entries at 2,000 events/s.
    const soon = [this.flushingHeld, this.buffer].flatMap((held) =>
      held.filter((h) => h.unextendable === undefined && h.deadlineMs - now < this.visibilityMs / 3),
    );
    if (soon.length === 0) return;
    const timeoutS = Math.ceil(this.visibilityMs / 1000);
    let failed = 0;
    await inGroups(soon, BATCH_ENTRIES, async (group) => {
      try {
        const failures = await this.options.queue.extendBatch(
          group.map((h) => h.message),
          timeoutS,
        );
        const lost = new Set(failures.map((f) => f.id));
        failed += lost.size;
        for (const h of group) {
          if (lost.has(h.message.id)) h.unextendable = true;
          else h.deadlineMs = now + this.visibilityMs;
        }
      } catch {
        failed += group.length;
      }
    });
    this.options.log.log(failed > 0 ? 'warn' : 'debug', 'visibility extended while the messages are held', {
      consumer: this.name,
      messages: soon.length,
      failed,
      visibility_timeout_s: timeoutS,
    });
  }

  private async flush(held: Held[]): Promise<void> {
    const { config, db, lake, log } = this.options;
    const startedAt = new Date();
    const flushName = `${this.stream.queueName}/${this.name}/${++this.flushSeq}`;
    const messages = held.map((h) => h.message);
    const { source, bytes } = messageSource(messages, flushName);
    const oldestSentAt = new Date(messages.reduce((min, m) => Math.min(min, m.sentAtMs), Infinity));
    const record = {
      startedAt,
      oldestSentAt,
      messages: messages.length,
      bytes,
    };
    let summary: IngestSummary;
    try {
      // No stop signal: a SIGTERM ends the polling, never a flush.
      summary = await this.ingest({ db, lake, config, log }, source);
    } catch (error) {
      this.failuresInRow++;
      this.totals.failedFlushes++;
      this.totals.lastFlushFailed = true;
      const pauseMs = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.failuresInRow);
      this.pauseUntil = Date.now() + pauseMs;
      log.error('flush failed; its messages were not deleted and come back after their visibility timeout', {
        consumer: this.name,
        flush: flushName,
        status: 'failed',
        messages: messages.length,
        error: describeError(error),
        polling_paused_ms: pauseMs,
      });
      await this.record(record, undefined, error);
      return;
    }
    this.failuresInRow = 0;
    this.totals.lastFlushFailed = false;
    const committedAt = new Date();
    const failures = await this.deleteAll(held);
    this.count(summary, messages.length, failures.length);
    await this.record(record, { summary, committedAt, deleteFailures: failures.length });
    log.log(failures.length > 0 || summary.quarantined > 0 ? 'warn' : 'info', 'flush committed and deleted', {
      consumer: this.name,
      flush: flushName,
      status: summary.status,
      ingest_id: summary.ingestId,
      messages: messages.length,
      events: summary.eventsWritten,
      quarantined: summary.quarantined,
      duplicates: summary.duplicates,
      files: summary.files,
      bytes,
      lag_ms: committedAt.getTime() - oldestSentAt.getTime(),
      duration_ms: committedAt.getTime() - startedAt.getTime(),
      // Where the flush's time went (read, dedupe, lake_dedupe, write, publish, commit), as the lake's ingests log it.
      ...(summary.phasesMs === undefined ? {} : { phases_ms: JSON.stringify(summary.phasesMs) }),
      ...(failures.length > 0
        ? { delete_failures: failures.length, error: `${failures[0]!.code}: ${failures[0]!.message}` }
        : {}),
    });
  }

  private count(summary: IngestSummary, messages: number, deleteFailures: number): void {
    this.totals.flushes++;
    this.totals.messages += messages;
    this.totals.events += summary.eventsWritten;
    this.totals.quarantined += summary.quarantined;
    this.totals.duplicates += summary.duplicates;
    this.totals.deleteFailures += deleteFailures;
  }

  /**
   * Deletes the flushed messages, batch by batch, every entry's result checked; a call that fails
   * (the queue is down) is tried again until the messages would come back anyway. What could not
   * be deleted comes back and is dropped as a repeat.
   */
  private async deleteAll(held: Held[]): Promise<FailedEntry[]> {
    const failed: FailedEntry[] = [];
    await inGroups(held, BATCH_ENTRIES, async (group) => {
      for (let attempt = 1; ; attempt++) {
        try {
          failed.push(...(await this.options.queue.deleteBatch(group.map((h) => h.message))));
          return;
        } catch (error) {
          const deadline = group.reduce((min, h) => Math.min(min, h.deadlineMs), Infinity);
          if (Date.now() + 1000 * attempt >= deadline) {
            const message = describeError(error);
            failed.push(...group.map((h) => ({ id: h.message.id, code: 'unreachable', message })));
            return;
          }
          await pause(1000 * attempt);
        }
      }
    });
    return failed;
  }

  private async record(
    flush: { startedAt: Date; oldestSentAt: Date; messages: number; bytes: number },
    done: { summary: IngestSummary; committedAt: Date; deleteFailures: number } | undefined,
    error?: unknown,
  ): Promise<void> {
    const s = done?.summary;
    await querySqlFile(this.options.db, 'stream/record_flush.sql', [
      this.name,
      this.stream.queueName,
      s?.ingestId ?? null,
      s === undefined ? 'failed' : s.status === 'succeeded' ? 'succeeded' : 'skipped',
      flush.messages,
      flush.bytes,
      s?.eventsWritten ?? 0,
      s?.quarantined ?? 0,
      s?.duplicates ?? 0,
      s?.files ?? 0,
      s?.bytes ?? 0,
      flush.oldestSentAt,
      flush.startedAt,
      done?.committedAt ?? null,
      done?.deleteFailures ?? 0,
      error === undefined ? null : describeError(error),
    ]).catch((cause: unknown) => {
      this.options.log.warn('flush not recorded in stream_flushes (the lake has it)', {
        consumer: this.name,
        error: describeError(cause),
      });
    });
  }
}
