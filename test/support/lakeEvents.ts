import { readConfig, type Config } from '../../lib/config';
import type { Pool } from '../../lib/db';
import { ingestSources } from '../../lake/ingestSources';
import { openLake, type LakeStore } from '../../lake/lakeStore';
import { findSources } from '../../lake/sources';
import type { TestDatabase } from './database';
import { tempDir, writeFile } from './files';
import { captureLogger } from './logs';
import { pgEnvironment } from './server';

/**
 * Events the lake tests write themselves, with what they mean kept beside them in JS, so that
 * a query's or the KPIs' numbers are checked against a count of the lines written, never against
 * the lake's own SQL.
 */

export interface TestEvent {
  id: string;
  type: string;
  createdAtMs: number;
  /** undefined: attributes has no user_id; null: "user_id": null. */
  userId?: string | null;
}

export const TYPES = ['page_view', 'user_login', 'user_created', 'item_liked', 'checkout.done'] as const;

/** A small deterministic generator (mulberry32): the same seed, the same events. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let made = 0;

/**
 * `count` events between fromMs and toMs, of TYPES skewed towards the first ones, from a pool
 * of `users` users; one in eight has no user_id, one in forty "user_id": null.
 */
export function makeEvents(options: {
  seed: number;
  count: number;
  fromMs: number;
  toMs: number;
  users?: number;
}): TestEvent[] {
  const next = random(options.seed);
  const users = options.users ?? 40;
  return Array.from({ length: options.count }, () => {
    made += 1;
    const type = TYPES[Math.min(TYPES.length - 1, Math.floor(next() ** 2 * TYPES.length))]!;
    const createdAtMs = options.fromMs + Math.floor(next() * (options.toMs - options.fromMs));
    const pick = next();
    const userId = pick < 1 / 8 ? undefined : pick < 1 / 8 + 1 / 40 ? null : `user-${Math.floor(next() * users)}`;
    const event: TestEvent = { id: `evt-${options.seed}-${made}`, type, createdAtMs };
    if (userId !== undefined) event.userId = userId;
    return event;
  });
}

export function eventLine(event: TestEvent): string {
  const attributes: Record<string, unknown> = { name: `n${event.id}`, note: 'a "quoted", comma' };
  if (event.userId !== undefined) attributes.user_id = event.userId;
  return JSON.stringify({
    data: { id: event.id, type: event.type, attributes },
    meta: { created_at: event.createdAtMs, service: 'test' },
  });
}

/** Malformed lines, by the quarantine reason each gets. */
export const MALFORMED: readonly { line: string; reason: string }[] = [
  { line: '{"data": ', reason: 'not_json' },
  { line: '[1, 2]', reason: 'not_object' },
  { line: '{"data": {"id": "x1", "attributes": {}}, "meta": {"created_at": 1763596800000}}', reason: 'missing_field' },
  {
    line: '{"data": {"id": "x2", "type": "../x", "attributes": {}}, "meta": {"created_at": 1763596800000}}',
    reason: 'unsafe_type',
  },
];

export interface TestLake {
  config: Config;
  lake: LakeStore;
  db: Pool;
  /** Writes the lines into a new NDJSON file and ingests it; the events in it are then in the lake. */
  ingest(lines: readonly string[]): Promise<void>;
  close(): void;
}

/** A lake at LAKE_URI (a folder of its own unless given) with its catalog in the test database. */
export function testLake(database: TestDatabase, env: Record<string, string> = {}): TestLake {
  const config = readConfig({
    ...pgEnvironment(database.config),
    LAKE_URI: tempDir('lake-'),
    LAKE_TMP_DIR: tempDir('lake-tmp-'),
    LAKE_MEMORY_MB: '256',
    LAKE_THREADS: '2',
    ...env,
  });
  const lake = openLake(config);
  const inbox = tempDir('inbox-');
  let files = 0;
  const { logger } = captureLogger();
  return {
    config,
    lake,
    db: database.pool,
    async ingest(lines) {
      const file = writeFile(inbox, `events-${++files}.ndjson`, lines);
      const { failed } = await ingestSources(
        { db: database.pool, lake, config, log: logger },
        await findSources(config, [file]),
      );
      if (failed > 0) throw new Error(`the ingest of ${file} failed`);
    },
    close: () => lake.close(),
  };
}

/** The events once each, by id (a duplicate line is the same event delivered again). */
export function distinct(events: readonly TestEvent[]): TestEvent[] {
  return [...new Map(events.map((event) => [event.id, event])).values()];
}

export const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
export const hourOf = (ms: number): number => new Date(ms).getUTCHours();
