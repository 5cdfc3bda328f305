import { createHash } from 'node:crypto';
import { backupKey, parseBackupKey } from '../ads/backupKeys';

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
const tick = new Date('2024-05-01T13:00:00Z');

test('a key names the date, the hour and the time of the run, its id and the hash of the bytes', () => {
  expect(backupKey(tick, 'a1b2c3d4e5f6', sha('x'))).toBe(
    `backup/date=2024-05-01/hour=13/20240501T130000Z_a1b2c3d4e5f6_${sha('x').slice(0, 16)}.json`,
  );
  // A manual run's start, to the second.
  expect(backupKey(new Date('2024-12-31T23:59:59.999Z'), 'r1', sha('x'))).toMatch(
    /^backup\/date=2024-12-31\/hour=23\/20241231T235959Z_r1_/,
  );
});

test('the same run and bytes give the same key; another run of the tick, or other bytes, another key', () => {
  const first = backupKey(tick, 'a1b2c3d4e5f6', sha('response 1'));
  expect(backupKey(new Date(tick), 'a1b2c3d4e5f6', sha('response 1'))).toBe(first);
  const others = [
    backupKey(tick, 'b1b2c3d4e5f6', sha('response 1')), // a rerun of the tick
    backupKey(tick, 'a1b2c3d4e5f6', sha('response 2')), // a retry that got another response
    backupKey(new Date(tick.getTime() + 3_600_000), 'a1b2c3d4e5f6', sha('response 1')),
  ];
  expect(new Set([first, ...others]).size).toBe(4);
});

test('parseBackupKey reads back what backupKey wrote', () => {
  for (const time of ['1970-01-01T00:00:00Z', '2024-02-29T05:06:07Z', '9999-12-31T23:59:59Z']) {
    const key = backupKey(new Date(time), 'run42', sha(time));
    expect(parseBackupKey(key)).toEqual({
      logicalTime: new Date(time),
      runId: 'run42',
      sha256Prefix: sha(time).slice(0, 16),
    });
  }
});

test('parseBackupKey refuses every other text', () => {
  const good = backupKey(tick, 'a1b2c3d4e5f6', sha('x'));
  const bad = [
    '',
    'backup/',
    good.replace('hour=13', 'hour=14'), // folder and time disagree
    good.replace('date=2024-05-01', 'date=2024-05-02'),
    good.replace('20240501T130000Z', '20240231T130000Z'), // no such day
    good.replace('.json', '.json.gz'),
    `../${good}`,
    good.replace('a1b2c3d4e5f6', 'a1b2/../c3'),
    good.replace('a1b2c3d4e5f6', 'A1B2'),
    good.slice(0, -6) + '.json', // a shorter hash
    `archive/${good.slice('backup/'.length)}`,
  ];
  for (const key of bad) expect([key, parseBackupKey(key)]).toEqual([key, undefined]);
});

test('backupKey refuses what would not make a safe key', () => {
  expect(() => backupKey(new Date('nope'), 'a1', sha('x'))).toThrow(RangeError);
  expect(() => backupKey(new Date('1969-12-31T23:00:00Z'), 'a1', sha('x'))).toThrow(RangeError);
  expect(() => backupKey(tick, '../etc', sha('x'))).toThrow(/run id "..\/etc"/);
  expect(() => backupKey(tick, '', sha('x'))).toThrow(RangeError);
  expect(() => backupKey(tick, 'a1', 'abc')).toThrow(/not a hex SHA-256/);
});
