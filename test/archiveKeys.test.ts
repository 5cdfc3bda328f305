import { ARCHIVE_PREFIX, archiveDayPrefix, archiveKey, isCalendarDay, parseArchiveKey } from '../ads/archiveKeys';
import { ConfigError } from '../lib/errors';

/** The keys of the ads archive: one function makes them, from a checked day and part. */

test('a day and a part make the key; parts sort in key order', () => {
  expect(archiveKey('2024-05-08', 1)).toBe('archive/shown_date=2024-05-08/part-0001.jsonl.gz');
  expect(archiveKey('2024-05-08', 12)).toBe('archive/shown_date=2024-05-08/part-0012.jsonl.gz');
  expect(archiveKey('2024-05-08', 9999)).toBe('archive/shown_date=2024-05-08/part-9999.jsonl.gz');
  expect(archiveDayPrefix('2024-05-08')).toBe('archive/shown_date=2024-05-08/');
  expect(archiveKey('2024-05-08', 2).startsWith(archiveDayPrefix('2024-05-08'))).toBe(true);
  expect(archiveDayPrefix('2024-05-08').startsWith(ARCHIVE_PREFIX)).toBe(true);
  const keys = [10, 2, 1, 100].map((part) => archiveKey('2024-05-08', part));
  expect([...keys].sort()).toEqual([1, 2, 10, 100].map((part) => archiveKey('2024-05-08', part)));
});

test.each(['2024-02-30', '2023-02-29', '2024-13-01', '24-05-08', '2024-5-8', '2024-05-08/..', '../x', ''])(
  'a day that is not a calendar day never becomes a folder: %j',
  (day) => {
    expect(isCalendarDay(day)).toBe(false);
    expect(() => archiveDayPrefix(day)).toThrow(ConfigError);
    expect(() => archiveKey(day, 1)).toThrow(ConfigError);
  },
);

test.each([0, -1, 1.5, 10_000, Number.NaN])('part %p is refused', (part) => {
  expect(() => archiveKey('2024-05-08', part)).toThrow(RangeError);
});

test('parseArchiveKey reads back what archiveKey made, and nothing else', () => {
  expect(parseArchiveKey(archiveKey('2024-02-29', 7))).toEqual({ shownDate: '2024-02-29', part: 7 });
  for (const key of [
    'archive/shown_date=2024-02-30/part-0001.jsonl.gz',
    'archive/shown_date=2024-05-08/part-0000.jsonl.gz',
    'archive/shown_date=2024-05-08/part-1.jsonl.gz',
    'archive/shown_date=2024-05-08/part-0001.jsonl',
    'archive/shown_date=2024-05-08/notes.txt',
    'archive/README',
    'backup/shown_date=2024-05-08/part-0001.jsonl.gz',
    'xarchive/shown_date=2024-05-08/part-0001.jsonl.gz',
  ]) {
    expect(parseArchiveKey(key)).toBeUndefined();
  }
});
