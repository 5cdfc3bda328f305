import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderReport } from '../bench/report';
import type { BenchResults } from '../bench/results';
import { readSettings } from '../bench/settings';
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

/**
 * 10 in quick mode: 5,000 generated events with the generator's rates (1% duplicates, 0.1%
 * malformed, 0.01% blank, each round(N × rate)) make 5,056 lines, and the lake's ingest must
 * have written each valid event once; the query's answers reconcile; the hour compacts to one file.
 */
function expectLakeSection(lake: string): void {
  const [ingest, phases, query, answers, compaction] = tableRows(lake);
  expect(ingest![0]).toBe('5,056');
  expect(ingest![2]).toMatch(/^\d+\.\d\d s$/);
  expect(megabytes(ingest![10]!)).toBeGreaterThan(10);
  // events written, quarantined, duplicates, blank: the manifest's, which the bench also checked.
  expect(phases!.slice(7, 11)).toEqual(['5,000', '5', '50', '1']);
  expect(query![0]).toMatch(/^`[a-z0-9_.-]+` \(\d+\)$/);
  const [raw, inLake, quarantined] = answers!
    .slice(1)
    .map((cell) => cell.split(' / ').map((v) => Number(v.replace(/,/g, ''))));
  expect(inLake![0]).toBe(inLake![1]);
  expect(raw![1]).toBe(inLake![1]! + quarantined![1]!);
  expect(compaction![0]).toMatch(/^`user_created` 2026-11-01 hour 05$/);
  expect(compaction!.slice(7)).toEqual(['1', '**pass**']);
}

/**
 * 11 in quick mode: 200 events/s for 8 s, each sent once more at 1%: what the tap saw the queue
 * accept is in the lake once, nothing else is, each event has a lag, and the step-up ran.
 */
function expectStreamSection(stream: string): void {
  const [counts, lag, memory, flushes, ...rest] = tableRows(stream);
  const pair = (cell: string): number[] => cell.split(' / ').map((v) => Number(v.replace(/,/g, '')));
  const [sentEvents, sentDuplicates, refused] = pair(counts![0]!);
  expect(sentEvents).toBe(1_600);
  expect(refused).toBe(0);
  expect(pair(counts![2]!)).toEqual([sentEvents! + sentDuplicates!, sentEvents]);
  expect(pair(counts![3]!)).toEqual([sentEvents, sentEvents]);
  expect(pair(counts![4]!)).toEqual([sentEvents, sentEvents]);
  expect(counts!.slice(5)).toEqual(['0', '**pass**', '0 / 0', '**pass**']);
  const [p50, p99, max] = lag!.slice(0, 3).map((cell) => Number.parseFloat(cell));
  expect(p50).toBeGreaterThan(0);
  expect(p50).toBeLessThanOrEqual(p99!);
  expect(p99).toBeLessThanOrEqual(max!);
  expect(lag!.slice(5)).toEqual(['0', '0']);
  expect(megabytes(memory![1]!)).toBeGreaterThan(10);
  expect(Number(flushes![0])).toBeGreaterThan(0);
  expect(flushes![1]).toBe('0');
  const [steps, raw] = [rest.slice(0, -1), rest.at(-1)!];
  expect(steps.map((row) => row[0])).toEqual(['200', '400']);
  expect(raw[0]).toBe('2,000');
  expect(Number(raw[3]!.replace(/,/g, ''))).toBeGreaterThan(0);
}

/** The URLs of 12, in order: each page as HTML and as JSON, the chart drawn anew as HTML only. */
const WEB_URLS = [
  /^`\/`$/,
  /^`\/api\/overview`$/,
  /^`\/loans`$/,
  /^`\/api\/loans`$/,
  /^`\/loans\?from=\d{4}-\d\d-\d\d&to=\d{4}-\d\d-\d\d`$/,
  /^`\/api\/loans\?from=\d{4}-\d\d-\d\d&to=\d{4}-\d\d-\d\d`$/,
  /^`\/loans\?from=\d{4}-\d\d-\d\d&to=\d{4}-\d\d-\d\d …`$/,
  /^`\/loans\?page=1000`$/,
  /^`\/api\/loans\?page=1000`$/,
  /^`\/runs`$/,
  /^`\/api\/runs`$/,
  /^`\/runs\?workflow=default_liquidation_rolling_avg_hist&status=failed`$/,
  /^`\/api\/runs\?workflow=default_liquidation_rolling_avg_hist&status=failed`$/,
  /^`\/runs\/[0-9a-f]{12}\/detail`$/,
  /^`\/api\/runs\/[0-9a-f]{12}`$/,
  /^`\/loads`$/,
  /^`\/api\/loads`$/,
  /^`\/ads`$/,
  /^`\/api\/ads`$/,
  /^`\/lake`$/,
  /^`\/api\/lake`$/,
];

/**
 * 12 in quick mode: 1,000 runs (some failed) and 20,000 days (one in 25 without a ratio) seeded;
 * every URL answered, its times are numbers, the server's own time within the client's, each
 * judged; the server's memory measured.
 */
function expectWebSection(web: string): void {
  const [seeded, ...pages] = tableRows(web);
  const [runs, failed, workflows] = /^([\d,]+) \(([\d,]+)\) \/ (\d+)$/
    .exec(seeded![0]!)!
    .slice(1)
    .map((v) => Number(v.replace(/,/g, '')));
  expect(runs).toBe(1_000);
  expect(failed).toBeGreaterThan(0);
  expect(workflows).toBeGreaterThan(1);
  expect(Number(seeded![1]!.replace(/,/g, ''))).toBeGreaterThan(runs!);
  expect(seeded![2]).toBe('20,000 (800)');
  expect(pages.map((row) => row[1])).toEqual(WEB_URLS.map((url) => expect.stringMatching(url)));
  const medianP95 = (cell: string): number[] => {
    const match = /^(\d+\.\d) \/ (\d+\.\d) ms$/.exec(cell);
    expect(match).not.toBeNull();
    return match!.slice(1).map(Number);
  };
  for (const row of pages) {
    const [psql, client, server] = row.slice(2, 5).map(medianP95);
    for (const [median, p95] of [psql!, client!, server!]) {
      expect(median).toBeGreaterThan(0);
      expect(median).toBeLessThanOrEqual(p95!);
    }
    // The server's time is a part of each request's time at the client.
    expect(server![0]).toBeLessThanOrEqual(client![0]!);
    expect(server![1]).toBeLessThanOrEqual(client![1]!);
    expect(row[7]).toMatch(/^\*\*(pass|miss)\*\*$/);
  }
  const rss = /Peak RSS of the server process \(VmHWM, at the end of the section\): (\d+\.\d) MB\./.exec(web);
  expect(Number(rss?.[1])).toBeGreaterThan(10);
  expect(web).not.toContain('Stopped short');
}

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
    '10. Event lake',
    '11. Events over a queue',
    "12. The dashboard's pages",
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
    expect(targets.map((row) => row[0])).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '6',
      '6',
      '9',
      '9',
      '10',
      '10',
      '10',
      '10',
      '11',
      '11',
      '11',
      '11',
      '11',
      '12',
    ]);
    expectWebSection(section(report, "12. The dashboard's pages"));
    const webTarget = targets.find((row) => row[0] === '12')!;
    expect(webTarget[1]).toBe('dashboard pages at 1,000 runs and 20,000 days');
    expect(webTarget[3]).toMatch(/^slowest `\/[^`]*`: p95 \d+\.\d ms \(server \d+\.\d ms\)/);
    expect(webTarget[4]).toMatch(/^\*\*(pass|miss)\*\*$/);
  } else {
    expect(section(report, '1. Loader vs')).toContain('Not run this time');
    expect(section(report, '4. Full rebuild')).toContain('Not run this time');
  }
  expect(section(report, '8. Growth')).toContain('| 5. incremental refresh, time |');
  expectLakeSection(section(report, '10. Event lake'));
  expectStreamSection(section(report, '11. Events over a queue'));

  // Nothing left behind: its temporary folder (data files, the server) is gone.
  expect(readdirSync(benchTmp)).toEqual([]);
}, 200_000);

/** The block of one section, its markers included, or undefined. */
function block(report: string, key: string): string | undefined {
  return new RegExp(`<!-- bench:section ${key} \\S+ -->\n[\\s\\S]*?\n<!-- bench:section-end ${key} -->`).exec(
    report,
  )?.[0];
}

test('a run of some comparisons keeps the sections and target rows of the others from the report as it was', async () => {
  const results = path.join(dir, 'KEPT.md');
  const earlierLake =
    '<!-- bench:section lake 2026-01-01T00:00:00.000Z -->\n## 10. Event lake\n\nlake numbers of January\n' +
    '<!-- bench:section-end lake -->';
  const earlierLakeTarget = '| 10 | lake ingest lines/s vs … | ≥ 0.7× | 0.75× | **pass** |';
  writeFileSync(
    results,
    [
      '# Benchmark results\n\nIntro by a person.\n\n<!-- bench:begin -->',
      '_Generated by an earlier run._',
      '## Targets\n\n| # | what | target | measured | result |\n| --- | --- | --- | --- | --- |',
      '| 3 | reload of January | ≥ 10× faster | 2.00× | **miss** |',
      `${earlierLakeTarget}\n`,
      '<!-- bench:section reload 2026-01-01T00:00:00.000Z -->\n## 3. Reloading an unchanged file\n\nreload numbers of January\n<!-- bench:section-end reload -->\n',
      `${earlierLake}\n`,
      '<!-- bench:end -->\n\n## Notes\n\nAnalysis by a person.\n',
    ].join('\n'),
  );

  const first = await runBench({ BENCH_QUICK: '1', BENCH_RESULTS: results }, ['reload']);
  expect(first.code).toBe(0);
  const afterReload = readFileSync(results, 'utf8');
  expect(afterReload).toContain('Intro by a person.');
  expect(afterReload).toContain('Analysis by a person.');
  // lake was not run: its section and its target row are the earlier ones, byte for byte.
  expect(block(afterReload, 'lake')).toBe(earlierLake);
  expect(afterReload.split('\n')).toContain(earlierLakeTarget);
  expect(afterReload).toMatch(
    /\*\*Partial run\*\*: .*copied from the earlier report: lake from the run of 2026-01-01T00:00:00\.000Z/,
  );
  // reload was: measured anew, dated with this run.
  expect(afterReload).not.toContain('reload numbers of January');
  expect(afterReload).not.toContain('reload of January');
  const reload = block(afterReload, 'reload')!;
  expect(reload).toMatch(/^<!-- bench:section reload \d{4}-\d\d-\d\dT[\d:.]+Z -->\n## 3\. Reloading/);
  expect(reload).not.toContain('2026-01-01T00:00:00.000Z');
  const reloadTarget = afterReload.split('\n').find((line) => line.startsWith('| 3 | '))!;
  expect(reloadTarget).toMatch(/^\| 3 \| reload of an unchanged 5,000-row file/);
  // What was neither run now nor in the earlier report says so, and has no markers to be kept by.
  expect(section(afterReload, '1. Loader vs')).toContain('Not run this time');
  expect(block(afterReload, 'loader')).toBeUndefined();

  // Once more with another comparison: the reload section written above is kept as written.
  const second = await runBench({ BENCH_QUICK: '1', BENCH_RESULTS: results }, ['incremental']);
  expect(second.code).toBe(0);
  const afterIncremental = readFileSync(results, 'utf8');
  expect(block(afterIncremental, 'reload')).toBe(reload);
  expect(block(afterIncremental, 'lake')).toBe(earlierLake);
  expect(block(afterIncremental, 'incremental')).toMatch(/## 5\. Incremental refresh/);
  const targets = tableRows(section(afterIncremental, 'Targets'));
  expect(targets.map((row) => row[0])).toEqual([
    ...['1', '2', '3', '4', '5', '6', '6', '6', '9', '9', '10'],
    ...['11', '11', '11', '11', '11', '12'],
  ]);
  expect(afterIncremental.split('\n')).toContain(reloadTarget);
  expect(readdirSync(benchTmp)).toEqual([]);
}, 90_000);

test('a report written before the sections had markers keeps its numbered sections by their headings', () => {
  const earlier = [
    '# Benchmark results\n\n<!-- bench:begin -->',
    '_Generated by `npm run bench` on 2026-01-01T00:00:00.000Z in 19.0 min. Everything …_',
    '## Targets\n\n| # | what | target | measured | result |\n| --- | --- | --- | --- | --- |',
    '| 1 | loader of January | ≥ 0.8× | 0.87× | **pass** |\n| 2 | loader memory of January | < 150 MB | 120.5 MB | **pass** |',
    '| 3 | reload of January | ≥ 10× faster | 15× | **pass** |\n',
    '## 1. Loader vs `psql \\copy`\n\nloader of January\n\n## 2. Loader memory\n\nmemory of January',
    '## 3. Reloading an unchanged file\n\nreload of January',
    '## 4. Full rebuild\n\n_Not run this time (not selected)._',
    '## How it was measured\n\nas before\n\n<!-- bench:end -->\n',
  ].join('\n\n');
  const notSelected = { status: 'not selected' } as const;
  const results: BenchResults = {
    loader: notSelected,
    reload: notSelected,
    rebuild: notSelected,
    incremental: notSelected,
    soak: notSelected,
    scheduler: notSelected,
    adsArchive: notSelected,
    lake: notSelected,
    stream: notSelected,
    web: notSelected,
  };
  const report = renderReport(
    {
      settings: readSettings(['lake'], { BENCH_QUICK: '1' }),
      machine: { cpu: 'cpu', cores: 2, memoryBytes: 2 ** 30, os: 'os', kernel: 'k', node: 'v20', psql: 'psql' },
      serverVersion: '18',
      serverDescription: 'embedded',
      command: 'npm run bench -- lake',
      startedAt: new Date('2026-02-01T00:00:00.000Z'),
      durationMs: 60_000,
      results,
    },
    earlier,
  );
  // 1 and 2 are one comparison's (loader), kept together under the earlier run's date.
  expect(block(report, 'loader')).toBe(
    '<!-- bench:section loader 2026-01-01T00:00:00.000Z -->\n## 1. Loader vs `psql \\copy`\n\nloader of January\n\n' +
      '## 2. Loader memory\n\nmemory of January\n<!-- bench:section-end loader -->',
  );
  expect(block(report, 'reload')).toMatch(/^<!-- bench:section reload 2026-01-01T00:00:00\.000Z -->\n## 3\. /);
  // What the earlier run had not run is not kept: it is rendered as not run, without markers.
  expect(block(report, 'rebuild')).toBeUndefined();
  expect(section(report, '4. Full rebuild')).toContain('Not run this time');
  expect(tableRows(section(report, 'Targets')).map((row) => row[1])).toEqual([
    'loader of January',
    'loader memory of January',
    'reload of January',
    'full rebuild vs CREATE TABLE AS',
    expect.stringMatching(/^incremental/),
    expect.stringMatching(/^full refresh/),
    expect.stringMatching(/^table \+ index/),
    expect.stringMatching(/^one full refresh/),
    expect.stringMatching(/^ads_archive/),
    expect.stringMatching(/^ads_archive/),
    expect.stringMatching(/^lake ingest/),
    expect.stringMatching(/^lake ingest/),
    expect.stringMatching(/^lake query/),
    expect.stringMatching(/^an hour of one type/),
    expect.stringMatching(/^events lost/),
    expect.stringMatching(/^events twice/),
    expect.stringMatching(/^p99 lag/),
    expect.stringMatching(/^consumer RSS/),
    expect.stringMatching(/^highest sustained rate/),
    expect.stringMatching(/^dashboard pages at/),
  ]);
});

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
