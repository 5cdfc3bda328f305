import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { DuckDb, literalList } from '../../lake/duckdb';
import { ingestSource, type IngestContext, type IngestSummary } from '../../lake/ingest';
import { openLake, type LakeStore } from '../../lake/lakeStore';
import { ingestSources } from '../../lake/ingestSources';
import { findSources } from '../../lake/sources';
import { readConfig, type Config } from '../../lib/config';
import type { Pool } from '../../lib/db';
import type { Logger } from '../../lib/logger';
import type { TestDatabase } from './database';
import { captureLogger } from './logs';
import { tempDir, writeFile } from './files';
import { pgEnvironment } from './server';

/**
 * A lake for a test: events the test makes itself (so it knows what the lake must hold), written
 * as NDJSON files and ingested through the real ingest, and the lake's rows read back by DuckDB
 * straight from the Parquet files.
 */

export interface TestEvent {
  id: string;
  type: string;
  createdAtMs: number;
  attributes: Record<string, unknown>;
}

/** A lake for one test: a folder of its own (or LAKE_URI as given), and its catalog in the test's database. */
export interface TestLake {
  config: Config;
  lake: LakeStore;
  /** Ingests the files or folders, as `npm run lake -- ingest` does; the summaries in order. */
  ingest(...inputs: string[]): Promise<IngestSummary[]>;
  close(): void;
}

export function openTestLake(db: Pool, env: Record<string, string> = {}): TestLake {
  const config = readConfig({
    LAKE_URI: tempDir('lake-'),
    LAKE_TMP_DIR: tempDir('lake-tmp-'),
    LAKE_MEMORY_MB: '256',
    ...env,
  });
  const lake = openLake(config);
  const { logger } = captureLogger();
  return {
    config,
    lake,
    async ingest(...inputs) {
      const sources = await findSources(config, inputs);
      const { summaries, failed } = await ingestSources({ db, lake, config, log: logger }, sources);
      if (failed > 0) throw new Error(`${failed} of ${sources.length} sources failed to ingest`);
      return summaries;
    },
    close: () => lake.close(),
  };
}

/** An event line as the brief shows it. */
export function eventText(id: string, type: string, createdAtMs: number, attributes: object = {}): string {
  return JSON.stringify({ data: { id, type, attributes }, meta: { created_at: createdAtMs, service: 'test' } });
}

/** Rows of Parquet files, read by DuckDB straight from the files (not through the catalog). */
export async function readParquet<T>(files: readonly string[], select = '*'): Promise<T[]> {
  const duck = await DuckDb.open({ memoryLimitMb: 256, threads: 1, spillDir: tempDir('duck-') });
  try {
    const reader = await duck.connection.runAndReadAll(`SELECT ${select} FROM read_parquet(${literalList(files)})`);
    return reader.getRowObjects() as T[];
  } finally {
    duck.close();
  }
}

/** The lake's configuration for a test database, its lake and temporary files in the run's folder. */
export function lakeConfig(db: TestDatabase, env: Record<string, string> = {}): Config {
  return readConfig({
    ...pgEnvironment(db.config),
    LAKE_URI: tempDir('lake-'),
    LAKE_TMP_DIR: tempDir('lake-tmp-'),
    LAKE_MEMORY_MB: '256',
    ...env,
  });
}

let made = 0;

/** `count` events of a type spread over one hour (UTC, 'YYYY-MM-DDTHH'), each with attributes of its own (and `padding` random characters). */
export function makeEvents(type: string, hour: string, count: number, padding = 0): TestEvent[] {
  const start = Date.parse(`${hour}:00:00Z`);
  return Array.from({ length: count }, (_, i) => {
    made += 1;
    return {
      id: randomUUID(),
      type,
      createdAtMs: start + Math.floor(((i + 0.5) * 3_600_000) / count) + (made % 7),
      attributes: {
        user_id: `user-${made % 13}`,
        n: made,
        nested: { tags: ['a', made % 2 === 0 ? 'b' : 'c'], ok: made % 3 === 0 },
        // Random hex: barely compressible, so that a test can make files of a size it chooses.
        ...(padding > 0
          ? {
              padding: randomBytes(Math.ceil(padding / 2))
                .toString('hex')
                .slice(0, padding),
            }
          : {}),
      },
    };
  });
}

export function eventLine(event: TestEvent): string {
  return JSON.stringify({
    data: { id: event.id, type: event.type, attributes: event.attributes },
    meta: { created_at: event.createdAtMs, service: 'test' },
  });
}

/** Writes the lines as one NDJSON file of `folder` and ingests it. */
export async function ingestLines(
  ctx: IngestContext,
  folder: string,
  name: string,
  lines: readonly string[],
): Promise<IngestSummary> {
  const file = writeFile(folder, name, lines);
  const [source] = await findSources(ctx.config, [file]);
  return ingestSource(ctx, source!);
}

export function ingestEvents(
  ctx: IngestContext,
  folder: string,
  name: string,
  events: readonly TestEvent[],
): Promise<IngestSummary> {
  return ingestLines(ctx, folder, name, events.map(eventLine));
}

export function ingestContext(db: Pool, lake: LakeStore, config: Config, log: Logger): IngestContext {
  return { db, lake, config, log };
}

/** An event as the lake holds it, comparable with a TestEvent through asStored. */
export interface StoredEvent {
  id: string;
  createdAtMs: number;
  attributes: unknown;
}

export function asStored(event: TestEvent): StoredEvent {
  return { id: event.id, createdAtMs: event.createdAtMs, attributes: event.attributes };
}

export const byId = (a: { id: string }, b: { id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Reads lake files with a DuckDB of its own: their events (attributes parsed), sorted by id. */
export async function readLakeFiles(
  config: Config,
  lake: LakeStore,
  relativePaths: readonly string[],
): Promise<StoredEvent[]> {
  if (relativePaths.length === 0) return [];
  const work = tempDir('lake-read-');
  const local = await lake.localPaths(relativePaths, work);
  const duck = await DuckDb.open({ memoryLimitMb: 256, threads: 2, spillDir: path.join(work, 'spill') });
  try {
    const reader = await duck.connection.runAndReadAll(
      `SELECT id, epoch_ms(created_at) AS ms, attributes FROM read_parquet(${literalList(local)}, hive_partitioning = false)`,
    );
    return (reader.getRowObjects() as { id: string; ms: bigint; attributes: string }[])
      .map((row) => ({ id: row.id, createdAtMs: Number(row.ms), attributes: JSON.parse(row.attributes) as unknown }))
      .sort(byId);
  } finally {
    duck.close();
  }
}

/** The live events files of the catalog, as a reader plans from it. */
export async function livePaths(db: Pool): Promise<string[]> {
  const { rows } = await db.query<{ path: string }>(
    "SELECT path FROM lake_files WHERE content = 'events' AND removed_at IS NULL ORDER BY path",
  );
  return rows.map((row) => row.path);
}
