import { finished, pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { to as copyTo } from 'pg-copy-streams';
import { inTransaction, type PoolClient } from '../lib/db';
import { JobFailedError } from '../lib/errors';
import type { ObjectStore, StoredObject } from '../lib/objectStore';
import { querySqlFile, readSql } from '../lib/sqlFiles';
import { archiveKey } from './archiveKeys';
import { JsonLinesFromCopy } from './copyJsonLines';

/**
 * The archive of one shown day (docs/ads-archive.md): in one REPEATABLE READ transaction, the
 * day's rows are read and locked by a COPY that streams them as JSON Lines through gzip into one
 * object, the object is read back and compared, then exactly those rows are deleted and the
 * archive recorded. Anything failing before the commit rolls it all back: no row is deleted
 * unless its archive is stored, verified and recorded.
 */

export interface ArchivedDay {
  shownDate: string;
  key: string;
  part: number;
  rows: number;
  bytes: number;
  sha256: string;
  durationMs: number;
}

// gzip's own default: archives as small as `gzip` makes them, at about its speed.
const GZIP_LEVEL = 6;

interface DayPlan {
  part: number;
  has_rows: boolean;
}

interface Uploaded extends StoredObject {
  /** Lines that went into the object. */
  streamedRows: number;
  /** Rows the COPY says it read. */
  copiedRows: number;
}

/**
 * Streams archive_day_copy.sql → JSON Lines → gzip → the object. Memory stays flat: each stage
 * waits for the next one (the upload holds at most two 8 MiB parts).
 */
async function uploadDay(db: PoolClient, store: ObjectStore, key: string, signal: AbortSignal): Promise<Uploaded> {
  const copy = db.query(copyTo(readSql('ads/archive_day_copy.sql')));
  // How the COPY ended: undefined, or its error (caught at once, so that it is never unhandled).
  const copied = finished(copy).then(
    () => undefined,
    (failure: unknown) => failure,
  );
  const lines = new JsonLinesFromCopy();
  const gzip = createGzip({ level: GZIP_LEVEL });
  // pipe() does not pass errors on: a failed COPY (a cancellation, a serialization failure) must stop the rest.
  copy.on('error', (error) => lines.destroy(error));
  copy.pipe(lines);
  try {
    const [stored] = await Promise.all([
      store.upload(key, gzip, { contentType: 'application/gzip', signal }),
      pipeline(lines, gzip),
    ]);
    const copyError = await copied;
    if (copyError !== undefined) throw copyError;
    return { ...stored, streamedRows: lines.rows, copiedRows: copy.rowCount };
  } catch (error) {
    // A COPY cut short keeps the connection busy until its last row: read the rest into nothing,
    // so that the connection can roll back and be used again.
    copy.unpipe(lines);
    copy.resume();
    throw (await copied) ?? error;
  }
}

/** The object must hold what was sent, and every row read must be in it, before anything is deleted. */
async function verify(store: ObjectStore, shownDate: string, uploaded: Uploaded, signal: AbortSignal): Promise<void> {
  const where = `archive of ${shownDate}: ${store.url(uploaded.key)}`;
  const nothingDeleted = 'nothing was deleted; run ads_archive again';
  if (uploaded.streamedRows !== uploaded.copiedRows) {
    throw new JobFailedError(
      `${where} got ${uploaded.streamedRows} lines for the ${uploaded.copiedRows} rows COPY read; ${nothingDeleted}`,
    );
  }
  const readBack = await store.checksum(uploaded.key, signal);
  if (readBack.bytes !== uploaded.bytes || readBack.sha256 !== uploaded.sha256) {
    throw new JobFailedError(
      `${where} reads back as ${readBack.bytes} bytes, sha256 ${readBack.sha256}, not the ${uploaded.bytes} bytes, ` +
        `sha256 ${uploaded.sha256} uploaded; ${nothingDeleted}`,
    );
  }
}

/**
 * Archives the rows of ads shown on shownDate (UTC) into the day's next part, or does nothing
 * (undefined) when the day has no rows left. Runs its own transaction on db.
 */
export async function archiveDay(
  db: PoolClient,
  store: ObjectStore,
  shownDate: string,
  runId: string,
  signal: AbortSignal,
): Promise<ArchivedDay | undefined> {
  const startedMs = Date.now();
  return inTransaction(db, async () => {
    await db.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    await querySqlFile(db, 'ads/lock_archives.sql');
    const plan = (await querySqlFile<DayPlan>(db, 'ads/archive_day_plan.sql', [shownDate])).rows[0]!;
    if (!plan.has_rows) return undefined;
    const key = archiveKey(shownDate, plan.part);
    const uploaded = await uploadDay(db, store, key, signal);
    await verify(store, shownDate, uploaded, signal);
    const recorded = await querySqlFile<{ rows: string }>(db, 'ads/archive_day_record.sql', [
      key,
      shownDate,
      plan.part,
      runId,
      uploaded.bytes,
      uploaded.sha256,
    ]);
    const deleted = Number(recorded.rows[0]!.rows);
    if (deleted !== uploaded.streamedRows) {
      throw new JobFailedError(
        `archive of ${shownDate}: the delete found ${deleted} rows, not the ${uploaded.streamedRows} archived in ` +
          `${store.url(key)}; rolled back, nothing was deleted; run ads_archive again`,
      );
    }
    return {
      shownDate,
      key,
      part: plan.part,
      rows: deleted,
      bytes: uploaded.bytes,
      sha256: uploaded.sha256,
      durationMs: Date.now() - startedMs,
    };
  });
}
