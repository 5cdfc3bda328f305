import { generateEvents, HOUR_MS, type EventOptions, type GeneratedLine } from '../events/generateEvents';
import type { Logger } from '../lib/logger';
import { pause } from '../lib/pause';
import { BATCH_ENTRIES, MAX_BATCH_BYTES, type EventQueue } from '../lib/queue';

/**
 * The producer of `npm run events -- send` and `npm start` (docs/stream.md, "Producer"): the
 * generator's lines (events/generateEvents.ts) onto the queue at a rate, created as they are sent,
 * in batches of up to 10, several batches in flight. A line SQS cannot carry (bytes that are no
 * UTF-8, characters outside SQS's set, an empty or too large body) is counted, never sent; an
 * entry the server refuses is counted with its reason.
 */

export interface SendOptions {
  /** Events per second, on average. */
  rate: number;
  /** Lines to send (the generator's events; its duplicates and malformed lines come on top); undefined: until stopped. */
  events?: number;
  /** Send each this many seconds' worth at once, at the start of the period: bursts instead of a steady flow. */
  burstEverySeconds?: number;
  generator: Omit<EventOptions, 'events' | 'startMs' | 'hours' | 'clock'>;
  /** How often to log progress (npm start's producer runs for ever). */
  progressEveryMs?: number;
}

export type UnsendableReason = 'invalid_utf8' | 'not_sqs_characters' | 'empty' | 'too_large';

export interface SendTotals {
  /** Sent and accepted by the queue, by the generator's kind of line. */
  sent: { event: number; duplicate: number; malformed: number; blank: number };
  unsendable: Partial<Record<UnsendableReason, number>>;
  refused: number;
  /** The first refusal's reason, for the summary line. */
  refusedReason?: string;
  batches: number;
  durationMs: number;
}

// SQS's characters: #x9 #xA #xD, #x20 to #xD7FF, #xE000 to #xFFFD, #x10000 to #x10FFFF.
const NOT_SQS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const IN_FLIGHT = 8;
const BATCH_WAIT_MS = 20;
// Events per round of the generator when sending until stopped: each round has a seed of its own.
const ROUND_EVENTS = 100_000;

/** Why a line cannot be a message, or undefined when it can. */
export function unsendable(text: string | Buffer): UnsendableReason | undefined {
  if (typeof text !== 'string') return 'invalid_utf8';
  if (text === '') return 'empty';
  if (Buffer.byteLength(text) > MAX_BATCH_BYTES) return 'too_large';
  if (NOT_SQS.test(text)) return 'not_sqs_characters';
  return undefined;
}

function* rounds(options: SendOptions): Generator<GeneratedLine> {
  const total = options.events;
  for (let round = 0; total === undefined || round * ROUND_EVENTS < total; round++) {
    const events = total === undefined ? ROUND_EVENTS : Math.min(ROUND_EVENTS, total - round * ROUND_EVENTS);
    const now = Date.now();
    yield* generateEvents({
      ...options.generator,
      seed: (options.generator.seed + round) >>> 0,
      events,
      startMs: now - (now % HOUR_MS),
      hours: 1,
      clock: Date.now,
    });
  }
}

/** Sends until the generator is done or stop fires; resolves to what was sent. */
export async function sendEvents(
  queue: EventQueue,
  options: SendOptions,
  log: Logger,
  stop?: AbortSignal,
): Promise<SendTotals> {
  const totals: SendTotals = {
    sent: { event: 0, duplicate: 0, malformed: 0, blank: 0 },
    unsendable: {},
    refused: 0,
    batches: 0,
    durationMs: 0,
  };
  const began = Date.now();
  const inFlight = new Set<Promise<void>>();
  let batch: GeneratedLine[] = [];
  let batchBytes = 0;
  let batchStartedAt = 0;
  let events = 0;
  let lastProgress = began;
  // The first batch that failed as a whole (the queue is down): sending stops with its error.
  let failure: unknown;
  const send = (lines: GeneratedLine[]): void => {
    const sending = queue
      .sendBatch(
        lines.map((line) => line.text as string),
        stop,
      )
      .then((failed) => {
        totals.batches++;
        const refused = new Set(failed.map((entry) => Number(entry.id)));
        lines.forEach((line, index) => {
          if (!refused.has(index)) totals.sent[line.kind]++;
        });
        totals.refused += failed.length;
        if (failed.length > 0) totals.refusedReason ??= `${failed[0]!.code}: ${failed[0]!.message}`;
      });
    const tracked = sending
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };
  const period = (options.burstEverySeconds ?? 0) * 1000;
  for (const line of rounds(options)) {
    if (stop?.aborted === true) break;
    const reason = unsendable(line.text);
    if (reason !== undefined) {
      totals.unsendable[reason] = (totals.unsendable[reason] ?? 0) + 1;
      continue;
    }
    const bytes = Buffer.byteLength(line.text as string);
    if (batch.length === BATCH_ENTRIES || batchBytes + bytes > MAX_BATCH_BYTES) {
      send(batch);
      batch = [];
      batchBytes = 0;
    }
    if (line.kind === 'event') {
      events++;
      // When this event is due: steady, or the whole of its period's at the period's start.
      const dueMs = began + (events * 1000) / options.rate;
      const waitMs = (period > 0 ? dueMs - (dueMs % period) : dueMs) - Date.now();
      // A batch goes when full, or before a wait that would hold its first line past BATCH_WAIT_MS.
      if (waitMs > 0 && batch.length > 0 && Date.now() + waitMs - batchStartedAt > BATCH_WAIT_MS) {
        send(batch);
        batch = [];
        batchBytes = 0;
      }
      if (waitMs > 0) await pause(waitMs, stop);
    }
    if (batch.length === 0) batchStartedAt = Date.now();
    batch.push(line);
    batchBytes += bytes;
    while (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
    if (failure !== undefined) break;
    if (options.progressEveryMs !== undefined && Date.now() - lastProgress >= options.progressEveryMs) {
      lastProgress = Date.now();
      log.info('sending', { events: totals.sent.event, rate_per_s: options.rate, refused: totals.refused });
    }
  }
  if (batch.length > 0 && stop?.aborted !== true && failure === undefined) send(batch);
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  totals.durationMs = Date.now() - began;
  return totals;
}
