import { readConfig, type Config } from '../../lib/config';
import type { Pool } from '../../lib/db';
import { DuckDb, literalList } from '../../lake/duckdb';
import { ingestSources } from '../../lake/ingestSources';
import { openLake, type LakeStore } from '../../lake/lakeStore';
import { findSources } from '../../lake/sources';
import type { IngestSummary } from '../../lake/ingest';
import { captureLogger } from './logs';
import { tempDir } from './files';

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
export function eventLine(id: string, type: string, createdAtMs: number, attributes: object = {}): string {
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
