import { createWriteStream, existsSync, renameSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { seededRandom } from '../data/generateLoans';
import { monthLength } from '../loader/validateRow';
import { projectRoot } from '../lib/sqlFiles';

/**
 * Loans files of any size for the benchmark: the header of data/loans.csv, consecutive days from
 * 0001-01-01, and plausible seeded numbers (about a fifth of the days without a default;
 * defaults + liquidations never above the number of loans). Past `maxDays` rows the days start
 * again from the first one: the calendar ends at 9999-12-31, so a 10,000,000-row file must repeat
 * days, and the loader rejects each repeat (the case of a huge file with millions of rejects).
 * The same (rows, maxDays) always gives the same bytes, and a smaller file is a prefix of a bigger one.
 */

/** The project's own data/loans.csv: the size and shape of the real file (620 days). */
export const PROJECT_LOANS_FILE = path.join(projectRoot, 'data', 'loans.csv');

export const HEADER = 'Date of Repayment,Number of Loans,Default (as of 2023-05-09),Liquidation (as of 2023-05-09)';

/** Consecutive YYYY-MM-DD strings from 0001-01-01, without Date (whose years below 100 are awkward, and which is slow). */
export function* calendarDays(): Generator<string> {
  for (let year = 1; year <= 9999; year += 1) {
    const y = String(year).padStart(4, '0');
    for (let month = 1; month <= 12; month += 1) {
      const m = String(month).padStart(2, '0');
      const length = monthLength(year, month);
      for (let day = 1; day <= length; day += 1) yield `${y}-${m}-${String(day).padStart(2, '0')}`;
    }
  }
}

/** Writes `rows` data rows to `file` (unless it is already there) and returns the file. */
export async function writeLoansFile(file: string, rows: number, maxDays: number, seed = 20230509): Promise<string> {
  if (existsSync(file)) return file;
  const random = seededRandom(seed);
  // Written aside and renamed: an interrupted run never leaves a short file under the real name.
  const out = createWriteStream(`${file}.part`);
  let days = calendarDays();
  let chunk = `${HEADER}\n`;
  for (let i = 0; i < rows; i += 1) {
    if (i > 0 && i % maxDays === 0) days = calendarDays();
    const date = days.next().value as string;
    const loans = Math.floor((60 + 90 * random()) * (1 + 0.15 * Math.sin((2 * Math.PI * i) / 7)));
    const defaults = random() < 0.2 ? 0 : Math.floor(loans * 0.12 * random());
    const liquidations = Math.floor((loans - defaults) * 0.4 * random());
    chunk += `${date},${loans},${defaults},${liquidations}\n`;
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  renameSync(`${file}.part`, file);
  return file;
}
