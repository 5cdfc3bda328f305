import type { Config } from '../lib/config';
import type { Pool, PoolClient } from '../lib/db';
import type { Logger } from '../lib/logger';
import type { LakeStore } from './lakeStore';
import { querySqlFile } from '../lib/sqlFiles';
import type { Partition } from './partitions';

/**
 * The catalog's shared statements (sql/lake/*.sql; the tables are in
 * sql/migrations/0013_lake.sql): which files a partition has, adding files, and the partition
 * locks that make ingests and compactions of one partition take turns.
 */

/** What an ingest or a compaction works with: the catalog's pool, the lake, the settings, a logger. */
export interface LakeContext {
  db: Pool;
  lake: LakeStore;
  config: Config;
  log: Logger;
  /** The workflow run, recorded with what it writes (lake_ingests, lake_compactions). */
  runId?: string;
  signal?: AbortSignal;
}

export interface CatalogFile {
  path: string;
  content: 'events' | 'quarantine';
  partition?: Partition;
  /** The quarantine's date (an events file's date is its partition's). */
  date?: string;
  rows: number;
  bytes: number;
  minCreatedAt?: Date;
  maxCreatedAt?: Date;
  ingestId?: number;
  compactionId?: number;
}

export function partitionKey(partition: Partition): string {
  return `${partition.type}/${partition.date}/${String(partition.hour).padStart(2, '0')}`;
}

/** Waits for the partitions' locks, held until the client's transaction ends. */
export async function lockPartitions(client: PoolClient, partitions: readonly Partition[]): Promise<void> {
  await querySqlFile(client, 'lake/lock_partitions.sql', [partitions.map(partitionKey)]);
}

/** The live events files of these partitions, by path. */
export async function partitionFiles(client: PoolClient, partitions: readonly Partition[]): Promise<string[]> {
  const { rows } = await querySqlFile<{ path: string }>(client, 'lake/partition_files.sql', [
    partitions.map((p) => p.type),
    partitions.map((p) => p.date),
    partitions.map((p) => p.hour),
  ]);
  return rows.map((row) => row.path);
}

/** Adds the files to lake_files, in one statement. */
export async function addFiles(client: PoolClient, files: readonly CatalogFile[]): Promise<void> {
  if (files.length === 0) return;
  const column = <T>(pick: (file: CatalogFile) => T | undefined): (T | null)[] => files.map((f) => pick(f) ?? null);
  await querySqlFile(client, 'lake/add_files.sql', [
    column((f) => f.path),
    column((f) => f.content),
    column((f) => f.partition?.type),
    column((f) => f.partition?.date ?? f.date),
    column((f) => f.partition?.hour),
    column((f) => f.rows),
    column((f) => f.bytes),
    column((f) => f.minCreatedAt),
    column((f) => f.maxCreatedAt),
    column((f) => f.ingestId),
    column((f) => f.compactionId),
  ]);
}
