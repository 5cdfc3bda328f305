import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { from as copyFrom } from 'pg-copy-streams';
import { inTransaction, type PoolClient } from '../lib/db';
import { DigestStream } from '../lib/digestStream';
import { JobFailedError } from '../lib/errors';
import type { ObjectStore } from '../lib/objectStore';
import { querySqlFile, readSql } from '../lib/sqlFiles';
import { JsonLinesToCopy } from './copyJsonLines';

/**
 * ads_restore of one shown day (docs/ads-archive.md, "Restoring a day"): the day's live archives
 * are read back, checked against what was recorded, and their rows put into ads, in one
 * transaction that also marks the archives restored. Only after the commit are their objects
 * deleted: a row is never only in an object nobody records, nor in ads and a live archive.
 */

export interface RestoredDay {
  shownDate: string;
  /** The archives whose rows were put back, now marked restored and deleted from the bucket. */
  keys: string[];
  /** Rows the archives held. */
  archivedRows: number;
  /** Rows inserted; fewer than archivedRows when some ad_ids were in ads already. */
  insertedRows: number;
}

interface LiveArchive {
  archive_key: string;
  rows: string;
  bytes: string;
  sha256: string;
}

/** One archive's lines into the temporary table, checked against its ad_archives row. */
async function copyArchiveIn(
  db: PoolClient,
  store: ObjectStore,
  archive: LiveArchive,
  signal: AbortSignal,
): Promise<number> {
  const digest = new DigestStream();
  // The object first: once a COPY is started, the connection does nothing else until it ends.
  const object = await store.getStream(archive.archive_key, signal);
  const copy = db.query(copyFrom(readSql('ads/restore_copy.sql')));
  await pipeline(object, digest, createGunzip(), new JsonLinesToCopy(), copy);
  const sha256 = digest.sha256();
  const problems = [
    digest.bytes !== Number(archive.bytes) ? `${digest.bytes} bytes, not ${archive.bytes}` : undefined,
    sha256 !== archive.sha256 ? `sha256 ${sha256}, not ${archive.sha256}` : undefined,
    copy.rowCount !== Number(archive.rows) ? `${copy.rowCount} rows, not ${archive.rows}` : undefined,
  ].filter((problem) => problem !== undefined);
  if (problems.length > 0) {
    throw new JobFailedError(
      `${store.url(archive.archive_key)} is not the archive that was recorded (${problems.join(', ')}); ` +
        'nothing was restored: find out who changed it before restoring this day',
    );
  }
  return copy.rowCount;
}

/** Puts the live archives of shownDate back into ads; a day without any restores nothing. */
export async function restoreDay(
  db: PoolClient,
  store: ObjectStore,
  shownDate: string,
  signal: AbortSignal,
): Promise<RestoredDay> {
  const restored = await inTransaction(db, async () => {
    await querySqlFile(db, 'ads/begin_restore_day.sql');
    const archives = (await querySqlFile<LiveArchive>(db, 'ads/day_archives.sql', [shownDate])).rows;
    let archivedRows = 0;
    for (const archive of archives) archivedRows += await copyArchiveIn(db, store, archive, signal);
    const inserted = await querySqlFile(db, 'ads/restore_rows.sql');
    const keys = archives.map((archive) => archive.archive_key);
    await querySqlFile(db, 'ads/mark_restored.sql', [keys]);
    return { shownDate, keys, archivedRows, insertedRows: inserted.rowCount ?? 0 };
  });
  // After the commit: the rows are in ads and the archives are marked restored. A delete that
  // fails leaves an object no live archive records, which the next ads_archive removes.
  for (const key of restored.keys) await store.delete(key, signal);
  return restored;
}
