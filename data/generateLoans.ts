/**
 * Writes the synthetic data/loans.csv that ships with the project: same header, date range and
 * character as the real file (620 days; fully resolved early days, then fewer and fewer resolved
 * loans, and the last weeks at 0 defaults and 0 liquidations), but made-up numbers.
 * Seeded, so the output is the same on every run:  npm run generate-data > data/loans.csv
 */
import { printUsageIfAsked, usageLine, type Usage } from '../lib/usage';

const FIRST_DAY = Date.UTC(2021, 7, 28);
const DAYS = 620;
const AS_OF = '2023-05-09';

/** mulberry32: a small, well-known seeded generator; Math.random cannot be seeded. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function binomial(random: () => number, trials: number, p: number): number {
  let hits = 0;
  for (let i = 0; i < trials; i += 1) if (random() < p) hits += 1;
  return hits;
}

export function generateLoansCsv(seed = 20230509): string {
  const random = seededRandom(seed);
  const lines = [`Date of Repayment,Number of Loans,Default (as of ${AS_OF}),Liquidation (as of ${AS_OF})`];
  for (let day = 0; day < DAYS; day += 1) {
    const date = new Date(FIRST_DAY + day * 86_400_000).toISOString().slice(0, 10);
    const rampUp = Math.min(1, 0.4 + day / 100);
    const weekly = 1 + 0.12 * Math.sin((2 * Math.PI * day) / 7);
    const loans = Math.max(1, Math.round((70 + 45 * random()) * rampUp * weekly));
    const daysBeforeEnd = DAYS - 1 - day;
    // Loans repaid long ago are all resolved; recent ones not yet.
    const resolvedShare = daysBeforeEnd > 260 ? 1 : daysBeforeEnd < 60 ? 0 : (daysBeforeEnd - 60) / 200;
    const resolved = daysBeforeEnd < 60 ? binomial(random, loans, 0.004) : binomial(random, loans, resolvedShare);
    const defaults = daysBeforeEnd < 60 ? 0 : binomial(random, resolved, 0.06);
    lines.push(`${date},${loans},${defaults},${resolved - defaults}`);
  }
  return `${lines.join('\n')}\n`;
}

const HELP: Usage = {
  synopsis: ['npm run -s generate-data > data/loans.csv'],
  description: [
    'Writes the synthetic loans.csv that ships with the project to stdout: 620 days from 2021-08-28,',
    'made-up numbers with the character of the real file. Seeded: the same bytes every time.',
  ].join('\n'),
  options: [],
  environment: [],
  examples: ['npm run -s generate-data > data/loans.csv'],
};

export function main(): void {
  if (printUsageIfAsked(HELP)) return;
  const args = process.argv.slice(2);
  if (args.length > 0) {
    process.stderr.write(`generate-data: takes no arguments, got ${args.join(' ')}; ${usageLine(HELP.synopsis)}\n`);
    process.exit(2);
  }
  process.stdout.write(generateLoansCsv());
}

if (require.main === module) main();
