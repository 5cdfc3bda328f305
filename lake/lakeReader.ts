import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../lib/config';
import { ConfigError } from '../lib/errors';
import { DuckDb, duckDbProblem, literalList } from './duckdb';

/**
 * Reading the lake with DuckDB (the query and kpis commands, the event_kpis workflow): a
 * temporary folder under LAKE_TMP_DIR for the downloads of an S3 lake, DuckDB's database and its
 * spill, DuckDB bounded by LAKE_MEMORY_MB and LAKE_THREADS, all gone when the work ends.
 * The views events and quarantine are made over local files only (DuckDB never reads S3).
 */

export interface LakeReader {
  duck: DuckDb;
  /** The temporary folder: downloads go in folders of their own under it. */
  folder: string;
}

export async function withLakeReader<T>(
  config: Config,
  name: string,
  signal: AbortSignal | undefined,
  work: (reader: LakeReader) => Promise<T>,
): Promise<T> {
  const { tempDir, memoryLimitMb, threads } = config.lake;
  await mkdir(tempDir, { recursive: true });
  const folder = await mkdtemp(path.join(tempDir, `lake-${name}-`));
  let duck: DuckDb | undefined;
  // A stop (Ctrl-C, a task's timeout) interrupts the statement DuckDB is running.
  const interrupt = (): void => duck?.connection.interrupt();
  signal?.addEventListener('abort', interrupt, { once: true });
  try {
    // A database file rather than memory: what a reader builds (the KPIs' partial counts) may outgrow the limit.
    duck = await DuckDb.open({
      file: path.join(folder, 'work.duckdb'),
      memoryLimitMb,
      threads,
      spillDir: path.join(folder, 'spill'),
    });
    return await work({ duck, folder });
  } finally {
    signal?.removeEventListener('abort', interrupt);
    duck?.close();
    await rm(folder, { recursive: true, force: true });
  }
}

const PARTITION_FOLDERS = `${path.sep}events${path.sep}type=`;

/**
 * DuckDB reads every key=value folder of a file's path as a partition column, and the first one
 * of a name wins: a folder above the lake's own whose name has a '=' could stand in for type,
 * date or hour.
 */
function checkFoldersAbove(localFiles: readonly string[]): void {
  for (const file of localFiles) {
    const above = file.slice(0, file.lastIndexOf(PARTITION_FOLDERS));
    if (above.includes('=')) {
      throw new ConfigError(
        `${above}: a folder name with '=' above the lake's files, which DuckDB would read as a partition column: ` +
          "move LAKE_URI (or, for an s3:// lake, LAKE_TMP_DIR) to a path without '='",
      );
    }
  }
}

/** Makes a view over files; DuckDB reads their schema now, so a missing or broken file fails here, in one line. */
async function createView(duck: DuckDb, name: string, localFiles: readonly string[]): Promise<void> {
  if (localFiles.length === 0) return duck.run(`${name}_empty`);
  try {
    await duck.run(name, [], { files: literalList(localFiles) });
  } catch (error) {
    throw new Error(`a lake file cannot be read: ${duckDbProblem(error)}`, { cause: error });
  }
}

/** The view events over these local files (paths in the lake's layout), or an empty one with the same columns. */
export async function createEventsView(duck: DuckDb, localFiles: readonly string[]): Promise<void> {
  checkFoldersAbove(localFiles);
  await createView(duck, 'events_view', localFiles);
}

/** The view quarantine over these local files, or an empty one with the same columns. */
export async function createQuarantineView(duck: DuckDb, localFiles: readonly string[]): Promise<void> {
  await createView(duck, 'quarantine_view', localFiles);
}
