import { createHash } from 'node:crypto';
import type { PoolClient } from '../lib/db';
import { ConfigError, describeError, InputError, ObjectStoreError } from '../lib/errors';
import type { ObjectStore } from '../lib/objectStore';
import { querySqlFile } from '../lib/sqlFiles';
import { BACKUP_PREFIX, backupKey, parseBackupKey } from './backupKeys';

/**
 * The responses of the ads API kept in backup/ and their rows of ad_backups (docs/ads.md,
 * "Guarantees"): a response is stored and verified, then recorded (committed), before any of
 * its impressions is inserted; a load reads it back from the bucket and checks it is the
 * response that was recorded.
 */

export interface Backup {
  key: string;
  bytes: number;
  sha256: string;
  /** When the response arrived: what "in the future" is judged against. */
  receivedAt: Date;
}

type Queryable = Pick<PoolClient, 'query'>;

function sha256Of(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/** The row of the key in ad_backups, inserted if there is none yet; an error if its bytes are not these. */
async function recordBackup(db: Queryable, backup: Backup, runId: string, where: string): Promise<Backup> {
  const { rows } = await querySqlFile<{ bytes: string; sha256: string; stored_at: Date }>(db, 'ads/record_backup.sql', [
    backup.key,
    runId,
    backup.bytes,
    backup.sha256,
    backup.receivedAt,
  ]);
  const recorded = rows[0]!;
  if (recorded.sha256 !== backup.sha256) {
    throw new InputError(
      `${where} holds ${backup.bytes} bytes with sha256 ${backup.sha256}, not the ${recorded.bytes} bytes (sha256 ${recorded.sha256}) ad_backups recorded: it was changed; nothing was inserted`,
    );
  }
  return { ...backup, receivedAt: recorded.stored_at };
}

export interface StoreBackupOptions {
  logicalTime: Date;
  runId: string;
  receivedAt: Date;
  signal: AbortSignal;
}

/** Stores the response's bytes under their key, verified by the store, then records them. */
export async function storeBackup(
  store: ObjectStore,
  db: Queryable,
  body: Buffer,
  options: StoreBackupOptions,
): Promise<Backup> {
  const sha256 = sha256Of(body);
  const key = backupKey(options.logicalTime, options.runId, sha256);
  try {
    await store.put(key, body, { contentType: 'application/json', signal: options.signal });
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason;
    throw new ObjectStoreError(
      `the backup of the ads API's response (${body.length} bytes) was not stored, so nothing was inserted: ${describeError(error)}`,
      { cause: error },
    );
  }
  const backup = { key, bytes: body.length, sha256, receivedAt: options.receivedAt };
  return recordBackup(db, backup, options.runId, store.url(key));
}

/** The object of the key and when the store received it, or undefined when there is none. */
async function findObject(store: ObjectStore, key: string, signal: AbortSignal): Promise<Date | undefined> {
  for await (const object of store.list(key, signal)) {
    if (object.key === key) return object.lastModified ?? new Date();
  }
  return undefined;
}

/**
 * The stored response of the key, checked against the hash in its key and against ad_backups.
 * A key the database does not know (a replay into a rebuilt database) is recorded first, with
 * the time the store received the object as the response's arrival.
 */
export async function readBackup(
  store: ObjectStore,
  db: Queryable,
  key: string,
  signal: AbortSignal,
): Promise<{ backup: Backup; body: Buffer }> {
  const parts = parseBackupKey(key);
  if (parts === undefined) {
    throw new ConfigError(
      `backup_key ${JSON.stringify(key)} is not a key of a stored response (${BACKUP_PREFIX}date=…)`,
    );
  }
  const storedAt = await findObject(store, key, signal);
  if (storedAt === undefined) {
    throw new ConfigError(
      `there is no stored response ${store.url(key)}: check backup_key (the stored ones: aws s3 ls ${store.url(BACKUP_PREFIX)} --recursive)`,
    );
  }
  const body = await store.get(key, signal);
  const sha256 = sha256Of(body);
  if (!sha256.startsWith(parts.sha256Prefix)) {
    throw new InputError(
      `${store.url(key)}: its bytes (sha256 ${sha256}) are not those its key names (${parts.sha256Prefix}…): it was changed; nothing was inserted`,
    );
  }
  const backup = await recordBackup(
    db,
    { key, bytes: body.length, sha256, receivedAt: storedAt },
    parts.runId,
    store.url(key),
  );
  return { backup, body };
}
