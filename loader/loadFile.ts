import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse } from 'csv-parse';
import { from as copyFrom } from 'pg-copy-streams';
import { describeError, InputError } from '../lib/errors';
import { isConnectionError, lease, type Pool, type PoolClient } from '../lib/db';
import { querySqlFile } from '../lib/sqlFiles';
import { StagingEncoder, type RecordCounts } from './stagingEncoder';

/**
 * Loads one CSV file into `loans`: the file is streamed through csv-parse and validation into a
 * COPY to a temporary staging table, then merged in one statement. Everything happens in one
 * transaction, so a failure or a kill at any point leaves `loans` as it was.
 */

export interface LoadOptions {
  /** Fail the whole load if any row is rejected. */
  strict: boolean;
  /** Called as the file is read, for a progress bar or progress log lines. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Aborting stops the load and rolls it back. */
  signal?: AbortSignal;
}

export interface LoadSummary extends RecordCounts {
  loadId: number;
  file: string;
  sha256: string;
  asOf: Record<string, string>;
  inserted: number;
  updated: number;
  unchanged: number;
  durationMs: number;
}

/** Longest record accepted; longer means a broken file, and parsing it would cost unbounded memory. */
export const MAX_RECORD_BYTES = 64 * 1024;

const CSV_PROBLEMS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is opened here and never closed',
  CSV_MAX_RECORD_SIZE: `a record longer than ${MAX_RECORD_BYTES} bytes starts here (is this a CSV file with line breaks?)`,
  CSV_INVALID_CLOSING_QUOTE: 'a closing quote is followed by something other than a comma or a line break',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE:
    'a closing quote is followed by something other than a comma or a line break',
};

async function checkReadable(file: string): Promise<number> {
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw new InputError(`${file}: is a directory, not a CSV file`);
    if (info.size === 0) throw new InputError(`${file}: the file is empty; expected a header line and rows`);
    return info.size;
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${file}: no such file`);
    throw new InputError(`${file}: cannot read the file (${describeError(error)})`);
  }
}

/** Passes the file's bytes through, hashing and counting them on the way. */
class FileDigest extends Transform {
  private readonly hash = createHash('sha256');
  bytesRead = 0;

  constructor(private readonly onBytes: (bytesRead: number) => void) {
    super();
  }

  override _transform(
    chunk: Buffer,
    _encoding: BufferEncoding,
    done: (error?: Error | null, data?: Buffer) => void,
  ): void {
    this.hash.update(chunk);
    this.bytesRead += chunk.length;
    this.onBytes(this.bytesRead);
    done(null, chunk);
  }

  hex(): string {
    return this.hash.digest('hex');
  }
}

function explainReadError(file: string, encoder: StagingEncoder, error: unknown): Error {
  if (error instanceof InputError) return error;
  if (error instanceof CsvError) {
    return new InputError(`${file}:${encoder.lastLine + 1}: ${CSV_PROBLEMS[error.code] ?? error.message}`);
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EISDIR' || code === 'ENOENT') {
    return new InputError(`${file}: cannot read the file (${describeError(error)})`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

async function stageFile(
  client: PoolClient,
  file: string,
  totalBytes: number,
  options: LoadOptions,
): Promise<{ encoder: StagingEncoder; sha256: string }> {
  const encoder = new StagingEncoder(file);
  const digest = new FileDigest((bytesRead) => options.onProgress?.(bytesRead, totalBytes));
  const parser = parse({
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    info: true,
    raw: true,
    max_record_size: MAX_RECORD_BYTES,
  });
  await querySqlFile(client, 'loader/create_staging.sql');
  const copy = client.query(copyFrom('COPY loans_staging FROM STDIN'));
  try {
    await pipeline(createReadStream(file), digest, parser, encoder, copy, { signal: options.signal });
  } catch (error) {
    if (options.signal?.aborted === true) {
      throw new Error(`${file}: load interrupted by ${String(options.signal.reason)}; nothing was changed`, {
        cause: error,
      });
    }
    throw explainReadError(file, encoder, error);
  }
  return { encoder, sha256: digest.hex() };
}

export async function loadFile(pool: Pool, file: string, options: LoadOptions): Promise<LoadSummary> {
  const startedAt = new Date();
  try {
    const totalBytes = await checkReadable(file);
    return await loadInOneTransaction(pool, file, totalBytes, options, startedAt);
  } catch (error) {
    await recordFailedLoad(pool, file, options.strict, startedAt, error);
    throw error;
  }
}

async function loadInOneTransaction(
  pool: Pool,
  file: string,
  totalBytes: number,
  options: LoadOptions,
  startedAt: Date,
): Promise<LoadSummary> {
  const leased = await lease(pool);
  const { client } = leased;
  let failed = false;
  try {
    await client.query('BEGIN');
    const started = await querySqlFile<{ load_id: string }>(client, 'loader/start_load.sql', [
      file,
      options.strict,
      startedAt,
    ]);
    const loadId = Number(started.rows[0]!.load_id);
    const { encoder, sha256 } = await stageFile(client, file, totalBytes, options);
    const counts = encoder.counts;
    if (options.strict && counts.rejected > 0) {
      throw new InputError(
        `${file}: --strict and ${counts.rejected} row${counts.rejected > 1 ? 's were' : ' was'} rejected, nothing loaded; ` +
          encoder.firstRejects.join('; ') +
          (counts.rejected > encoder.firstRejects.length ? '; …' : ''),
      );
    }
    await querySqlFile(client, 'loader/save_rejects.sql', [loadId]);
    const merged = await querySqlFile<{ inserted: number; updated: number }>(client, 'loader/merge_loans.sql', [
      loadId,
    ]);
    const { inserted, updated } = merged.rows[0]!;
    const asOf = encoder.header?.asOf ?? {};
    await querySqlFile(client, 'loader/finish_load.sql', [
      loadId,
      sha256,
      JSON.stringify(asOf),
      counts.read,
      counts.loaded,
      counts.rejected,
      counts.blank,
      inserted,
      updated,
    ]);
    await client.query('COMMIT');
    return {
      loadId,
      file,
      sha256,
      asOf,
      ...counts,
      inserted,
      updated,
      unchanged: counts.loaded - inserted - updated,
      durationMs: Date.now() - startedAt.getTime(),
    };
  } catch (error) {
    // After a broken COPY the connection's state is not worth trusting: roll back, then drop it.
    failed = true;
    if (leased.lost || isConnectionError(error)) {
      throw new Error(
        `${file}: lost the connection to PostgreSQL during the load (${describeError(error)}); nothing was changed, load the file again`,
        { cause: error },
      );
    }
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    leased.release(failed);
  }
}

/** Best effort: when the database itself is the problem, the failure is only in the log. */
async function recordFailedLoad(
  pool: Pool,
  file: string,
  strict: boolean,
  startedAt: Date,
  error: unknown,
): Promise<void> {
  await querySqlFile(pool, 'loader/record_failed_load.sql', [file, strict, startedAt, describeError(error)]).catch(
    () => undefined,
  );
}
