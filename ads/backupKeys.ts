/**
 * The one place that names the objects of backup/ (docs/ads.md, "Backup keys"):
 *
 *   backup/date=YYYY-MM-DD/hour=HH/YYYYMMDDTHHMMSSZ_<run id>_<first 16 hex of the sha256>.json
 *
 * The folders and the stamp are the run's logical time (UTC), so a person finds a tick's
 * responses by date and hour; the run id keeps a rerun of the same tick from landing on an
 * earlier run's object, and the hash keeps each response of one run (a retry calls the API
 * again) apart, while a response stored twice lands on the same key with the same bytes.
 * The hash in the key also lets a replay check that the object is still what was stored.
 */

export const BACKUP_PREFIX = 'backup/';

const RUN_ID = /^[0-9a-z]{1,32}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const HASH_CHARS = 16;

// Every key backupKey() makes; parseBackupKey also checks that its folders and its time agree.
const BACKUP_KEY =
  /^backup\/date=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/(\d{8}T\d{6}Z)_([0-9a-z]{1,32})_([0-9a-f]{16})\.json$/;

/** 20240501T130000Z: the logical time to the second, without characters a file name would mind. */
function stamp(time: Date): string {
  return time.toISOString().slice(0, 19).replace(/[-:]/g, '') + 'Z';
}

export function backupKey(logicalTime: Date, runId: string, sha256: string): string {
  if (Number.isNaN(logicalTime.getTime()) || logicalTime.getUTCFullYear() > 9999 || logicalTime.getTime() < 0) {
    throw new RangeError(`backupKey: ${String(logicalTime)} is not a time from 1970 to 9999`);
  }
  if (!RUN_ID.test(runId))
    throw new RangeError(`backupKey: run id ${JSON.stringify(runId)} is not 1 to 32 of a-z, 0-9`);
  if (!SHA256.test(sha256)) throw new RangeError(`backupKey: ${JSON.stringify(sha256)} is not a hex SHA-256`);
  const iso = logicalTime.toISOString();
  return `${BACKUP_PREFIX}date=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/${stamp(logicalTime)}_${runId}_${sha256.slice(0, HASH_CHARS)}.json`;
}

export interface BackupKeyParts {
  logicalTime: Date;
  runId: string;
  /** The first 16 hex digits of the SHA-256 of the stored bytes. */
  sha256Prefix: string;
}

/** The parts of a key backupKey() made, or undefined for any other text. */
export function parseBackupKey(key: string): BackupKeyParts | undefined {
  const match = BACKUP_KEY.exec(key);
  if (match === null) return undefined;
  const [, date, hour, time, runId, sha256Prefix] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const logicalTime = new Date(
    `${time.slice(0, 4)}-${time.slice(4, 6)}-${time.slice(6, 8)}T${time.slice(9, 11)}:${time.slice(11, 13)}:${time.slice(13, 15)}Z`,
  );
  if (Number.isNaN(logicalTime.getTime()) || stamp(logicalTime) !== time) return undefined;
  const iso = logicalTime.toISOString();
  if (iso.slice(0, 10) !== date || iso.slice(11, 13) !== hour) return undefined;
  return { logicalTime, runId, sha256Prefix };
}
