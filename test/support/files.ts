import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A temporary folder for a test's files, inside the run's own folder (TEST_TMP_ROOT, made by
 * globalSetup and removed by globalTeardown), so that a test run leaves nothing behind.
 */
export function tempDir(prefix = 'loans-analytics-'): string {
  return mkdtempSync(path.join(process.env.TEST_TMP_ROOT ?? os.tmpdir(), prefix));
}

export const HEADER = 'Date of Repayment,Number of Loans,Default (as of 2023-05-09),Liquidation (as of 2023-05-09)';

/** Writes content (bytes, a string, or lines joined with \n and ended with one) and returns the path. */
export function writeFile(dir: string, name: string, content: string | Buffer | readonly string[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof content === 'string' || Buffer.isBuffer(content) ? content : `${content.join('\n')}\n`);
  return file;
}

/** A loans file of `days` consecutive days from 1000-01-01: big enough to kill or stop a load in the middle. */
export function writeManyDays(dir: string, name: string, days: number): string {
  const start = Date.UTC(1000, 0, 1);
  const rows = Array.from(
    { length: days },
    (_, i) => `${new Date(start + i * 86_400_000).toISOString().slice(0, 10)},9,1,1`,
  );
  return writeFile(dir, name, [HEADER, ...rows]);
}
