import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tempDir } from './support/files';
import { killStarted, startNode } from './support/processes';

/**
 * `npm run bench` in quick mode (tiny sizes, one pair, a 5 s scheduler watch), against its own
 * temporary output: every section is there and the numbers are sane. No timing is asserted:
 * timing lives in the benchmark, never in a unit test. psql is used when installed; without it
 * the comparisons that need it are left out and the rest still runs.
 */

const dir = tempDir('bench-');
const hasPsql = spawnSync('sh', ['-c', 'command -v psql'], { encoding: 'utf8' }).status === 0;
// The benchmark's own temporary folder goes here, not in the machine's /tmp, where other benchmarks
// may come and go meanwhile. Readable by all: as root, the embedded server runs as 'postgres'.
const benchTmp = tempDir('bench-tmp-');
chmodSync(benchTmp, 0o755);

afterAll(killStarted);

async function runBench(env: Record<string, string>, args: string[] = []) {
  const running = startNode(['dist/bench/main.js', ...args], { HOME: os.homedir(), TMPDIR: benchTmp, ...env });
  const code = await running.exited;
  return { code, output: running.output(), stderr: running.stderr() };
}

/** The text of the "## <title>…" section, up to the next heading. */
function section(report: string, title: string): string {
  const start = report.indexOf(`\n## ${title}`);
  if (start < 0) throw new Error(`no section "${title}" in the report:\n${report}`);
  const next = report.indexOf('\n## ', start + 1);
  return report.slice(start, next < 0 ? undefined : next);
}

/** Rows of the Markdown tables of a section, as cells, header and separator lines left out. */
function tableRows(text: string): string[][] {
  const lines = text.split('\n').filter((line) => line.startsWith('|'));
  return lines
    .map((line) =>
      line
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim()),
    )
    .filter((cells, i, all) => !cells.every((c) => /^-+$/.test(c)) && !all[i + 1]?.every((c) => /^-+$/.test(c)));
}

const megabytes = (cell: string): number => Number(/^(\d+\.\d) MB$/.exec(cell)?.[1] ?? NaN);

test('BENCH_QUICK=1 npm run bench writes every section with sane numbers and keeps the hand-written notes', async () => {
  const results = path.join(dir, 'RESULTS.md');
  writeFileSync(
    results,
    '# Benchmark results\n\nIntro by a person.\n\n<!-- bench:begin -->\nold numbers\n<!-- bench:end -->\n\n## Notes\n\nAnalysis by a person.\n',
  );
  const only = hasPsql ? [] : ['reload', 'incremental', 'soak', 'scheduler'];
  const result = await runBench({ BENCH_QUICK: '1', BENCH_RESULTS: results }, only);
  expect({ code: result.code, output: result.output }).toEqual({ code: 0, output: expect.any(String) });
  expect(result.stderr).toMatch(/^bench \d\d:\d\d /m);

  const report = readFileSync(results, 'utf8');
  expect(report).toContain('Intro by a person.');
  expect(report).toContain('Analysis by a person.');
  expect(report).not.toContain('old numbers');
  expect(report).toMatch(/\*\*Partial run\*\*: quick mode/);
  for (const title of [
    'Machine and settings',
    'Targets',
    '1. Loader vs',
    '2. Loader memory',
    '3. Reloading an unchanged file',
    '4. Full rebuild',
    '5. Incremental refresh',
    '6. Full refreshes back to back',
    '7. Scheduler',
    '8. Growth',
    '9. Archiving a day of ads',
    'How it was measured',
  ]) {
    expect(section(report, title)).not.toBe('');
  }
  const machine = section(report, 'Machine and settings');
  expect(machine).toMatch(new RegExp(`\\| CPU \\| .+, ${os.cpus().length} logical cores \\|`));
  expect(machine).toMatch(/\| PostgreSQL server \| \d+\.\d+/);

  // 3: a reload is timed and the loader's summary shows the file was recognised as unchanged.
  const [reload] = tableRows(section(report, '3. Reloading'));
  expect(reload![0]).toBe('5,000');
  expect(reload![4]).toMatch(/^\d+\.\d\d s$/);
  expect(section(report, '3. Reloading')).toMatch(
    /unchanged since load \d+: nothing to read or write \(5000 rows read then/,
  );

  // 5: measured when this build has the incremental mode; otherwise it says why not.
  expect(section(report, '5. Incremental')).toMatch(/mode=incremental/);

  // 6: quick mode's 5 refreshes back to back and 3 of data/loans.csv, each recorded and timed.
  const soak = section(report, '6. Full refreshes back to back');
  const [series, sizes, loansCsv] = tableRows(soak);
  expect(series!.slice(0, 2)).toEqual(['5,000', '5 (**quick mode: 30 in a full run**)']);
  const everyRun = /recorded: ([\d, ]+) ms; wall: ([\d., ]+) s\./.exec(soak);
  const recordedMs = everyRun![1]!.split(', ').map(Number);
  const wallMs = everyRun![2]!.split(', ').map((seconds) => Number(seconds) * 1000);
  expect(recordedMs).toHaveLength(5);
  recordedMs.forEach((ms, i) => {
    expect(ms).toBeGreaterThan(0);
    expect(ms).toBeLessThanOrEqual(wallMs[i]! + 10);
  });
  // The published table keeps half of each page free and has an index: larger than the packed
  // CREATE TABLE AS, which the primary key makes larger too.
  const [afterFirst, afterLast, reference, , , referenceWithKey] = sizes!.map(megabytes);
  expect(afterFirst).toBeGreaterThan(reference!);
  expect(afterLast).toBeGreaterThan(reference!);
  expect(referenceWithKey).toBeGreaterThan(reference!);
  // 4 refreshes rewrite the 5,000 rows: at most 20,000 updates counted, some at least (statistics lag).
  const [updates, hot] = /had ([\d,]+) row updates, ([\d,]+) of them HOT/
    .exec(soak)!
    .slice(1)
    .map((count) => Number(count.replace(/,/g, '')));
  expect(updates).toBeGreaterThan(0);
  expect(updates).toBeLessThanOrEqual(20_000);
  expect(hot).toBeLessThanOrEqual(updates!);
  expect(loansCsv!.slice(0, 2)).toEqual(['620', '3 (**quick mode: 10 in a full run**)']);
  expect(loansCsv![2]).toMatch(/^\d+, \d+, \d+ ms$/);
  expect(Number.parseFloat(loansCsv![3]!)).toBeLessThanOrEqual(Number.parseFloat(loansCsv![4]!) * 1000);

  // 7: the idle scheduler ran nothing in the window, the busy one ran and its lateness is a number.
  const scheduler = tableRows(section(report, '7. Scheduler'));
  const idle = scheduler.find((row) => row[0] === 'idle')!;
  const busy = scheduler.find((row) => row[0] === 'every second')!;
  expect(idle[4]).toBe('0');
  expect(Number(busy[4])).toBeGreaterThan(0);
  for (const row of [idle, busy]) {
    const [min, med, max] = row[2]!.split(' / ').map(megabytes);
    expect(min).toBeGreaterThan(10);
    expect(min).toBeLessThanOrEqual(med!);
    expect(med).toBeLessThanOrEqual(max!);
    expect(max).toBeLessThan(1000);
  }
  const lateness = scheduler.find((row) => /ms$/.test(row[0]!))!;
  expect(Number.parseFloat(lateness[0]!)).toBeGreaterThanOrEqual(0);

  if (hasPsql) {
    // 1 and 2: rows per second on both sides, the loader alone on the file with repeated days.
    // psql's side loads the plain table (no triggers), not loans.
    expect(section(report, '1. Loader vs')).toContain('\\copy bench_plain_loans FROM');
    const loader = tableRows(section(report, '1. Loader vs'));
    expect(loader.map((row) => row[0])).toEqual(['1,000', '5,000', '20,000']);
    for (const row of loader.slice(0, 2)) {
      expect(Number(row[4]!.replace(/,/g, ''))).toBeGreaterThan(0);
      expect(Number(row[5]!.replace(/,/g, ''))).toBeGreaterThan(0);
    }
    expect(loader[2]![3]).toBe('cannot (repeated days)');
    const memory = tableRows(section(report, '2. Loader memory'));
    expect(memory.map((row) => row.slice(0, 3))).toEqual([
      ['1,000', '1,000', '0'],
      ['5,000', '5,000', '0'],
      ['20,000', '12,000', '8,000'],
    ]);
    for (const row of memory) expect(megabytes(row[4]!)).toBeGreaterThan(10);
    // 4: one row per size; the job's own recorded duration is next to its wall time, and never longer.
    const rebuild = tableRows(section(report, '4. Full rebuild'));
    expect(rebuild.map((row) => row[0]!.split(' ')[0])).toEqual(['1,000', '5,000', '12,000']);
    for (const row of rebuild) {
      expect(Number.parseFloat(row[2]!)).toBeLessThanOrEqual(Number.parseFloat(row[1]!));
    }
    expect(rebuild[2]![0]).toMatch(/^12,000 \(all a calendar holds/);
    // 9: quick mode's 10,000 rows of one day, archived through s3rver; the archive process measured.
    const [archive] = tableRows(section(report, '9. Archiving a day of ads'));
    expect(archive![0]).toBe('10,000');
    expect(archive![2]).toMatch(/^\d+\.\d\d s$/);
    expect(megabytes(archive![6]!)).toBeGreaterThan(10);
    const targets = tableRows(section(report, 'Targets'));
    expect(targets.map((row) => row[0])).toEqual(['1', '2', '3', '4', '5', '6', '6', '6', '9', '9']);
  } else {
    expect(section(report, '1. Loader vs')).toContain('Not run this time');
    expect(section(report, '4. Full rebuild')).toContain('Not run this time');
  }
  expect(section(report, '8. Growth')).toContain('| 5. incremental refresh, time |');

  // Nothing left behind: its temporary folder (data files, the server) is gone.
  expect(readdirSync(benchTmp)).toEqual([]);
}, 90_000);

test('without psql the benchmark stops at once with one line saying what to do', async () => {
  const result = await runBench({
    BENCH_PSQL: path.join(dir, 'no-such-psql'),
    BENCH_RESULTS: path.join(dir, 'none.md'),
  });
  expect(result.code).toBe(2);
  expect(result.stderr.trim().split('\n')).toEqual([
    expect.stringMatching(/^bench: psql not found .*install the PostgreSQL client.*BENCH_PSQL/),
  ]);
});

test('an unknown comparison is refused with the usage', async () => {
  const result = await runBench({ BENCH_RESULTS: path.join(dir, 'none.md') }, ['loadr']);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('unknown comparison "loadr"');
  expect(result.stderr).toContain('usage: npm run bench');
});
