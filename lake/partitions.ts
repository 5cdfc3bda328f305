/**
 * The lake's paths, computed here and nowhere else (docs/lake.md, "Layout"). An event's type
 * becomes a folder name, so it must pass isSafeType first: lower-case ASCII letters, digits,
 * '_', '.', '-', starting with a letter or digit, at most 100 characters. That rules out '/',
 * '\', '=', '%', NUL, control characters, spaces and all non-ASCII (no path traversal, no
 * Hive-escaping, no Unicode normalisation differences between file systems), and upper case
 * (two types that differ only by case would share a folder on a case-insensitive file system).
 */

const SAFE_TYPE = /^[a-z0-9][a-z0-9_.-]{0,99}$/;

export function isSafeType(type: string): boolean {
  return SAFE_TYPE.test(type);
}

/** Why a type is not a safe partition name, for the quarantine's detail. */
export function unsafeTypeProblem(type: string): string {
  if (type === '') return 'data.type is empty';
  if (type.length > 100) return `data.type is ${type.length} characters long, more than 100`;
  return `data.type ${JSON.stringify(type.slice(0, 60))} is not a safe folder name: expected lower-case a-z, 0-9, '_', '.', '-', starting with a letter or digit`;
}

export interface Partition {
  type: string;
  /** YYYY-MM-DD, UTC. */
  date: string;
  /** 0 to 23, UTC. */
  hour: number;
}

function checkType(type: string): void {
  if (!isSafeType(type)) throw new Error(`not a safe event type for a lake path: ${JSON.stringify(type)}`);
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A YYYY-MM-DD that is a day of the calendar (not 2026-02-30). */
export function isDate(text: string): boolean {
  const ms = DATE.test(text) ? Date.parse(`${text}T00:00:00Z`) : NaN;
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === text;
}

/** events/type=<type>/date=<YYYY-MM-DD>/hour=<HH>/ (Hive-style, readable by any engine). */
export function partitionFolder(partition: Partition): string {
  checkType(partition.type);
  if (!DATE.test(partition.date) || !Number.isInteger(partition.hour) || partition.hour < 0 || partition.hour > 23) {
    throw new Error(`not a lake partition: ${JSON.stringify(partition)}`);
  }
  return `events/type=${partition.type}/date=${partition.date}/hour=${String(partition.hour).padStart(2, '0')}/`;
}

const EVENTS_FILE =
  /^events\/type=([a-z0-9][a-z0-9_.-]{0,99})\/date=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/[A-Za-z0-9_.-]+\.parquet$/;

/** The partition of a lake path made by partitionFolder, or undefined for any other path. */
export function parseEventsPath(relativePath: string): Partition | undefined {
  const match = EVENTS_FILE.exec(relativePath);
  if (match === null) return undefined;
  const hour = Number(match[3]);
  return hour <= 23 ? { type: match[1]!, date: match[2]!, hour } : undefined;
}

/** quarantine/date=<YYYY-MM-DD>/ingest-<id>.parquet: the malformed lines of one ingest, by the day it ran. */
export function quarantinePath(ingestId: number, ingestedAt: Date): string {
  return `quarantine/date=${ingestedAt.toISOString().slice(0, 10)}/ingest-${ingestId}.parquet`;
}

/** <partition folder>/compaction-<id>-<n>.parquet: the n-th file a compaction wrote for a partition. */
export function compactedFilePath(partition: Partition, compactionId: number, n: number): string {
  return `${partitionFolder(partition)}compaction-${compactionId}-${n}.parquet`;
}

const QUARANTINE_FILE = /^quarantine\/date=\d{4}-\d{2}-\d{2}\/ingest-\d+\.parquet$/;

/** True for a path quarantinePath made. */
export function isQuarantinePath(relativePath: string): boolean {
  return QUARANTINE_FILE.test(relativePath);
}

/**
 * _catalog/date=<YYYY-MM-DD>.json: the catalog's live files of one date, written into the lake so
 * that it can be read without PostgreSQL (lake/catalogExport.ts).
 */
export function catalogExportPath(date: string): string {
  if (!DATE.test(date)) throw new Error(`not a date for a catalog export: ${JSON.stringify(date)}`);
  return `_catalog/date=${date}.json`;
}

export const CATALOG_EXPORT_PREFIX = '_catalog/';

const CATALOG_EXPORT = /^_catalog\/date=(\d{4}-\d{2}-\d{2})\.json$/;

/** The date of a path catalogExportPath made, or undefined for any other path. */
export function parseCatalogExportPath(relativePath: string): string | undefined {
  return CATALOG_EXPORT.exec(relativePath)?.[1];
}
