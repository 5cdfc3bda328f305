import { ConfigError } from '../lib/errors';

/**
 * The keys of the ads archive (docs/ads-archive.md, "Keys"): one object per archive of a shown
 * day, `archive/shown_date=YYYY-MM-DD/part-NNNN.jsonl.gz`. A day is a folder name, so it is
 * checked to be a real calendar day before it becomes one; part 1 is the day's first archive,
 * part 2 holds the rows of that day that arrived after it, and so on.
 */

export const ARCHIVE_PREFIX = 'archive/';

/** Four digits keep the parts of a day in key order; no day gets near 9999 archives. */
const MAX_PART = 9999;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const KEY = /^archive\/shown_date=(\d{4}-\d{2}-\d{2})\/part-(\d{4})\.jsonl\.gz$/;

/** A YYYY-MM-DD that names a day of the calendar (no 2024-02-30). */
export function isCalendarDay(text: string): boolean {
  if (!DAY.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

/** The folder of one shown day: every part of that day lies under it. */
export function archiveDayPrefix(shownDate: string): string {
  if (!isCalendarDay(shownDate)) throw new ConfigError(`${JSON.stringify(shownDate)} is not a YYYY-MM-DD date`);
  return `${ARCHIVE_PREFIX}shown_date=${shownDate}/`;
}

export function archiveKey(shownDate: string, part: number): string {
  if (!Number.isInteger(part) || part < 1 || part > MAX_PART) {
    throw new RangeError(`archive part ${part} of ${shownDate}: expected a whole number from 1 to ${MAX_PART}`);
  }
  return `${archiveDayPrefix(shownDate)}part-${String(part).padStart(4, '0')}.jsonl.gz`;
}

/** The day and part of a key archiveKey made, or undefined for any other key. */
export function parseArchiveKey(key: string): { shownDate: string; part: number } | undefined {
  const match = KEY.exec(key);
  if (match === null || !isCalendarDay(match[1]!) || Number(match[2]) < 1) return undefined;
  return { shownDate: match[1]!, part: Number(match[2]) };
}
