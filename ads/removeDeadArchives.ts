import { inTransaction, type PoolClient } from '../lib/db';
import type { ObjectStore } from '../lib/objectStore';
import { querySqlFile } from '../lib/sqlFiles';
import { ARCHIVE_PREFIX, parseArchiveKey } from './archiveKeys';

/**
 * The last step of ads_archive (docs/ads-archive.md, "Objects no archive records"): deletes the
 * archive objects that hold no row anyone needs from them. Those are objects with an archive key
 * that ad_archives does not record (uploaded by a run killed before its commit, whose rows
 * stayed in ads) and objects of restored archives whose delete failed (their rows are in ads
 * again). Under lock_archives.sql no archive is between its upload and its commit, so an object
 * not recorded now never will be. Other keys under archive/ are left alone.
 */

export interface DeadArchive {
  key: string;
  why: 'unrecorded' | 'restored';
}

export async function removeDeadArchives(
  db: PoolClient,
  store: ObjectStore,
  signal: AbortSignal,
): Promise<DeadArchive[]> {
  return inTransaction(db, async () => {
    await querySqlFile(db, 'ads/lock_archives.sql');
    const recorded = new Map(
      (await querySqlFile<{ archive_key: string; restored: boolean }>(db, 'ads/archive_objects.sql')).rows.map(
        (row) => [row.archive_key, row.restored],
      ),
    );
    const dead: DeadArchive[] = [];
    for await (const object of store.list(ARCHIVE_PREFIX, signal)) {
      const restored = recorded.get(object.key);
      if (parseArchiveKey(object.key) === undefined || restored === false) continue;
      dead.push({ key: object.key, why: restored === undefined ? 'unrecorded' : 'restored' });
    }
    for (const { key } of dead) await store.delete(key, signal);
    return dead;
  });
}
