import type { GeneratedLine } from './generateEvents';

/**
 * What a later ingest or KPI job must find, counted as the lines are made: the events (first
 * deliveries only) per type, and per type and UTC day of created_at their number and their
 * distinct user_ids. An independent reference: it counts what was generated, not what a reader
 * of the files makes of them.
 */

const DAY_MS = 86_400_000;

/**
 * The distinct users of one (type, day), in at most about users / 8 bytes: a Set of pool places
 * while it is small, one bit per user of the pool once a bitset would be smaller than the Set
 * (a Set costs some 16 bytes an entry, so from users / 128 entries on).
 */
class DistinctUsers {
  private small: Set<number> | undefined = new Set();
  private bits: Uint8Array | undefined;
  count = 0;

  constructor(private readonly poolSize: number) {}

  add(user: number): void {
    if (this.bits !== undefined) {
      const mask = 1 << (user & 7);
      if ((this.bits[user >>> 3]! & mask) === 0) {
        this.bits[user >>> 3]! |= mask;
        this.count += 1;
      }
      return;
    }
    const small = this.small!;
    if (small.has(user)) return;
    small.add(user);
    this.count += 1;
    if (small.size > this.poolSize / 128) {
      this.bits = new Uint8Array(Math.ceil(this.poolSize / 8));
      for (const known of small) this.bits[known >>> 3]! |= 1 << (known & 7);
      this.small = undefined;
    }
  }
}

interface DayCounts {
  events: number;
  users: DistinctUsers;
}

export interface TypeDayCount {
  type: string;
  /** YYYY-MM-DD, the UTC day of created_at. */
  date: string;
  events: number;
  /** 0 for a type without user_id. */
  distinct_user_ids: number;
}

export class EventCounts {
  private readonly byType = new Map<string, { events: number; days: Map<number, DayCounts> }>();
  events = 0;

  constructor(private readonly users: number) {}

  add(line: GeneratedLine): void {
    if (line.kind !== 'event') return;
    this.events += 1;
    let type = this.byType.get(line.type);
    if (type === undefined) {
      type = { events: 0, days: new Map() };
      this.byType.set(line.type, type);
    }
    type.events += 1;
    const day = Math.floor(line.createdAtMs! / DAY_MS);
    let counts = type.days.get(day);
    if (counts === undefined) {
      counts = { events: 0, users: new DistinctUsers(this.users) };
      type.days.set(day, counts);
    }
    counts.events += 1;
    if (line.userIndex !== undefined) counts.users.add(line.userIndex);
  }

  eventsOf(type: string): number {
    return this.byType.get(type)?.events ?? 0;
  }

  /** By type in the order given, then by day. */
  byTypeAndDay(types: readonly string[]): TypeDayCount[] {
    return types.flatMap((type) =>
      [...(this.byType.get(type)?.days ?? new Map<number, DayCounts>())]
        .sort(([a], [b]) => a - b)
        .map(([day, counts]) => ({
          type,
          date: new Date(day * DAY_MS).toISOString().slice(0, 10),
          events: counts.events,
          distinct_user_ids: counts.users.count,
        })),
    );
  }
}
