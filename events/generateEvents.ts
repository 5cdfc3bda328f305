import { randomFor, uuidV4, type Random } from '../lib/random';
import { attributeWriter, driftAtMs, eventTypeCatalogue, type EventType } from './eventTypes';
import { MalformedLines, type EventObject, type Reason } from './malformedLines';

/**
 * The lines of a seeded set of domain events, one after the other, in the order they arrive
 * (docs/events-generator.md): valid events, with some of them late, some delivered twice, and
 * malformed and blank lines in between. It knows nothing of files: the writer of files and a
 * producer to a queue take the same lines. Memory stays the same whatever the number of events.
 */

export const HOUR_MS = 3_600_000;

export interface EventOptions {
  /** The number of distinct valid events; duplicates, malformed and blank lines come on top. */
  events: number;
  types: number;
  users: number;
  seed: number;
  /** The first arrival hour, at a whole UTC hour. */
  startMs: number;
  hours: number;
  /**
   * Shares of `events`, from 0 to 1, made exact by rounding: that many malformed, duplicate and
   * blank lines on top of the events, spread over the run, and that many of the events late.
   */
  malformed: number;
  duplicates: number;
  late: number;
  blank: number;
  lateMaxHours: number;
  /** Lines go to one folder per type: type_mismatch lines are made too. */
  perType: boolean;
  /**
   * A producer's clock (stream/producer.ts): events on time are created when they are made,
   * late ones in the hours before the clock's, instead of at arrival times spread over the hours.
   */
  clock?: () => number;
}

export interface GeneratedLine {
  /** The line without its newline: a string (UTF-8 once written), raw bytes for invalid_utf8. */
  text: string | Buffer;
  /** event: a first delivery; duplicate: the same bytes as an earlier event line. */
  kind: 'event' | 'duplicate' | 'malformed' | 'blank';
  /** The arrival hour, from 0 (the one of startMs) to hours - 1: lines come in its order. */
  hour: number;
  /** The type of the event, or for a malformed or blank line the type whose folder it goes to. */
  type: string;
  reason?: Reason;
  /** A first delivery created in an hour before its arrival hour. */
  late?: boolean;
  createdAtMs?: number;
  /** Its user's place in the pool (0 to users - 1), for the types that carry a user_id. */
  userIndex?: number;
}

/** Zipf's law over the ranks of the types: weight 1/rank^1.2, so the top 10 of 300 carry about 62%. */
const ZIPF_EXPONENT = 1.2;
const TRACE_ID_SHARE = 0.3;
const BLANKS = ['', '   ', '\r', '\t', ' \t '];
/** A duplicate is one of this many latest events (same file, a few lines later)… */
const RECENT_EVENTS = 64;
/** …or, this often, one of the events of the hours before, kept as a sample of this many per hour. */
const EARLIER_HOUR_SHARE = 0.3;
const SAMPLE_PER_HOUR = 1024;
const EARLIER_HOURS = 3;
const USER_ID_CACHE = 1 << 16;

/** The type of each next event, by rank, with Zipf's weights. */
function typePicker(count: number, random: Random): () => number {
  const cumulative = new Float64Array(count);
  let total = 0;
  for (let rank = 0; rank < count; rank += 1) {
    total += (rank + 1) ** -ZIPF_EXPONENT;
    cumulative[rank] = total;
  }
  return () => {
    const target = random.fraction() * total;
    let low = 0;
    let high = count - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cumulative[middle]! <= target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

/**
 * Exactly `wanted` of the next `among` calls answer true, each set of that size as likely
 * (selection sampling, Knuth's Algorithm S): exact counts in constant memory.
 */
function selection(wanted: number, among: number, random: Random): () => boolean {
  let left = wanted;
  let remaining = among;
  return () => {
    const chosen = left > 0 && random.fraction() * remaining < left;
    remaining -= 1;
    if (chosen) left -= 1;
    return chosen;
  };
}

/**
 * The events of each arrival hour: more by day than by night in UTC (from half the mean at 03:00
 * to one and a half at 15:00), rounded so that they add up to `events`.
 */
export function eventsPerHour(events: number, startMs: number, hours: number): number[] {
  const weights = Array.from({ length: hours }, (_, hour) => {
    const hourOfDay = new Date(startMs + hour * HOUR_MS).getUTCHours();
    return 1 + 0.5 * Math.sin((2 * Math.PI * (hourOfDay - 9)) / 24);
  });
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const exact = weights.map((weight) => (events * weight) / total);
  const counts = exact.map(Math.floor);
  const byRemainder = exact.map((value, hour) => [value - counts[hour]!, hour] as const).sort((a, b) => b[0] - a[0]);
  let short = events - counts.reduce((sum, count) => sum + count, 0);
  for (const [, hour] of byRemainder) {
    if (short === 0) break;
    counts[hour]! += 1;
    short -= 1;
  }
  return counts;
}

/** What a duplicate is a copy of: a bounded sample of the events so far. */
class Redeliveries {
  private readonly recent: GeneratedLine[] = [];
  private recentNext = 0;
  private thisHour: GeneratedLine[] = [];
  private seenThisHour = 0;
  private earlier: GeneratedLine[][] = [];

  constructor(private readonly random: Random) {}

  startHour(): void {
    if (this.thisHour.length > 0) this.earlier = [this.thisHour, ...this.earlier].slice(0, EARLIER_HOURS);
    this.thisHour = [];
    this.seenThisHour = 0;
  }

  remember(line: GeneratedLine): void {
    if (this.recent.length < RECENT_EVENTS) this.recent.push(line);
    else this.recent[this.recentNext] = line;
    this.recentNext = (this.recentNext + 1) % RECENT_EVENTS;
    // Reservoir sampling (Algorithm R): every event of the hour as likely to be kept.
    this.seenThisHour += 1;
    if (this.thisHour.length < SAMPLE_PER_HOUR) this.thisHour.push(line);
    else {
      const at = this.random.below(this.seenThisHour);
      if (at < SAMPLE_PER_HOUR) this.thisHour[at] = line;
    }
  }

  /** An earlier event delivered again in `hour`; called after remember(), so there is one. */
  pick(hour: number): GeneratedLine {
    const fromEarlier = this.earlier.length > 0 && this.random.chance(EARLIER_HOUR_SHARE);
    const pool = fromEarlier ? this.earlier[this.random.below(this.earlier.length)]! : this.recent;
    const original = pool[this.random.below(pool.length)]!;
    return { ...original, kind: 'duplicate', hour, late: false };
  }
}

export function* generateEvents(options: EventOptions): Generator<GeneratedLine> {
  const catalogue = eventTypeCatalogue(options.types);
  const random = randomFor(options.seed, 0);
  const pickType = typePicker(catalogue.length, random);
  const driftsAt = catalogue.map((type) => driftAtMs(type, options.startMs, options.hours) ?? Infinity);
  const share = (rate: number): number => Math.round(options.events * rate);
  const isLate = selection(share(options.late), options.events, random);
  const isDuplicated = selection(share(options.duplicates), options.events, random);
  const isMalformed = selection(share(options.malformed), options.events, random);
  const isBlank = selection(share(options.blank), options.events, random);
  const malformed = new MalformedLines(share(options.malformed), options.events, options.perType);
  const redeliveries = new Redeliveries(random);
  let blanks = 0;

  // Lower places of the pool are busier: the first 10% of users make about 32% of events.
  const userOf = (type: EventType): number | undefined =>
    type.carriesUserId ? Math.floor(random.fraction() ** 2 * options.users) : undefined;
  // A user's id is drawn from a stream of its own (call 1 + its place in the pool), so that the
  // pool takes no memory; the ids last used are kept, one per place modulo USER_ID_CACHE.
  const cachedUsers = new Int32Array(USER_ID_CACHE).fill(-1);
  const cachedUserIds: string[] = [];
  const userIdOf = (user: number): string => {
    const slot = user % USER_ID_CACHE;
    if (cachedUsers[slot] !== user) {
      cachedUsers[slot] = user;
      cachedUserIds[slot] = uuidV4(randomFor(options.seed, 1 + user));
    }
    return cachedUserIds[slot]!;
  };
  const writeAttributes = catalogue.map(attributeWriter);
  // The JSON text of a valid event, written out: JSON.stringify of the event made the generator
  // 30% slower here (143,000 lines/s, 202,000 without). Every name and word in it is checked to
  // need no escape. What is the same for every event of a type is joined once: each piece glued
  // on costs a string of its own.
  const afterId = catalogue.map((type) => `","type":"${type.name}","attributes":`);
  const afterCreatedAt = catalogue.map((type) => `,"service":"${type.service}"`);
  const eventLine = (rank: number, createdAtMs: number, user: number | undefined): string => {
    const type = catalogue[rank]!;
    const drifted = createdAtMs >= driftsAt[rank]!;
    const id = uuidV4(random);
    const attributes = writeAttributes[rank]!(random, user === undefined ? undefined : userIdOf(user), drifted);
    let line = `{"data":{"id":"${id}${afterId[rank]}${attributes}},"meta":{"created_at":${createdAtMs}${afterCreatedAt[rank]}`;
    if (type.sendsVersion) line += drifted ? ',"version":2' : ',"version":1';
    if (random.chance(TRACE_ID_SHARE)) line += `,"trace_id":"${uuidV4(random).replaceAll('-', '')}"`;
    return `${line}}}`;
  };
  const otherTypeThan = (rank: number): string =>
    catalogue.length === 1
      ? eventTypeCatalogue(2)[1]!.name
      : catalogue[(rank + 1 + random.below(catalogue.length - 1)) % catalogue.length]!.name;

  const perHour = eventsPerHour(options.events, options.startMs, options.hours);
  for (let hour = 0; hour < options.hours; hour += 1) {
    const hourStartMs = options.startMs + hour * HOUR_MS;
    const count = perHour[hour]!;
    redeliveries.startHour();
    for (let i = 0; i < count; i += 1) {
      // Arrivals spread evenly over the hour, in order; an event on time was created as it arrived.
      const spreadMs = hourStartMs + Math.floor(((i + random.fraction()) * HOUR_MS) / count);
      const arrivalMs = options.clock?.() ?? spreadMs;
      const arrivalHourMs = arrivalMs - (arrivalMs % HOUR_MS);
      const late = isLate();
      const createdAtMs = late
        ? arrivalHourMs - (1 + random.below(options.lateMaxHours)) * HOUR_MS + random.below(HOUR_MS)
        : arrivalMs;
      const rank = pickType();
      const type = catalogue[rank]!;
      const userIndex = userOf(type);
      const line: GeneratedLine = {
        text: eventLine(rank, createdAtMs, userIndex),
        kind: 'event',
        hour,
        type: type.name,
        late,
        createdAtMs,
        userIndex,
      };
      yield line;
      redeliveries.remember(line);
      if (isDuplicated()) yield redeliveries.pick(hour);
      if (isMalformed()) {
        const baseRank = pickType();
        const context = { random, otherType: otherTypeThan(baseRank), newId: () => uuidV4(random) };
        const base = JSON.parse(eventLine(baseRank, arrivalMs, userOf(catalogue[baseRank]!))) as EventObject;
        const { reason, text } = malformed.make(base, context);
        yield { text, kind: 'malformed', hour, type: catalogue[baseRank]!.name, reason };
      }
      if (isBlank()) {
        yield { text: BLANKS[blanks % BLANKS.length]!, kind: 'blank', hour, type: type.name };
        blanks += 1;
      }
    }
  }
}
