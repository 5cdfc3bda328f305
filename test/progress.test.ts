import { readFileSync } from 'node:fs';
import path from 'node:path';
import { generateLoansCsv } from '../data/generateLoans';
import { createProgress } from '../loader/progress';
import { captureLogger } from './support/logs';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let ms = 1_000_000;
  return { now: () => ms, advance: (by) => (ms += by) };
}

test('on a terminal, a long load redraws a bar, and a short one shows nothing', () => {
  const written: string[] = [];
  const time = clock();
  const { logger } = captureLogger();
  const progress = createProgress(
    'big.csv',
    logger,
    { isTTY: true, write: (s: string) => written.push(s) > 0 },
    time.now,
  );
  progress.update(10, 100);
  expect(written).toEqual([]); // under 2 s: nothing
  time.advance(2500);
  progress.update(50 * 1048576, 100 * 1048576);
  progress.done();
  expect(written).toEqual([`\rbig.csv [${'#'.repeat(15)}${'.'.repeat(15)}] 50% 50.0/100.0 MB`, '\n']);
});

test('elsewhere, a long load logs a progress line every 10 s', () => {
  const time = clock();
  const { logger, entries } = captureLogger();
  const progress = createProgress('big.csv', logger, { isTTY: false, write: () => true }, time.now);
  for (let second = 1; second <= 25; second += 1) {
    time.advance(1000);
    progress.update(second, 25);
  }
  progress.done();
  expect(entries.map((e) => [e.message, e.percent])).toEqual([
    ['loading', 40],
    ['loading', 80],
  ]);
});

test('data/loans.csv is exactly what the seeded generator writes', () => {
  expect(readFileSync(path.join(__dirname, '..', 'data', 'loans.csv'), 'utf8')).toBe(generateLoansCsv());
});
