import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { DigestStream } from '../lib/digestStream';
import { describeError, InputError } from '../lib/errors';
import { isConnectionError, lease, type Pool, type PoolClient } from '../lib/db';
import { projectRoot, querySqlFile } from '../lib/sqlFiles';
import { RejectSpool } from './rejectSpool';
import { RowEncoder, RULES_VERSION, type RecordCounts } from './rowEncoder';

/**
 * Loads one CSV file into `loans`, in one transaction, so a failure or a kill at any point leaves
 * `loans` as it was. The file is streamed through validation (rowEncoder.ts) into one COPY:
 * straight into `loans` when it is empty, else into a temporary staging table that one statement
 * merges. Rejected lines are spooled and copied into load_rejects after. A file that is byte for
 * byte the one last loaded, over a `loans` nobody has written since, is not read again; with
 * ifChanged, a file that is byte for byte what its own last load read is not loaded at all.
 */

export interface LoadOptions {
  /** Fail the whole load if any row is rejected. */
  strict: boolean;
  /** Called as the file is read, for a progress bar or progress log lines. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Aborting stops the load and rolls it back. */
  signal?: AbortSignal;
  /** Read the file even if it and `loans` are unchanged since the last load. */
  force?: boolean;
  /**
   * Load the file only if its size or sha256 differ from its own last successful load (npm start,
   * the Compose loader): a later load of another file is then never reverted by a restart.
   */
  ifChanged?: boolean;
}

export interface LoadSummary extends RecordCounts {
  /** The load's id; for a file skipped by ifChanged, the id of the file's last load. */
  loadId: number;
  file: string;
  sha256: string;
  asOf: Record<string, string>;
  inserted: number;
  updated: number;
  unchanged: number;
  durationMs: number;
  /** Set when the file and loans were unchanged since that load: nothing was read or written. */
  unchangedSinceLoadId?: number;
  /** ifChanged: set when the file is what that load, its last, read: nothing was loaded or recorded. */
  skippedSinceLoadId?: number;
}

interface LoadState {
  loans_empty: boolean;
  loans_version: string;
  last_load_id: string | null;
  last_sha256: string | null;
  last_file_bytes: string | null;
  last_loader_version: string | null;
  last_loans_version: string | null;
  last_as_of: Record<string, string> | null;
  last_rows_read: number | null;
  last_rows_loaded: number | null;
  last_rows_rejected: number | null;
  last_lines_blank: number | null;
  last_read_by_load_id: string | null;
}

async function readableFileSize(file: string): Promise<number> {
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

/** What identifies the content of a file that was read. */
interface Fingerprint {
  sha256: string;
  bytes: number;
}

function explainReadError(file: string, error: unknown): Error {
  if (error instanceof InputError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EISDIR' || code === 'ENOENT') {
    return new InputError(`${file}: cannot read the file (${describeError(error)})`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

function interrupted(file: string, signal: AbortSignal, cause: unknown): Error {
  return new Error(`${file}: load interrupted by ${String(signal.reason)}; nothing was changed`, { cause });
}

/** Runs a pipeline that reads the file, turning read errors into clear messages. */
async function readFile(file: string, options: LoadOptions, stages: [...Transform[], Writable]): Promise<void> {
  try {
    await pipeline([createReadStream(file), ...stages], { signal: options.signal });
  } catch (error) {
    if (options.signal?.aborted === true) throw error;
    throw explainReadError(file, error);
  }
}

async function hashFile(file: string, totalBytes: number, options: LoadOptions): Promise<Fingerprint> {
  const digest = new DigestStream((bytesRead) => options.onProgress?.(bytesRead, totalBytes));
  await readFile(file, options, [digest, new Writable({ write: (_chunk, _encoding, done) => done() })]);
  return { sha256: digest.sha256(), bytes: digest.bytes };
}

/** COPYs the file's valid rows into `target`; its rejects go to the spool. */
async function copyRows(
  client: PoolClient,
  target: 'loans' | 'loans_staging',
  file: string,
  loadId: number,
  rejects: RejectSpool,
  totalBytes: number,
  options: LoadOptions,
): Promise<{ encoder: RowEncoder; read: Fingerprint }> {
  const encoder = new RowEncoder(file, loadId, rejects);
  const digest = new DigestStream((bytesRead) => options.onProgress?.(bytesRead, totalBytes));
  const copy = client.query(
    copyFrom(`COPY ${target} (repayment_date, number_of_loans, defaults, liquidations, load_id) FROM STDIN`),
  );
  await readFile(file, options, [digest, encoder, copy]);
  return { encoder, read: { sha256: digest.sha256(), bytes: digest.bytes } };
}

/**
 * The name loads.file records a file under: relative to the project folder when the file is in
 * it, absolute otherwise. So `data/loans.csv`, `./data/loans.csv` and the same file reached from
 * another folder are one file to ifChanged, and under Compose (the project is /app) too.
 */
export function recordedName(file: string): string {
  const absolute = path.resolve(file);
  const inProject = path.relative(projectRoot, absolute);
  return inProject === '..' || inProject.startsWith(`..${path.sep}`) || path.isAbsolute(inProject)
    ? absolute
    : inProject;
}

export async function loadFile(pool: Pool, file: string, options: LoadOptions): Promise<LoadSummary> {
  const startedAt = new Date();
  try {
    const totalBytes = await readableFileSize(file);
    const skipped =
      options.ifChanged === true ? await unchangedSinceItsLastLoad(pool, file, totalBytes, options) : undefined;
    if (skipped !== undefined) return { ...skipped, durationMs: Date.now() - startedAt.getTime() };
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
  // An abort cancels whatever the load's connection is doing — waiting for the lock, a COPY, a
  // long merge — from another connection, so that it stops now and rolls back.
  const { signal } = options;
  const backendPid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const cancel = (): void => void pool.query('SELECT pg_cancel_backend($1)', [backendPid]).catch(() => undefined);
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    signal?.throwIfAborted();
    await client.query('BEGIN');
    await querySqlFile(client, 'loader/lock_loans.sql');
    const started = await querySqlFile<{ load_id: string }>(client, 'loader/start_load.sql', [
      recordedName(file),
      options.strict,
      startedAt,
    ]);
    const loadId = Number(started.rows[0]!.load_id);
    const state = (await querySqlFile<LoadState>(client, 'loader/load_state.sql', [loadId])).rows[0]!;
    const sameAsLast = await unchangedSinceLastLoad(file, totalBytes, state, options);
    const summary =
      sameAsLast !== undefined
        ? await recordUnchanged(client, file, loadId, sameAsLast, state)
        : await readAndLoad(client, file, loadId, state, totalBytes, options);
    signal?.throwIfAborted();
    await client.query('COMMIT');
    return { ...summary, durationMs: Date.now() - startedAt.getTime() };
  } catch (error) {
    // After a broken COPY the connection's state is not worth trusting: roll back, then drop it.
    failed = true;
    if (signal?.aborted === true && !leased.lost) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw interrupted(file, signal, error);
    }
    if (leased.lost || isConnectionError(error)) {
      throw new Error(
        `${file}: lost the connection to PostgreSQL during the load (${describeError(error)}); nothing was changed, load the file again`,
        { cause: error },
      );
    }
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    signal?.removeEventListener('abort', cancel);
    leased.release(failed);
  }
}

/** ifChanged: what to report when the file has the size and sha256 of its own last successful load. */
async function unchangedSinceItsLastLoad(
  pool: Pool,
  file: string,
  totalBytes: number,
  options: LoadOptions,
): Promise<Omit<LoadSummary, 'durationMs'> | undefined> {
  const last = (
    await querySqlFile<{ load_id: string; sha256: string; file_bytes: string | null }>(
      pool,
      'loader/last_load_of_file.sql',
      [recordedName(file)],
    )
  ).rows[0];
  // Loads before migration 0008 did not record the size: their sha256 decides alone.
  if (last === undefined || (last.file_bytes !== null && last.file_bytes !== String(totalBytes))) return undefined;
  const read = await hashFile(file, totalBytes, options);
  if (read.sha256 !== last.sha256) return undefined;
  const loadId = Number(last.load_id);
  const none = { read: 0, loaded: 0, rejected: 0, blank: 0, inserted: 0, updated: 0, unchanged: 0 };
  return { ...none, loadId, file, sha256: read.sha256, asOf: {}, skippedSinceLoadId: loadId };
}

/**
 * The fingerprint of the file when it is the file of the last successful load, read by the same
 * rules, and loans has not been written since (its version is the one that load left); else
 * undefined.
 */
async function unchangedSinceLastLoad(
  file: string,
  totalBytes: number,
  state: LoadState,
  options: LoadOptions,
): Promise<Fingerprint | undefined> {
  if (options.force === true || state.last_load_id === null) return undefined;
  if (state.last_loader_version !== RULES_VERSION || state.last_loans_version !== state.loans_version) return undefined;
  // --strict must fail where the last load rejected rows.
  if (options.strict && state.last_rows_rejected !== 0) return undefined;
  if (state.last_file_bytes !== String(totalBytes)) return undefined;
  const read = await hashFile(file, totalBytes, options);
  return read.sha256 === state.last_sha256 && String(read.bytes) === state.last_file_bytes ? read : undefined;
}

async function recordUnchanged(
  client: PoolClient,
  file: string,
  loadId: number,
  read: Fingerprint,
  state: LoadState,
): Promise<Omit<LoadSummary, 'durationMs'>> {
  // Its rejects stay under the load that read the file (load_rejects would otherwise grow by a
  // copy of them at every reload); unchanged_since_load_id points there.
  const readBy = Number(state.last_read_by_load_id);
  const counts: RecordCounts = {
    read: state.last_rows_read!,
    loaded: state.last_rows_loaded!,
    rejected: state.last_rows_rejected!,
    blank: state.last_lines_blank!,
  };
  return finishLoad(client, {
    loadId,
    file,
    read,
    asOf: state.last_as_of ?? {},
    counts,
    inserted: 0,
    updated: 0,
    unchangedSinceLoadId: readBy,
  });
}

async function readAndLoad(
  client: PoolClient,
  file: string,
  loadId: number,
  state: LoadState,
  totalBytes: number,
  options: LoadOptions,
): Promise<Omit<LoadSummary, 'durationMs'>> {
  const rejects = new RejectSpool();
  try {
    if (state.loans_empty) await querySqlFile(client, 'loader/begin_bulk_load.sql', [loadId]);
    else await querySqlFile(client, 'loader/create_staging.sql');
    const target = state.loans_empty ? 'loans' : 'loans_staging';
    const { encoder, read } = await copyRows(client, target, file, loadId, rejects, totalBytes, options);
    if (state.loans_empty) await querySqlFile(client, 'loader/end_bulk_load.sql');
    options.signal?.throwIfAborted();
    const counts = encoder.counts;
    if (options.strict && counts.rejected > 0) {
      throw new InputError(
        `${file}: --strict and ${counts.rejected} row${counts.rejected > 1 ? 's were' : ' was'} rejected, nothing loaded; ` +
          encoder.firstRejects.join('; ') +
          (counts.rejected > encoder.firstRejects.length ? '; …' : ''),
      );
    }
    await rejects.copyInto(client);
    options.signal?.throwIfAborted();
    let inserted = counts.loaded;
    let updated = 0;
    if (!state.loans_empty) {
      const merged = await querySqlFile<{ inserted: number; updated: number }>(client, 'loader/merge_loans.sql');
      ({ inserted, updated } = merged.rows[0]!);
    }
    return await finishLoad(client, {
      loadId,
      file,
      read,
      asOf: encoder.header?.asOf ?? {},
      counts,
      inserted,
      updated,
    });
  } finally {
    rejects.dispose();
  }
}

interface LoadOutcome {
  loadId: number;
  file: string;
  read: Fingerprint;
  asOf: Record<string, string>;
  counts: RecordCounts;
  inserted: number;
  updated: number;
  unchangedSinceLoadId?: number;
}

async function finishLoad(client: PoolClient, outcome: LoadOutcome): Promise<Omit<LoadSummary, 'durationMs'>> {
  const { loadId, file, read, asOf, counts, inserted, updated, unchangedSinceLoadId } = outcome;
  await querySqlFile(client, 'loader/finish_load.sql', [
    loadId,
    read.sha256,
    JSON.stringify(asOf),
    counts.read,
    counts.loaded,
    counts.rejected,
    counts.blank,
    inserted,
    updated,
    RULES_VERSION,
    unchangedSinceLoadId ?? null,
    read.bytes,
  ]);
  return {
    loadId,
    file,
    sha256: read.sha256,
    asOf,
    ...counts,
    inserted,
    updated,
    unchanged: counts.loaded - inserted - updated,
    ...(unchangedSinceLoadId === undefined ? {} : { unchangedSinceLoadId }),
  };
}

/** Best effort: when the database itself is the problem, the failure is only in the log. */
async function recordFailedLoad(
  pool: Pool,
  file: string,
  strict: boolean,
  startedAt: Date,
  error: unknown,
): Promise<void> {
  const recorded = recordedName(file);
  await querySqlFile(pool, 'loader/record_failed_load.sql', [recorded, strict, startedAt, describeError(error)]).catch(
    () => undefined,
  );
}
