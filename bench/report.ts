import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { APPENDED_DAYS } from './compareJobs';
import { JOB_TIMEOUT_SECONDS, PLAIN_LOANS } from './commands';
import type { Machine } from './machine';
import { definedValues, median, percentile, type Sample } from './pairs';
import { ADS_DAY_QUERY } from './compareAdsArchive';
import { LAKE_DAY, QUERY_HOURS, SMALL_FILES } from './compareLake';
import { BACKLOG_SECONDS } from './compareStream';
import { WEB_WORKFLOW, WEB_ZOOM_DAYS } from './compareWeb';
import type {
  AdsArchiveResult,
  BackToBack,
  BenchResults,
  JobSize,
  LakeResult,
  CpuShares,
  LoaderSize,
  LoansCsvRefreshes,
  Outcome,
  SoakResult,
  StreamResult,
  StreamSteadyPart,
  StreamStep,
  WebPageResult,
} from './results';
import { COMPARISONS, LOANS_CSV_REFRESHES, SOAK_REFRESHES, type BenchSettings, type ComparisonName } from './settings';

/**
 * Writes bench/RESULTS.md. Only what lies between the markers is generated: a person's analysis
 * written above or below them survives every run. Inside, each comparison's section lies between
 * markers of its own, dated with the run that measured it: a run of some comparisons copies the
 * sections of the others, and their lines of the targets table, from the file as it was.
 */

export const BEGIN = '<!-- bench:begin -->';
export const END = '<!-- bench:end -->';

export interface ReportInput {
  settings: BenchSettings;
  machine: Machine;
  serverVersion: string;
  serverDescription: string;
  command: string;
  startedAt: Date;
  durationMs: number;
  results: BenchResults;
}

// Targets of issue 5, judged at the middle size (2,000,000 rows by default).
const TARGET = {
  loaderVsPsql: 0.8,
  peakRssMb: 150,
  reloadSpeedup: 10,
  // Was 1.3×, set while a full refresh wrote only the rows whose numbers changed (over unchanged
  // data, none). Every full refresh now rewrites every row to stamp created_at (migration 0010): an
  // UPDATE of the whole table, its WAL included, that a CREATE TABLE AS into a new table does not pay.
  rebuildVsCtas: 2.0,
  incrementalSpeedup: 50,
  // Item 6, set with 4's 2.0×: rewriting every row back to back must neither slow the refreshes
  // down nor grow the table (fillfactor 50 makes it twice a packed table by design, plus its index).
  soakLastVsSecond: 1.2,
  soakBytesVsCtas: 2.5,
  loansCsvRefreshMs: 100,
  // Issue 10: archiving a day against dumping it with psql through gzip, and the archive's memory.
  adsArchiveVsPsql: 2.0,
  adsArchivePeakRssMb: 200,
  // Issue 11: the lake's ingest (validation, quarantine, dedupe, catalog) against DuckDB's bare
  // COPY … PARTITION_BY, its memory, its query against DuckDB over the raw file, and compaction.
  lakeIngestVsDuckdb: 0.7,
  lakeIngestPeakRssBytes: 1024 ** 3,
  lakeQuerySpeedup: 20,
  lakeCompactedFiles: 1,
  // Issue 12: events over a queue at a steady rate: nothing lost or twice, the lag bounded by the
  // flush age plus this, and the consumer's memory flat (last minute's max against the second's).
  streamLagSlackMs: 10_000,
  streamRssGrowth: 1.1,
  // Issue 13: every page of the dashboard, HTML and JSON, with 10,000 runs and 2,000,000 days.
  webPageMs: 200,
};

const MB = 1048576;
const n = (value: number): string => value.toLocaleString('en-US');
const s = (ms: number): string =>
  Number.isNaN(ms) ? '—' : ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(1)} s`;
// Milliseconds: an incremental refresh takes tens of them, too few for seconds with two decimals.
const ms = (value: number): string => (Number.isNaN(value) ? '—' : `${value.toFixed(0)} ms`);
// One decimal: 150.4 MB must not read as 150 MB next to a "< 150 MB" miss.
const mb = (bytes: number | undefined): string =>
  bytes === undefined || Number.isNaN(bytes) ? '—' : `${(bytes / MB).toFixed(1)} MB`;
// Files and bytes written: KB below a megabyte, where one decimal of MB would read 0.0.
const size = (bytes: number): string =>
  Number.isNaN(bytes) ? '—' : bytes < MB ? `${(bytes / 1024).toFixed(0)} KB` : `${(bytes / MB).toFixed(1)} MB`;
const times = (ratio: number): string =>
  Number.isFinite(ratio) ? `${ratio < 10 ? ratio.toFixed(2) : ratio.toFixed(0)}×` : '—';
const perSecond = (rows: number, ms: number): string => (Number.isNaN(ms) ? '—' : n(Math.round(rows / (ms / 1000))));
const pass = (ok: boolean | undefined): string => (ok === undefined ? '—' : ok ? '**pass**' : '**miss**');

const wall = (samples: readonly Sample[]): number => median(samples.map((sample) => sample.wallMs));
const recorded = (samples: readonly Sample[]): number =>
  median(definedValues(samples.map((sample) => sample.recordedMs)));
const peak = (samples: readonly Sample[]): number | undefined => {
  const values = definedValues(samples.map((sample) => sample.peakRssBytes));
  return values.length === 0 ? undefined : Math.max(...values);
};

/** Ratio of each pair, `ratio(a, b)`, for the pairs where both sides ran. */
function pairRatios(a: readonly Sample[], b: readonly Sample[], ratio: (a: Sample, b: Sample) => number): number[] {
  return a.slice(0, b.length).map((sample, i) => ratio(sample, b[i]!));
}

const list = (ratios: readonly number[]): string => (ratios.length === 0 ? '—' : ratios.map(times).join(', '));

const tableLine = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [tableLine(header), tableLine(header.map(() => '---')), ...rows.map(tableLine)].join('\n');
}

const NOT_SELECTED = '_Not run this time (not selected)._';

function notMeasured(outcome: Outcome<unknown>): string | undefined {
  switch (outcome.status) {
    case 'measured':
      return undefined;
    case 'not selected':
      return NOT_SELECTED;
    case 'unavailable':
      return `_Not measured: ${outcome.reason}._`;
    case 'failed':
      return `_Failed: ${outcome.reason}_`;
  }
}

const middle = (settings: BenchSettings): number => settings.sizes[1];

/** Said under a job table when the full rebuild was asked for explicitly. */
function fullParamsNote(sizes: readonly { fullParams: readonly string[] }[]): string {
  const params = sizes.find((size) => size.fullParams.length > 0)?.fullParams;
  return params === undefined
    ? ''
    : `\n\nThis build's job has a mode parameter: the full rebuilds ran with ${params.map((p) => `\`--param ${p}\``).join(' ')}.`;
}

function sizeError(size: { error?: string }): string {
  return size.error === undefined ? '' : `\n\n_Stopped short at this size: ${size.error}_`;
}

function loaderSection(input: ReportInput, summary: string[][]): string {
  const outcome = input.results.loader;
  const head =
    '## 1. Loader vs `psql \\copy`\n\n' +
    'The same CSV. Loader: `node dist/loader/main.js <file>` into an empty `loans` (truncated with `loads`, ' +
    '`load_rejects` and `loans_changes` before every run), its real path, with its full validation, rejects and ' +
    `upsert, and loans' change-logging triggers. psql: \`psql "<url>" -c "\\copy ${PLAIN_LOANS} FROM '<file>' WITH (FORMAT csv, HEADER true)"\`, ` +
    'into a plain table with the same columns and primary key and no trigger, made anew before every run ' +
    '(bench/sql/plain_loans.sql): the raw limit of COPY on this server, not a like-for-like load. ' +
    'Rows/s = rows in the file ÷ wall time. Ratio = loader rows/s ÷ psql rows/s of the same pair. A file with repeated days cannot be loaded by psql (primary key): the loader runs alone.\n\n';
  const missing = notMeasured(outcome);
  if (missing !== undefined || outcome.status !== 'measured') {
    summary.push(['1', 'loader rows/s vs psql \\copy into a plain table', `≥ ${TARGET.loaderVsPsql}×`, '—', '—']);
    summary.push(['2', 'loader peak RSS, any file size', `< ${TARGET.peakRssMb} MB`, '—', '—']);
    return `${head}${missing}\n\n## 2. Loader memory\n\n${missing}`;
  }
  const rows = outcome.value.map((size) => {
    const ratios = size.psql === undefined ? [] : pairRatios(size.loader, size.psql, (a, b) => b.wallMs / a.wallMs);
    const judged = size.rows === middle(input.settings) && ratios.length > 0;
    if (size.rows === middle(input.settings)) {
      summary.push([
        '1',
        `loader rows/s vs psql \\copy into a plain table, ${n(size.rows)} rows`,
        `≥ ${TARGET.loaderVsPsql}×`,
        times(median(ratios)),
        pass(judged ? median(ratios) >= TARGET.loaderVsPsql : undefined),
      ]);
    }
    return [
      n(size.rows),
      size.fileBytes < MB ? `${(size.fileBytes / 1024).toFixed(0)} KB` : `${(size.fileBytes / MB).toFixed(0)} MB`,
      s(wall(size.loader)),
      size.psql === undefined ? 'cannot (repeated days)' : s(wall(size.psql)),
      perSecond(size.rows, wall(size.loader)),
      size.psql === undefined ? '—' : perSecond(size.rows, wall(size.psql)),
      list(ratios),
      ratios.length === 0 ? '—' : times(median(ratios)),
      judged ? pass(median(ratios) >= TARGET.loaderVsPsql) : '—',
    ];
  });
  const errors = outcome.value.map(sizeError).join('');
  const loaderTable = table(
    [
      'rows',
      'file',
      'loader (median)',
      'psql \\copy (median)',
      'loader rows/s',
      'psql rows/s',
      'ratio per pair',
      'median ratio',
      `target ≥ ${TARGET.loaderVsPsql}× (at ${n(middle(input.settings))})`,
    ],
    rows,
  );
  return `${head}${loaderTable}${errors}\n\n${memorySection(outcome.value, summary)}`;
}

function memorySection(sizes: readonly LoaderSize[], summary: string[][]): string {
  let allUnder = true;
  const rows = sizes.map((size) => {
    const highest = peak(size.loader);
    const under = highest === undefined ? undefined : highest / MB < TARGET.peakRssMb;
    if (under === false) allUnder = false;
    return [
      n(size.rows),
      n(size.distinctDays),
      n(size.rows - size.distinctDays),
      size.loader.map((sample) => mb(sample.peakRssBytes)).join(', ') || '—',
      mb(highest),
      pass(under),
    ];
  });
  const measured = sizes.some((size) => peak(size.loader) !== undefined);
  summary.push([
    '2',
    `loader peak RSS at ${sizes.map((size) => n(size.rows)).join(', ')} rows`,
    `< ${TARGET.peakRssMb} MB`,
    mb(Math.max(...sizes.map((size) => peak(size.loader) ?? 0))),
    pass(measured ? allUnder : undefined),
  ]);
  return (
    '## 2. Loader memory\n\n' +
    "Peak resident memory of the loader process (VmHWM), from the first loads of item 1. Rows past the calendar's " +
    'last day repeat earlier days: the loader rejects each repeat into `load_rejects`.\n\n' +
    table(
      ['rows', 'distinct days', 'rejected (repeats)', 'peak RSS per run', 'highest', `target < ${TARGET.peakRssMb} MB`],
      rows,
    )
  );
}

function reloadSection(input: ReportInput, summary: string[][]): string {
  const outcome = input.results.reload;
  const head =
    '## 3. Reloading an unchanged file\n\n' +
    'Pairs of (first load into an empty table, the same command again on the same file without truncating). ' +
    'Ratio = first load ÷ reload.\n\n';
  const missing = notMeasured(outcome);
  if (missing !== undefined || outcome.status !== 'measured') {
    summary.push(['3', 'reload of an unchanged file vs first load', `≥ ${TARGET.reloadSpeedup}× faster`, '—', '—']);
    return head + missing;
  }
  const { rows, first, reload } = outcome.value;
  const ratios = pairRatios(first, reload, (a, b) => a.wallMs / b.wallMs);
  const ok = ratios.length > 0 ? median(ratios) >= TARGET.reloadSpeedup : undefined;
  summary.push([
    '3',
    `reload of an unchanged ${n(rows)}-row file vs first load`,
    `≥ ${TARGET.reloadSpeedup}× faster`,
    times(median(ratios)),
    pass(ok),
  ]);
  return (
    head +
    table(
      [
        'rows',
        'first load per pair',
        'reload per pair',
        'first (median)',
        'reload (median)',
        'ratio per pair',
        'median ratio',
        `target ≥ ${TARGET.reloadSpeedup}×`,
      ],
      [
        [
          n(rows),
          first.map((sample) => s(sample.wallMs)).join(', '),
          reload.map((sample) => s(sample.wallMs)).join(', '),
          s(wall(first)),
          s(wall(reload)),
          list(ratios),
          times(median(ratios)),
          pass(ok),
        ],
      ],
    ) +
    (outcome.value.summary === '' ? '' : `\n\nThe reload's own summary: \`${outcome.value.summary}\``)
  );
}

function daysLabel(size: JobSize, maxDays: number): string {
  if (size.days === size.requestedRows) return n(size.days);
  return size.days === maxDays
    ? `${n(size.days)} (all a calendar holds; ${n(size.requestedRows)} asked)`
    : `${n(size.days)} (a calendar's ${n(maxDays)} less room for the appends; ${n(size.requestedRows)} asked)`;
}

function rebuildSection(input: ReportInput, summary: string[][]): string {
  const outcome = input.results.rebuild;
  const head =
    '## 4. Full rebuild vs a bare `CREATE TABLE … AS SELECT`\n\n' +
    '`node dist/scheduler/cli.js default_liquidation_rolling_avg_hist` (build, audits and the atomic publish, run ' +
    'history) against `psql "<url>" -f bench/sql/rebuild_reference.sql`: the same result stored as the job stores ' +
    "it (build.sql's default window, trim_scale, created_at and changed_at) in one CREATE TABLE … AS SELECT " +
    '(dropped before each run). A first rebuild, not timed, publishes the table, so every timed run replaces a ' +
    'published version as the scheduled runs do. Every full refresh rewrites every row, changed or not (created_at ' +
    "is the refresh's time on all rows; migration 0010), as HOT updates in place; a CHECKPOINT before each run " +
    'keeps one from paying for the writes of the one before (item 6 runs them back to back, without). "recorded" is the duration the job wrote in `job_runs` (finished_at − started_at): the process wall time minus start-up ' +
    '(node, connecting, checking migrations). Ratio = job ÷ CREATE TABLE AS, wall times of the same pair; the ' +
    'target is judged on it.\n\n';
  const missing = notMeasured(outcome);
  if (missing !== undefined || outcome.status !== 'measured') {
    summary.push(['4', 'full rebuild vs CREATE TABLE AS', `≤ ${TARGET.rebuildVsCtas}×`, '—', '—']);
    return head + missing;
  }
  const rows = outcome.value.map((size) => {
    const ratios = pairRatios(size.a, size.b, (a, b) => a.wallMs / b.wallMs);
    const recordedRatio = recorded(size.a) / wall(size.b);
    const atMiddle = size.requestedRows === middle(input.settings);
    const verdict = atMiddle && ratios.length > 0 ? pass(median(ratios) <= TARGET.rebuildVsCtas) : '—';
    if (atMiddle) {
      summary.push([
        '4',
        `full rebuild vs CREATE TABLE AS, ${n(size.days)} days`,
        `≤ ${TARGET.rebuildVsCtas}×`,
        `${times(median(ratios))} (recorded: ${times(recordedRatio)})`,
        verdict,
      ]);
    }
    return [
      daysLabel(size, input.settings.maxDays),
      s(wall(size.a)),
      s(recorded(size.a)),
      mb(peak(size.a)),
      s(wall(size.b)),
      list(ratios),
      ratios.length === 0 ? '—' : times(median(ratios)),
      times(recordedRatio),
      verdict,
    ];
  });
  return (
    head +
    table(
      [
        'days in loans',
        'job wall (median)',
        'job recorded (median)',
        'job peak RSS',
        'CREATE TABLE AS (median)',
        'ratio per pair',
        'median ratio',
        'recorded ÷ CREATE TABLE AS',
        `target ≤ ${TARGET.rebuildVsCtas}× (at ${n(middle(input.settings))})`,
      ],
      rows,
    ) +
    outcome.value.map(sizeError).join('') +
    fullParamsNote(outcome.value)
  );
}

function incrementalSection(input: ReportInput, summary: string[][]): string {
  const outcome = input.results.incremental;
  const head =
    `## 5. Incremental refresh after ${APPENDED_DAYS} new days\n\n` +
    `Before each run, ${APPENDED_DAYS} new days are appended to \`loans\` (not timed; bench/sql/append_days.sql). ` +
    'A: `node dist/scheduler/cli.js default_liquidation_rolling_avg_hist --param mode=incremental`; B: the same ' +
    'command without it, a full rebuild. Untimed first: a full rebuild, then one incremental refresh. ' +
    'Ratio = full ÷ incremental, wall times of the same pair; "recorded ratio" = the same with the durations the ' +
    'job wrote in `job_runs`, which is what the scheduler pays for a run (it runs them in its own process). Both ' +
    "are judged: the command's wall time also holds ~0.13 s of starting Node and loading modules, more than the " +
    'incremental refresh itself, so by wall time no refresh run as a new process can be 50× faster than a ~5 s ' +
    'rebuild. The largest size starts a few days short of the calendar so that every append still fits.\n\n';
  const missing = notMeasured(outcome);
  if (missing !== undefined || outcome.status !== 'measured') {
    summary.push([
      '5',
      `incremental after ${APPENDED_DAYS} new days vs full rebuild`,
      `≥ ${TARGET.incrementalSpeedup}× faster`,
      '—',
      outcome.status === 'unavailable' ? 'not available' : '—',
    ]);
    return head + missing;
  }
  const rows = outcome.value.map((size) => {
    const ratios = pairRatios(size.a, size.b, (a, b) => b.wallMs / a.wallMs);
    const recordedRatios = pairRatios(size.a, size.b, (a, b) => (b.recordedMs ?? NaN) / (a.recordedMs ?? NaN));
    const recordedRatio = median(recordedRatios);
    const judged = size.requestedRows === middle(input.settings) && ratios.length > 0 && !Number.isNaN(recordedRatio);
    if (size.requestedRows === middle(input.settings)) {
      summary.push([
        '5',
        `incremental after ${APPENDED_DAYS} new days vs full rebuild, ${n(size.days)} days`,
        `≥ ${TARGET.incrementalSpeedup}× faster`,
        `${times(recordedRatio)} by the run's duration; ${times(median(ratios))} by the command's wall time`,
        judged
          ? `${pass(recordedRatio >= TARGET.incrementalSpeedup)} by the run's duration; ` +
            `${pass(median(ratios) >= TARGET.incrementalSpeedup)} by wall time`
          : '—',
      ]);
    }
    return [
      daysLabel(size, input.settings.maxDays),
      `${s(wall(size.a))} / ${ms(recorded(size.a))}`,
      mb(peak(size.a)),
      `${s(wall(size.b))} / ${ms(recorded(size.b))}`,
      list(ratios),
      ratios.length === 0 ? '—' : times(median(ratios)),
      `${list(recordedRatios)} → ${times(recordedRatio)}`,
      judged
        ? `${pass(recordedRatio >= TARGET.incrementalSpeedup)} (run), ${pass(median(ratios) >= TARGET.incrementalSpeedup)} (wall)`
        : '—',
    ];
  });
  return (
    head +
    table(
      [
        'days in loans before the appends',
        'incremental wall / recorded (median)',
        'incremental peak RSS',
        'full wall / recorded (median)',
        'ratio per pair',
        'median ratio',
        'recorded ratio per pair → median',
        `target ≥ ${TARGET.incrementalSpeedup}× (at ${n(middle(input.settings))})`,
      ],
      rows,
    ) +
    outcome.value.map(sizeError).join('') +
    fullParamsNote(outcome.value)
  );
}

/** The last refresh of the series against the 2nd (the first builds from empty); undefined if it stopped short. */
function lastVsSecond(soak: BackToBack, planned: number): { recorded: number; wall: number } | undefined {
  const [second, last] = [soak.runs[1], soak.runs[planned - 1]];
  if (soak.runs.length !== planned || second === undefined || last === undefined) return undefined;
  return { recorded: (last.recordedMs ?? NaN) / (second.recordedMs ?? NaN), wall: last.wallMs / second.wallMs };
}

/** The published table and its index after the last refresh, against the bare CREATE TABLE AS. */
function bytesVsReference(soak: BackToBack): number | undefined {
  const { publishedBytesAfterLast: published, referenceBytes: reference } = soak;
  return published === undefined || reference === undefined ? undefined : published / reference;
}

function loansCsvMedian(refreshes: LoansCsvRefreshes, planned: number): number | undefined {
  return refreshes.runs.length === planned ? recorded(refreshes.runs) : undefined;
}

/** The soak's lines of the targets table, dashes where nothing was measured. */
function soakTargets(settings: BenchSettings, soak: SoakResult | undefined): string[][] {
  const runs = settings.soakRefreshes;
  const days = n(soak?.backToBack.days ?? Math.min(middle(settings), settings.maxDays));
  const slowdown = soak && lastVsSecond(soak.backToBack, runs);
  const bytes = soak && bytesVsReference(soak.backToBack);
  const small = soak && loansCsvMedian(soak.loansCsv, settings.loansCsvRefreshes);
  const judge = (value: number | undefined, ok: (v: number) => boolean): string =>
    pass(value === undefined || Number.isNaN(value) ? undefined : ok(value));
  return [
    [
      '6',
      `full refresh ${runs} vs refresh 2, back to back, ${days} days (recorded duration)`,
      `≤ ${TARGET.soakLastVsSecond}×`,
      slowdown === undefined ? '—' : `${times(slowdown.recorded)} (wall: ${times(slowdown.wall)})`,
      judge(slowdown?.recorded, (v) => v <= TARGET.soakLastVsSecond),
    ],
    [
      '6',
      `table + index after ${runs} refreshes vs a fresh CREATE TABLE AS, ${days} days`,
      `≤ ${TARGET.soakBytesVsCtas}×`,
      bytes === undefined ? '—' : times(bytes),
      judge(bytes, (v) => v <= TARGET.soakBytesVsCtas),
    ],
    [
      '6',
      `one full refresh of data/loans.csv, median of ${settings.loansCsvRefreshes} (recorded duration)`,
      `< ${TARGET.loansCsvRefreshMs} ms`,
      small === undefined ? '—' : ms(small),
      judge(small, (v) => v < TARGET.loansCsvRefreshMs),
    ],
  ];
}

/** Said next to the count when quick mode made fewer refreshes than the item asks for. */
function fewerRefreshes(planned: number, asked: number): string {
  return planned < asked ? ` (**quick mode: ${asked} in a full run**)` : '';
}

function backToBackPart(settings: BenchSettings, soak: BackToBack): string {
  const planned = settings.soakRefreshes;
  const slowdown = lastVsSecond(soak, planned);
  const bytes = bytesVsReference(soak);
  const [second, last] = [soak.runs[1], soak.runs[planned - 1]];
  const both = (sample: Sample | undefined): string =>
    sample === undefined ? '—' : `${ms(sample.recordedMs ?? NaN)} / ${s(sample.wallMs)}`;
  const durations = table(
    [
      'days',
      'refreshes',
      'refresh 2 recorded / wall',
      `refresh ${planned} recorded / wall`,
      `${planned} ÷ 2, recorded`,
      `${planned} ÷ 2, wall`,
      `target ≤ ${TARGET.soakLastVsSecond}× (recorded)`,
    ],
    [
      [
        n(soak.days),
        `${soak.runs.length}${fewerRefreshes(planned, SOAK_REFRESHES)}`,
        both(second),
        both(last),
        times(slowdown?.recorded ?? NaN),
        times(slowdown?.wall ?? NaN),
        pass(slowdown === undefined ? undefined : slowdown.recorded <= TARGET.soakLastVsSecond),
      ],
    ],
  );
  const everyRun =
    `Every refresh in order, the first building the table from empty — recorded: ` +
    `${soak.runs.map((run) => run.recordedMs ?? '—').join(', ')} ms; wall: ` +
    `${soak.runs.map((run) => (run.wallMs / 1000).toFixed(2)).join(', ')} s.`;
  const sizes = table(
    [
      'table + index after refresh 1',
      `after refresh ${planned}`,
      'fresh CREATE TABLE AS',
      `after ${planned} ÷ CREATE TABLE AS`,
      `target ≤ ${TARGET.soakBytesVsCtas}×`,
      'CREATE TABLE AS + primary key (not judged)',
      `after ${planned} ÷ it`,
    ],
    [
      [
        mb(soak.publishedBytesAfterFirst),
        mb(soak.publishedBytesAfterLast),
        mb(soak.referenceBytes),
        times(bytes ?? NaN),
        pass(bytes === undefined ? undefined : bytes <= TARGET.soakBytesVsCtas),
        mb(soak.referenceWithKeyBytes),
        times((soak.publishedBytesAfterLast ?? NaN) / (soak.referenceWithKeyBytes ?? NaN)),
      ],
    ],
  );
  return `${durations}\n\n${everyRun}\n\n${sizes}${hotNote(soak)}${sizeError(soak)}`;
}

function hotNote(soak: BackToBack): string {
  const updates = soak.updates;
  if (updates === undefined) return '';
  const share = updates.rows > 0 ? ` (${((updates.hot / updates.rows) * 100).toFixed(1)} %)` : '';
  return (
    `\n\nOver the ${soak.runs.length} refreshes the published table had ${n(updates.rows)} row updates, ` +
    `${n(updates.hot)} of them HOT${share}, and autovacuum processed it ${n(updates.autovacuums)} times: from ` +
    '`pg_stat_user_tables`, read a second after the last refresh, and approximate (each backend reports its ' +
    'counts asynchronously).'
  );
}

function loansCsvPart(settings: BenchSettings, refreshes: LoansCsvRefreshes): string {
  const planned = settings.loansCsvRefreshes;
  const median = loansCsvMedian(refreshes, planned);
  return (
    table(
      [
        'data/loans.csv, days',
        'refreshes',
        'recorded per refresh',
        'median recorded',
        'median wall',
        `target < ${TARGET.loansCsvRefreshMs} ms`,
      ],
      [
        [
          n(refreshes.days),
          `${refreshes.runs.length}${fewerRefreshes(planned, LOANS_CSV_REFRESHES)}`,
          refreshes.runs.length === 0 ? '—' : `${refreshes.runs.map((run) => run.recordedMs ?? '—').join(', ')} ms`,
          ms(recorded(refreshes.runs)),
          s(wall(refreshes.runs)),
          pass(median === undefined ? undefined : median < TARGET.loansCsvRefreshMs),
        ],
      ],
    ) + sizeError(refreshes)
  );
}

function soakSection(input: ReportInput, summary: string[][]): string {
  const outcome = input.results.soak;
  const head =
    '## 6. Full refreshes back to back\n\n' +
    `${input.settings.soakRefreshes} full refreshes (\`node dist/scheduler/cli.js default_liquidation_rolling_avg_hist\`, ` +
    'each a new process) one right after the other on one database at the middle size, with no CHECKPOINT or ' +
    'VACUUM forced between them: what the scheduler does every minute, with autovacuum as the server has it ' +
    'configured. The first builds the table from empty; each later one rewrites every row. Judged: the last ' +
    'refresh against the 2nd by the duration recorded in `job_runs` (wall time shown too), and, after the last, ' +
    'the published table with its index (`pg_total_relation_size`) against a fresh CREATE TABLE AS of the same ' +
    'result (bench/sql/rebuild_reference.sql), which has no index and packed pages where the published table ' +
    'keeps half of each page free (fillfactor 50). The same fresh table with the primary key is shown beside it, ' +
    'not judged. Last, data/loans.csv (the real file): after one refresh not timed, ' +
    `${input.settings.loansCsvRefreshes} full refreshes back to back, judged on the median recorded duration.\n\n`;
  const missing = notMeasured(outcome);
  const measured = outcome.status === 'measured' ? outcome.value : undefined;
  summary.push(...soakTargets(input.settings, measured));
  if (missing !== undefined || measured === undefined) return head + missing;
  return (
    `${head}${backToBackPart(input.settings, measured.backToBack)}\n\n${loansCsvPart(input.settings, measured.loansCsv)}` +
    fullParamsNote([measured.backToBack])
  );
}

function schedulerSection(input: ReportInput): string {
  const outcome = input.results.scheduler;
  const head =
    '## 7. Scheduler\n\n' +
    '`node dist/scheduler/main.js`, two at once, each on its own database holding data/loans.csv (620 days), ' +
    'watched after the run each makes at start. Idle: a yearly schedule that cannot fire during the watch. ' +
    'Busy: every second (`* * * * * *`). RSS (VmRSS) and CPU time (utime + stime of /proc/<pid>/stat) sampled ' +
    'once a second. Lateness of a run = its `job_runs.started_at` (set when the run is claimed, just before its ' +
    'first task) minus its scheduled second (`job_runs.scheduled_for`).\n\n';
  const missing = notMeasured(outcome);
  if (missing !== undefined || outcome.status !== 'measured') return head + missing;
  const r = outcome.value;
  const rss = (values: readonly number[]): string =>
    values.length === 0 ? '—' : `${mb(Math.min(...values))} / ${mb(median(values))} / ${mb(Math.max(...values))}`;
  const late = r.busy.lateMs;
  const missed = r.busy.expectedRuns - r.busy.runsInWindow;
  return (
    head +
    `Watched for ${r.seconds} s${r.seconds < 600 ? ' (**shorter than the 10 minutes of the issue**)' : ''}.\n\n` +
    table(
      ['process', 'schedule', 'RSS min / median / max', 'mean CPU', 'scheduled runs in the window'],
      [
        [
          'idle',
          `\`${r.idle.schedule}\``,
          rss(r.idle.rssBytes),
          `${r.idle.cpuPercent.toFixed(2)} %`,
          n(r.idle.runsInWindow),
        ],
        [
          'every second',
          `\`${r.busy.schedule}\``,
          rss(r.busy.rssBytes),
          `${r.busy.cpuPercent.toFixed(2)} %`,
          n(r.busy.runsInWindow),
        ],
      ],
    ) +
    '\n\n' +
    table(
      [
        'start lateness p50',
        'p99',
        'max',
        'runs',
        'expected',
        'missed',
        'failed',
        '"tick missed" / skipped lines in cron.log',
      ],
      [
        [
          `${percentile(late, 0.5).toFixed(1)} ms`,
          `${percentile(late, 0.99).toFixed(1)} ms`,
          late.length === 0 ? '—' : `${Math.max(...late).toFixed(1)} ms`,
          n(r.busy.runsInWindow),
          n(r.busy.expectedRuns),
          n(Math.max(0, missed)),
          n(r.busy.failedRuns),
          `${r.busy.missedWarnings} / ${r.busy.skippedWarnings}`,
        ],
      ],
    )
  );
}

function growthSection(input: ReportInput): string {
  const { sizes } = input.settings;
  const { loader, rebuild, incremental } = input.results;
  const bySize = <T extends { requestedRows?: number; rows?: number }>(
    outcome: Outcome<T[]>,
    rows: number,
  ): T | undefined =>
    outcome.status === 'measured' ? outcome.value.find((v) => (v.requestedRows ?? v.rows) === rows) : undefined;
  const line = (
    label: string,
    value: (rows: number) => number | undefined,
    format: (v: number) => string,
  ): string[] => {
    const values = sizes.map(value);
    const growth = (i: number): string => {
      const from = values[i];
      const to = values[i + 1];
      return from === undefined || to === undefined || Number.isNaN(from) || Number.isNaN(to) || from === 0
        ? '—'
        : times(to / from);
    };
    return [label, ...values.map((v) => (v === undefined || Number.isNaN(v) ? '—' : format(v))), growth(0), growth(1)];
  };
  const loaderAt = (rows: number): LoaderSize | undefined => bySize(loader, rows);
  const jobAt = (outcome: Outcome<JobSize[]>, rows: number): JobSize | undefined => bySize(outcome, rows);
  const rows = [
    line('1. loader, time', (r) => (loaderAt(r)?.loader.length ? wall(loaderAt(r)!.loader) : undefined), s),
    line('1. loader, peak RSS', (r) => peak(loaderAt(r)?.loader ?? []), mb),
    line('1. psql \\copy, time', (r) => (loaderAt(r)?.psql?.length ? wall(loaderAt(r)!.psql!) : undefined), s),
    line('4. job full rebuild, time', (r) => (jobAt(rebuild, r)?.a.length ? wall(jobAt(rebuild, r)!.a) : undefined), s),
    line('4. job full rebuild, peak RSS', (r) => peak(jobAt(rebuild, r)?.a ?? []), mb),
    line('4. CREATE TABLE AS, time', (r) => (jobAt(rebuild, r)?.b.length ? wall(jobAt(rebuild, r)!.b) : undefined), s),
    line(
      '5. incremental refresh, time',
      (r) => (jobAt(incremental, r)?.a.length ? wall(jobAt(incremental, r)!.a) : undefined),
      s,
    ),
    line('5. incremental refresh, peak RSS', (r) => peak(jobAt(incremental, r)?.a ?? []), mb),
    line(
      '5. full rebuild after the append, time',
      (r) => (jobAt(incremental, r)?.b.length ? wall(jobAt(incremental, r)!.b) : undefined),
      s,
    ),
  ];
  const largest = sizes[2];
  const capped = largest > input.settings.maxDays;
  return (
    '## 8. Growth\n\n' +
    'Medians of the runs above, by size; the last two columns say how much each cost grew from one size to the next. ' +
    'Peak RSS is the measured process only (the PostgreSQL backend doing the work is not counted).' +
    (capped
      ? ` At ${n(largest)} rows, 4 and 5 run on the largest \`loans\` a calendar allows (${n(input.settings.maxDays)} days, ` +
        `a few days fewer for 5), and psql cannot load the file (repeated days).`
      : '') +
    '\n\n' +
    table(
      ['', ...sizes.map((r) => `${n(r)} rows`), `${n(sizes[0])} → ${n(sizes[1])}`, `${n(sizes[1])} → ${n(largest)}`],
      rows,
    )
  );
}

function adsArchiveTable(r: AdsArchiveResult, summary: string[][]): string {
  const ratios = pairRatios(r.psql, r.archive, (a, b) => b.wallMs / a.wallMs);
  const ratioOk = ratios.length > 0 ? median(ratios) <= TARGET.adsArchiveVsPsql : undefined;
  const highest = peak(r.archive);
  const rssOk = highest === undefined ? undefined : highest / MB < TARGET.adsArchivePeakRssMb;
  summary.push(
    [
      '9',
      `ads_archive of one day vs psql \\copy + gzip, ${n(r.rows)} rows`,
      `≤ ${TARGET.adsArchiveVsPsql}×`,
      times(median(ratios)),
      pass(ratioOk),
    ],
    ['9', `ads_archive peak RSS, ${n(r.rows)} rows`, `< ${TARGET.adsArchivePeakRssMb} MB`, mb(highest), pass(rssOk)],
  );
  return (
    table(
      [
        'rows',
        'psql \\copy + gzip (median)',
        'ads_archive (median)',
        'ratio per pair',
        'median ratio',
        `target ≤ ${TARGET.adsArchiveVsPsql}×`,
        'ads_archive peak RSS',
        `target < ${TARGET.adsArchivePeakRssMb} MB`,
      ],
      [
        [
          n(r.rows),
          s(wall(r.psql)),
          s(wall(r.archive)),
          list(ratios),
          times(median(ratios)),
          pass(ratioOk),
          mb(highest),
          pass(rssOk),
        ],
      ],
    ) +
    '\n\n' +
    table(
      [
        'gzip file of psql',
        'archive object',
        'ads_archive as recorded (median)',
        'ads_restore between pairs (not judged)',
      ],
      [
        [
          r.psqlGzipBytes === undefined ? '—' : mb(r.psqlGzipBytes),
          r.archiveBytes === undefined ? '—' : mb(r.archiveBytes),
          s(recorded(r.archive)),
          r.restore.length === 0 ? '—' : r.restore.map((sample) => s(sample.wallMs)).join(', '),
        ],
      ],
    ) +
    sizeError(r)
  );
}

function adsArchiveSection(input: ReportInput, summary: string[][]): string {
  const outcome = input.results.adsArchive;
  const head =
    '## 9. Archiving a day of ads\n\n' +
    `One shown day of \`BENCH_ADS_ROWS\` impressions in \`ads\` (bench/sql/ads_day.sql). psql: \`psql "<url>" -c "\\copy (${ADS_DAY_QUERY}) TO STDOUT" | gzip > file\`, ` +
    'the rows as JSON through gzip, nothing else. ads_archive: `node dist/scheduler/cli.js ads_archive`, its real path: ' +
    'the same rows locked and streamed through gzip to a local S3 server (s3rver, a process of its own on the same ' +
    'machine), the object read back in full and compared, the rows deleted and the archive recorded. Between pairs ' +
    '`ads_restore` puts the rows back (untimed for the pair, shown below). Ratio = ads_archive ÷ psql of the same pair. ' +
    'Peak RSS: the ads_archive process only (not PostgreSQL, not s3rver).\n\n';
  const missing = notMeasured(outcome);
  if (missing !== undefined || outcome.status !== 'measured') {
    summary.push(
      ['9', 'ads_archive of one day vs psql \\copy + gzip', `≤ ${TARGET.adsArchiveVsPsql}×`, '—', '—'],
      ['9', 'ads_archive peak RSS', `< ${TARGET.adsArchivePeakRssMb} MB`, '—', '—'],
    );
    return head + missing;
  }
  return head + adsArchiveTable(outcome.value, summary);
}

const phaseNames = ['read', 'dedupe', 'lake_dedupe', 'write', 'publish', 'commit'] as const;

function lakeIngestTable(r: LakeResult, summary: string[][]): string {
  const part = r.ingest;
  const ratios = pairRatios(part.duckdb, part.lake, (a, b) => a.wallMs / b.wallMs);
  const ratioOk = ratios.length > 0 ? median(ratios) >= TARGET.lakeIngestVsDuckdb : undefined;
  const highest = peak(part.lake);
  const rssOk = highest === undefined ? undefined : highest < TARGET.lakeIngestPeakRssBytes;
  summary.push(
    [
      '10',
      `lake ingest lines/s vs DuckDB's bare COPY … PARTITION_BY, ${n(r.lines)} lines`,
      `≥ ${TARGET.lakeIngestVsDuckdb}×`,
      times(median(ratios)),
      pass(ratioOk),
    ],
    ['10', `lake ingest peak RSS, ${n(r.lines)} lines`, '< 1 GB', mb(highest), pass(rssOk)],
  );
  const speeds = table(
    [
      'lines',
      'file',
      'DuckDB COPY (median)',
      'lake ingest (median)',
      'DuckDB lines/s',
      'lake lines/s',
      'ratio per pair',
      'median ratio',
      `target ≥ ${TARGET.lakeIngestVsDuckdb}×`,
      'DuckDB peak RSS',
      'lake peak RSS',
      'target < 1 GB',
    ],
    [
      [
        n(r.lines),
        size(r.fileBytes),
        s(wall(part.duckdb)),
        s(wall(part.lake)),
        perSecond(r.lines, wall(part.duckdb)),
        perSecond(r.lines, wall(part.lake)),
        list(ratios),
        times(median(ratios)),
        pass(ratioOk),
        mb(peak(part.duckdb)),
        mb(highest),
        pass(rssOk),
      ],
    ],
  );
  const phases =
    part.lakeRuns.length === 0
      ? ''
      : '\n\nWhere each lake ingest spent its time (`phases_ms` of its log line), and what it wrote (its `lake_ingests` row, ' +
        "checked against the generator's manifest: lines, events = distinct valid events, quarantined = malformed, duplicates, blank):\n\n" +
        table(
          ['run', ...phaseNames, 'events written', 'quarantined', 'duplicates', 'blank', 'files', 'bytes'],
          part.lakeRuns.map((run, i) => [
            String(i + 1),
            ...phaseNames.map((phase) => s(run.phasesMs[phase] ?? NaN)),
            n(run.eventsWritten),
            n(run.quarantined),
            n(run.duplicates),
            n(run.blankLines),
            n(run.files),
            size(run.bytes),
          ]),
        );
  const duckdbOut =
    part.duckdbRows === undefined
      ? ''
      : `\n\nDuckDB's COPY wrote ${n(part.duckdbRows)} rows (every line it could read, the broken ones as NULL fields, ` +
        `duplicates included) into ${n(part.duckdbFiles ?? 0)} files, ${size(part.duckdbBytes ?? NaN)}.`;
  return speeds + phases + duckdbOut + sizeError(part);
}

function lakeQueryTable(r: LakeResult, summary: string[][]): string {
  const q = r.query;
  const ratios = pairRatios(q.duckdb, q.lake, (a, b) => a.wallMs / b.wallMs);
  const ok = ratios.length > 0 && q.error === undefined ? median(ratios) >= TARGET.lakeQuerySpeedup : undefined;
  summary.push([
    '10',
    `lake query of one type over ${QUERY_HOURS} hours vs DuckDB over the NDJSON file`,
    `≥ ${TARGET.lakeQuerySpeedup}× faster`,
    times(median(ratios)),
    pass(ok),
  ]);
  const answer = (a: { events: number; distinctIds: number } | undefined): string =>
    a === undefined ? '—' : `${n(a.events)} / ${n(a.distinctIds)}`;
  return (
    table(
      [
        'type (events of the day)',
        'created_at',
        'DuckDB over the file (median)',
        'lake query (median)',
        'ratio per pair',
        'median ratio',
        `target ≥ ${TARGET.lakeQuerySpeedup}×`,
        'lake query peak RSS',
      ],
      [
        [
          `\`${q.type}\` (${n(q.typeEvents)})`,
          `${q.from.slice(11, 16)} to ${q.to.slice(11, 16)}`,
          s(wall(q.duckdb)),
          s(wall(q.lake)),
          list(ratios),
          times(median(ratios)),
          pass(ok),
          mb(peak(q.lake)),
        ],
      ],
    ) +
    '\n\n' +
    table(
      ['answer', 'DuckDB over the file', 'the lake', 'DuckDB over the quarantined lines'],
      [['count(*) / count(DISTINCT id)', answer(q.duckdbAnswer), answer(q.lakeAnswer), answer(q.quarantinedAnswer)]],
    ) +
    sizeError(q)
  );
}

function lakeCompactionTable(r: LakeResult, summary: string[][]): string {
  const c = r.compaction;
  const last = c.filesAfter.at(-1);
  const ok =
    c.filesAfter.length === 0 || c.error !== undefined
      ? undefined
      : c.filesAfter.every((files) => files === TARGET.lakeCompactedFiles);
  summary.push([
    '10',
    `an hour of one type after compacting its ${c.sourceFiles || SMALL_FILES} files`,
    `${TARGET.lakeCompactedFiles} file`,
    last === undefined ? '—' : `${n(last)} file${last === 1 ? '' : 's'}`,
    pass(ok),
  ]);
  return (
    table(
      [
        'partition',
        'events',
        'files before (one ingest each)',
        'ingest of the files (median)',
        'compact (median)',
        'compact peak RSS',
        'bytes in → out',
        'files after',
        `target ${TARGET.lakeCompactedFiles} file`,
      ],
      [
        [
          `\`${c.type || '—'}\` ${c.date} hour ${String(c.hour).padStart(2, '0')}`,
          c.rows === undefined ? n(c.events) : n(c.rows),
          c.filesBefore.length === 0 ? '—' : c.filesBefore.map(n).join(', '),
          s(wall(c.ingests)),
          s(wall(c.compact)),
          mb(peak(c.compact)),
          c.bytesIn === undefined ? '—' : `${size(c.bytesIn)} → ${size(c.bytesOut ?? NaN)}`,
          c.filesAfter.length === 0 ? '—' : c.filesAfter.map(n).join(', '),
          pass(ok),
        ],
      ],
    ) + sizeError(c)
  );
}

function lakeSection(input: ReportInput, summary: string[][]): string {
  const outcome = input.results.lake;
  const head =
    '## 10. Event lake\n\n' +
    `One day (${LAKE_DAY}) of \`BENCH_LAKE_EVENTS\` events from the event generator (\`npm run events -- generate\`, ` +
    'its default rates of malformed, duplicate, late and blank lines), its 24 hourly files joined into one NDJSON file. ' +
    '**Ingest**: `node dist/bench/duckdbCopy.js bench/sql/lake_duckdb_copy.sql file=… out=…`, DuckDB with its defaults ' +
    '(no memory limit set) running one `COPY (SELECT … FROM read_ndjson(…, ignore_errors = true, columns = …)) TO … ' +
    '(FORMAT parquet, PARTITION_BY (type, date, hour))` that validates nothing, against `node dist/lake/main.js ingest <file>` ' +
    '(validation, quarantine byte for byte, each event once, the catalog) into a new lake folder with a new catalog database ' +
    'each run. The bare statement as first written does not get through the file: the columns must be given (lines that are ' +
    'not objects make the detection fall back to one JSON column) and a type of 300 characters fails the whole COPY ' +
    '("File name too long"), so it keeps `length(data.type) <= 100`; see the SQL file. Lines/s = lines of the file ÷ wall ' +
    'time, the same numerator for both; ratio = DuckDB wall ÷ lake wall of the same pair. Peak RSS of each process, ' +
    'DuckDB inside it. **Query**: one type of the middle rank over ' +
    `${QUERY_HOURS} hours: \`node dist/lake/main.js query "SELECT count(*) AS events, count(DISTINCT id) AS distinct_ids FROM events WHERE type = … AND created_at >= … AND created_at < …" --format csv\` ` +
    'on the lake of the last ingest, against `bench/sql/lake_duckdb_query.sql`, the same WHERE with DuckDB straight over the ' +
    'NDJSON file. The file holds duplicate deliveries and malformed lines that DuckDB reads as events, so the answers are ' +
    "reconciled, not equal: the lake's count(*) must equal its distinct ids, and DuckDB's distinct ids the lake's plus those " +
    "of DuckDB's same query over the lake's quarantined lines (raw bytes from `quarantine/`), exactly. **Compaction**: " +
    `an hour of the busiest type generated as ${SMALL_FILES} files (\`--types 1 --hours 1 --lines-per-file …\`) and ingested ` +
    'with one `ingest <folder>` (one ingest per file, untimed for the target), then `node dist/lake/main.js compact`; ' +
    'the hour must be one live file in `lake_files` after, holding every event ingested.\n\n';
  const missing = notMeasured(outcome);
  if (missing !== undefined || outcome.status !== 'measured') {
    summary.push(
      ['10', "lake ingest lines/s vs DuckDB's bare COPY … PARTITION_BY", `≥ ${TARGET.lakeIngestVsDuckdb}×`, '—', '—'],
      ['10', 'lake ingest peak RSS', '< 1 GB', '—', '—'],
      [
        '10',
        'lake query of one type over 3 hours vs DuckDB over the NDJSON file',
        `≥ ${TARGET.lakeQuerySpeedup}× faster`,
        '—',
        '—',
      ],
      ['10', 'an hour of one type after compacting its files', `${TARGET.lakeCompactedFiles} file`, '—', '—'],
    );
    return head + missing;
  }
  const r = outcome.value;
  return (
    head +
    `Generated ${n(r.events)} events, ${n(r.lines)} lines, ${size(r.fileBytes)} in ${s(r.generateMs)} (not timed).\n\n` +
    '### Ingest\n\n' +
    lakeIngestTable(r, summary) +
    '\n\n### Query\n\n' +
    lakeQueryTable(r, summary) +
    '\n\n### Compaction\n\n' +
    lakeCompactionTable(r, summary)
  );
}

/** The RSS windows of the steady run: its second minute and its last (a sixth of the run each, when shorter). */
export function rssWindows(samples: readonly number[]): { window: number; second: number[]; last: number[] } {
  const window = Math.max(1, Math.min(60, Math.floor(samples.length / 3)));
  return { window, second: samples.slice(window, 2 * window), last: samples.slice(-window) };
}

const percent = (value: number | undefined): string =>
  value === undefined || Number.isNaN(value) ? '—' : `${value.toFixed(0)} %`;
const cpuCells = (cpu: CpuShares): string[] => [percent(cpu.consumer), percent(cpu.producer), percent(cpu.queueServer)];
const secondsOrDash = (value: number | undefined): string => (value === undefined ? '—' : s(value));
const count = (value: number | undefined): string => (value === undefined ? '—' : n(value));

function streamSteadyTables(r: StreamResult, summary: string[][]): string {
  const p = r.steady;
  const lagLimitMs = r.flushMaxAgeS * 1000 + TARGET.streamLagSlackMs;
  const what = `${n(p.rate)} events/s for ${n(p.seconds)} s`;
  const reconciled = p.lost !== undefined && p.error === undefined;
  const lostOk = reconciled ? p.lost === 0 : undefined;
  const twiceOk = reconciled ? p.duplicated === 0 && p.unsent === 0 : undefined;
  const lagOk = p.lagP99Ms === undefined || p.error !== undefined ? undefined : p.lagP99Ms < lagLimitMs;
  const { window, second, last } = rssWindows(p.rssBytes);
  const growth = second.length === 0 ? NaN : Math.max(...last) / Math.max(...second);
  const rssOk = Number.isNaN(growth) || p.rssBytes.length < 3 ? undefined : growth <= TARGET.streamRssGrowth;
  const windowName = window === 60 ? 'minute' : `${window} s`;
  summary.push(
    ['11', `events lost at ${what} (sent ids not in the lake)`, '0', count(p.lost), pass(lostOk)],
    [
      '11',
      'events twice in the lake (rows − distinct ids) / in the lake but never sent',
      '0 / 0',
      p.duplicated === undefined ? '—' : `${n(p.duplicated)} / ${n(p.unsent ?? NaN)}`,
      pass(twiceOk),
    ],
    [
      '11',
      'p99 lag, created_at to committed in the lake',
      `< ${s(lagLimitMs)} (flush age ${r.flushMaxAgeS} s + 10 s)`,
      secondsOrDash(p.lagP99Ms),
      pass(lagOk),
    ],
    [
      '11',
      `consumer RSS, the last ${windowName}'s max vs the second ${windowName}'s`,
      `≤ ${TARGET.streamRssGrowth.toFixed(2)}×`,
      times(growth),
      pass(rssOk),
    ],
  );
  const sent = p.sent;
  const counts = table(
    [
      'sent: events / duplicate deliveries / refused',
      'producer events/s',
      'accepted by the queue (tap): messages / distinct ids',
      'lake (DuckDB over its files): rows / distinct ids',
      '`lake -- query`: count(*) / distinct ids',
      'lost',
      'target 0',
      'twice / never sent',
      'target 0 / 0',
    ],
    [
      [
        sent === undefined ? '—' : `${n(sent.events)} / ${n(sent.duplicates)} / ${n(sent.refused)}`,
        sent === undefined ? '—' : n(sent.eventsPerS),
        p.tapLines === undefined ? '—' : `${n(p.tapLines)} / ${n(p.tapIds ?? NaN)}`,
        p.lakeRows === undefined ? '—' : `${n(p.lakeRows)} / ${n(p.lakeIds ?? NaN)}`,
        p.lakeQuery === undefined ? '—' : `${n(p.lakeQuery.events)} / ${n(p.lakeQuery.distinctIds)}`,
        count(p.lost),
        pass(lostOk),
        p.duplicated === undefined ? '—' : `${n(p.duplicated)} / ${n(p.unsent ?? NaN)}`,
        pass(twiceOk),
      ],
    ],
  );
  const lag = table(
    [
      'lag p50',
      'p99',
      'max',
      `target p99 < ${s(lagLimitMs)}`,
      'p99 to lake_ingests.finished_at (its transaction’s start)',
      'late events left out',
      'events without a recorded commit',
    ],
    [
      [
        secondsOrDash(p.lagP50Ms),
        secondsOrDash(p.lagP99Ms),
        secondsOrDash(p.lagMaxMs),
        pass(lagOk),
        secondsOrDash(p.finishedLagP99Ms),
        count(p.late),
        count(p.lagUnknown),
      ],
    ],
  );
  const rss = (values: readonly number[]): string =>
    values.length === 0 ? '—' : `${mb(Math.min(...values))} / ${mb(median(values))} / ${mb(Math.max(...values))}`;
  const memory = table(
    [
      'consumer RSS min / median / max',
      `second ${windowName}: max`,
      `last ${windowName}: max`,
      'ratio',
      `target ≤ ${TARGET.streamRssGrowth.toFixed(2)}×`,
      'CPU: consumer',
      'producer',
      'fauxqs',
    ],
    [
      [
        rss(p.rssBytes),
        second.length === 0 ? '—' : mb(Math.max(...second)),
        last.length === 0 ? '—' : mb(Math.max(...last)),
        times(growth),
        pass(rssOk),
        ...cpuCells(p.cpu),
      ],
    ],
  );
  const f = p.flushes;
  const flushes =
    f === undefined
      ? ''
      : "\n\nThe flushes, from the consumer's own record (`stream_flushes`; duration = started_at to committed_at, " +
        'lag = committed_at − oldest_sent_at):\n\n' +
        table(
          ['flushes', 'failed', 'messages (median)', 'duration median', 'p99', 'max', 'lag median', 'lag max'],
          [
            [
              n(f.flushes),
              n(f.failed),
              n(f.messagesMedian),
              s(f.durationMedianMs),
              s(f.durationP99Ms),
              s(f.durationMaxMs),
              s(f.lagMedianMs),
              s(f.lagMaxMs),
            ],
          ],
        ) +
        dedupeLine(p.dedupeMs, p.compactions);
  const backlog =
    p.backlogAtEnd === undefined
      ? ''
      : `\n\nWhen the producer ended, the queue held ${n(p.backlogAtEnd)} messages not yet received and ` +
        `${n(p.inFlightAtEnd ?? NaN)} in flight; ` +
        (p.drainMs !== undefined
          ? `it was empty ${s(p.drainMs)} later.`
          : `it still held ${n(p.leftInQueue ?? NaN)} when the bench stopped waiting: those are not lost, ` +
            'but the counts above hold them as missing from the lake, so lost and the lag are not judged.');
  const exit =
    p.consumerExit === undefined || p.consumerExit === 0
      ? ''
      : `\n\n_The consumer exited with ${p.consumerExit ?? 'a signal'} after SIGTERM._`;
  return `${counts}${backlog}\n\n${lag}\n\n${memory}${flushes}${exit}${sizeError(p)}`;
}

/** The highest rate a step kept up with (the halfway step comes after a higher one missed). */
const highestKept = (steps: readonly StreamStep[]): StreamStep | undefined =>
  steps.filter((step) => step.keptUp).sort((a, b) => b.rate - a.rate)[0];

/** How the once-per-id read of a flush grew with the files the flushes before it left. */
function dedupeLine(ms: readonly number[], compactions: StreamSteadyPart['compactions']): string {
  if (ms.length === 0) return '';
  const ten = Math.min(10, ms.length);
  const average = (part: readonly number[]): number => part.reduce((sum, v) => sum + v, 0) / part.length;
  const compacted =
    compactions.length === 0
      ? 'none ran during this sending'
      : `\`lake -- compact\` ran at ${compactions.map((c) => `${c.atSecond} s (for ${s(c.wallMs)})`).join(', ')} of the sending, as lake_compact's schedule (every 10 minutes) would`;
  return (
    `\n\nThe lake's once-per-id read (\`lake_dedupe\` of the flushes' \`phases_ms\`: the ids of every live file of the ` +
    `partitions a flush writes, growing with the flushes since the last compaction; ${compacted}): first flush ` +
    `${s(ms[0]!)}, average of the first ${ten} ${s(average(ms.slice(0, ten)))}, of the last ${ten} ${s(average(ms.slice(-ten)))}, ` +
    `last flush ${s(ms.at(-1)!)}.`
  );
}

function streamStepTable(r: StreamResult, summary: string[][]): string {
  const steps = r.steps.steps;
  const best = highestKept(steps);
  const raw = median(r.raw.perSecond);
  const share =
    best === undefined || Number.isNaN(raw)
      ? ''
      : ` (${times(best.rate / raw)} of the bare loop's ${n(Math.round(raw))}/s)`;
  const stopped = steps.at(-1);
  const bound =
    stopped?.producerBound === true
      ? `; at ${n(stopped.rate)} the producer was the limit (${n(stopped.sent.eventsPerS)}/s), not the consumer`
      : '';
  summary.push([
    '11',
    `highest sustained rate on this machine (step-up, ${steps[0]?.seconds ?? '—'} s a step)`,
    'reported',
    best === undefined ? '—' : `${n(best.rate)} events/s${share}${bound}`,
    '—',
  ]);
  if (steps.length === 0) return `_No step ran._${sizeError(r.steps)}`;
  return (
    table(
      [
        'rate',
        'producer events/s',
        'backlog max / at the end',
        'consumer received/s',
        'drained after',
        'CPU: consumer',
        'producer',
        'fauxqs',
        'kept up',
      ],
      steps.map((step) => [
        n(step.rate),
        n(step.sent.eventsPerS),
        `${n(step.maxBacklog)} / ${n(step.endBacklog)}`,
        n(Math.round(step.receivedPerS)),
        secondsOrDash(step.drainMs),
        ...cpuCells(step.cpu),
        step.keptUp ? 'yes' : `no: ${step.verdict}`,
      ]),
    ) + sizeError(r.steps)
  );
}

function streamRawTable(r: StreamResult): string {
  const raw = r.raw;
  const best = highestKept(r.steps.steps);
  const limit = median(raw.perSecond);
  return (
    table(
      [
        'messages',
        'pollers',
        'bare receive+delete, messages/s (each run)',
        'median',
        'fauxqs CPU',
        'the consumer’s highest sustained rate',
        'share of the bare loop',
        'producer alone, as fast as it goes (events/s)',
      ],
      [
        [
          n(raw.messages),
          n(raw.pollers),
          raw.perSecond.length === 0 ? '—' : raw.perSecond.map((v) => n(Math.round(v))).join(', '),
          Number.isNaN(limit) ? '—' : n(Math.round(limit)),
          raw.serverCpu.length === 0 ? '—' : raw.serverCpu.map((v) => percent(v)).join(', '),
          best === undefined ? '—' : n(best.rate),
          best === undefined || Number.isNaN(limit) ? '—' : times(best.rate / limit),
          raw.preloads.length === 0 ? '—' : raw.preloads.map((p) => n(p.eventsPerS)).join(', '),
        ],
      ],
    ) + sizeError(raw)
  );
}

function streamSection(input: ReportInput, summary: string[][]): string {
  const outcome = input.results.stream;
  const { settings } = input;
  const head =
    '## 11. Events over a queue\n\n' +
    'A local SQS server of its own (fauxqs from npm, a process, as under `npm start`), a new lake folder and catalog ' +
    'database for each part. Every command is a process: `node dist/events/main.js consume` (its defaults but for the ' +
    "queue and the lake) and `node dist/events/main.js send --rate R --seconds S --late 0 --malformed 0` (the generator's " +
    '1% duplicate deliveries kept: the lake must drop them). **Steady**: `BENCH_STREAM_RATE` events/s for ' +
    '`BENCH_STREAM_SECONDS`, with `node dist/lake/main.js compact` at 300 s of the sending and every 600 s after, as the ' +
    'lake_compact workflow runs while the consumer streams (every 10 minutes); the consumer is stopped with SIGTERM once the queue holds nothing (in flight included). ' +
    'What was sent is counted apart from both producer and lake: an HTTP proxy between the producer and the server ' +
    '(bench/queueTap.ts) writes the id and created_at of every SendMessageBatch entry the server answered as Successful; ' +
    "DuckDB then reads the lake's live event files (those in `lake_files`) and joins them to it " +
    '(bench/sql/stream_reconcile.sql): lost = sent ids not in the lake, twice = lake rows − distinct ids. Lag of an event = ' +
    "`stream_flushes.committed_at` of the flush whose ingest wrote it (the consumer's clock once COMMIT returned) − its " +
    'created_at, for the events not created more than a minute before they were sent; next to it the same to ' +
    "`lake_ingests.finished_at`, which is now() of the ingest's transaction and so its start. RSS: VmRSS of the consumer " +
    'process once a second while the producer sends; CPU: utime + stime of each process over the window, 100 % = one core. ' +
    '**Step-up**: one consumer, a new lake; the producer at the steady rate, then twice that … for ' +
    "`BENCH_STREAM_STEP_SECONDS` each; a step kept up when the producer reached 95% of its rate, the queue's visible " +
    `backlog at its end was at most ${BACKLOG_SECONDS} s of sending, and the queue then emptied (in flight included); ` +
    'after the first rate missed, one step halfway between it and the last rate kept up. ' +
    'Everything shares the same cores: the producer, fauxqs, PostgreSQL and the bench itself take CPU from the consumer. ' +
    '**Raw limit**: `BENCH_STREAM_RAW_MESSAGES` messages queued up by the producer alone, then drained by ' +
    '`node dist/bench/drainQueue.js` on the same server: as many loops as the consumer has pollers, each a long poll of ' +
    'up to 10 messages and at once their DeleteMessageBatch, no buffer and no lake; messages/s from its first receive to ' +
    'its last delete. A backlog about the size the steady part holds in flight, not more: fauxqs takes each message ' +
    'off the front of one array, so its receives slow down as its queue grows (1,212 messages/s on a 200,000-message ' +
    'queue, here), which the consumer, keeping up, never meets.\n\n';
  const missing = notMeasured(outcome);
  if (missing !== undefined || outcome.status !== 'measured') {
    const what = `${n(settings.streamRate)} events/s for ${n(settings.streamSeconds)} s`;
    summary.push(
      ['11', `events lost at ${what} (sent ids not in the lake)`, '0', '—', '—'],
      ['11', 'events twice in the lake (rows − distinct ids) / in the lake but never sent', '0 / 0', '—', '—'],
      ['11', 'p99 lag, created_at to committed in the lake', '< flush age + 10 s', '—', '—'],
      [
        '11',
        "consumer RSS, the last minute's max vs the second minute's",
        `≤ ${TARGET.streamRssGrowth.toFixed(2)}×`,
        '—',
        '—',
      ],
      ['11', 'highest sustained rate on this machine (step-up)', 'reported', '—', '—'],
    );
    return head + missing;
  }
  const r = outcome.value;
  return (
    head +
    `Consumer: ${r.pollers} pollers, flush at ${size(r.flushMaxBytes)} or ${r.flushMaxAgeS} s.` +
    (r.steady.seconds < 600 ? ` Sent for ${r.steady.seconds} s (**shorter than the 10 minutes of the issue**).` : '') +
    '\n\n### Steady\n\n' +
    streamSteadyTables(r, summary) +
    '\n\n### Step-up\n\n' +
    streamStepTable(r, summary) +
    '\n\n### Raw limit of the queue server\n\n' +
    streamRawTable(r)
  );
}

/** Median / p95 of a list of milliseconds, one decimal. */
function medianP95(values: readonly number[]): string {
  if (values.length === 0) return '—';
  return `${median(values).toFixed(1)} / ${percentile(values, 0.95).toFixed(1)} ms`;
}

/** Judged on the time at the client, which holds the server's own time and the loopback: its p95, and so its median too. */
function webPageOk(page: WebPageResult): boolean | undefined {
  return page.clientMs.length === 0 ? undefined : percentile(page.clientMs, 0.95) < TARGET.webPageMs;
}

function webSection(input: ReportInput, summary: string[][]): string {
  const outcome = input.results.web;
  const { settings } = input;
  const what = `dashboard pages at ${n(settings.webRuns)} runs and ${n(settings.webDays)} days`;
  const head =
    "## 12. The dashboard's pages\n\n" +
    '`node dist/web/main.js` (what `npm run web` runs) on 127.0.0.1, `DATABASE_URL` at a database seeded by ' +
    'bench/sql/web_*.sql: `BENCH_WEB_RUNS` runs in `job_runs` with their `task_runs`, spread over the workflows ' +
    'of scheduler/workflows/ in proportion to their default schedules (6% of them failed, after a retry, with an ' +
    'error; the newest still running; a fan-out task has 3 items), `BENCH_WEB_DAYS` days in ' +
    '`default_liquidation_rolling_avg_hist` from 0001-01-01 (the migrated table: fillfactor 50, its primary key; ' +
    'one day in 25 without a ratio) with its state row, loads with rejects, `BENCH_WEB_ADS_ROWS` impressions over ' +
    "the last 14 days with their backups and archives, a week of the lake's catalog, and a cron.log with lines of " +
    `the newest runs; then VACUUM ANALYZE. Each URL is asked for ${settings.webWarmups} times (not timed), then ` +
    `${settings.webRequests} times in turn by Node's fetch on one keep-alive connection: **client** = from the fetch to ` +
    "the body's last byte; **server** = the server's own time, its `Server-Timing: app;dur=` header (its first " +
    'middleware, around everything else: reading, rendering, headers). **psql** = what the database alone costs: ' +
    "the page's statements (its sql/web/ and sql/charts/ files) with the same values, after the dashboard's " +
    'session setup (sql/web/read_only_session.sql), PREPAREd once and EXECUTEd ' +
    `${settings.webWarmups} + ${settings.webRequests} times in one \`psql -X -f\` session, each planned for its values ` +
    "(`plan_cache_mode = force_custom_plan`, as the dashboard's unnamed statements are), the \\timing of a page " +
    "view's statements summed; the warm-ups left out. Zoomed: " +
    `the last ${WEB_ZOOM_DAYS} days of the table. The run detail is of the newest failed run of \`${WEB_WORKFLOW}\`. ` +
    `The target reads the time at the client, its p95 (and so its median): < ${TARGET.webPageMs} ms for every URL.\n\n`;
  const missing = notMeasured(outcome);
  if (missing !== undefined || outcome.status !== 'measured') {
    summary.push(['12', what, `< ${TARGET.webPageMs} ms each, p95 at the client`, '—', '—']);
    return head + missing;
  }
  const r = outcome.value;
  const seeded =
    r.seeded === undefined
      ? ''
      : table(
          [
            'runs (failed) / workflows',
            'task runs',
            'days (without a ratio)',
            'rolling average, table + index',
            'loads / rejected lines',
            'ads rows',
            'lake catalog files',
            'seeding (not timed)',
          ],
          [
            [
              `${n(r.seeded.runs)} (${n(r.seeded.failedRuns)}) / ${n(r.seeded.workflows)}`,
              n(r.seeded.taskRuns),
              `${n(r.seeded.days)} (${n(r.seeded.daysWithoutRatio)})`,
              mb(r.seeded.rollingAverageBytes),
              `${n(r.seeded.loads)} / ${n(r.seeded.rejects)}`,
              n(r.seeded.ads),
              n(r.seeded.lakeFiles),
              s(r.seeded.seedMs),
            ],
          ],
        ) + '\n\n';
  const rows = r.pages.map((page) => [
    page.page,
    `\`${page.url}\``,
    medianP95(page.psqlMs),
    medianP95(page.clientMs),
    medianP95(page.serverMs),
    ms(median(page.clientMs) - median(page.psqlMs)),
    size(page.bytes),
    pass(webPageOk(page)),
  ]);
  const judged = r.pages.filter((page) => webPageOk(page) !== undefined);
  const slowest = [...judged].sort((a, b) => percentile(b.clientMs, 0.95) - percentile(a.clientMs, 0.95))[0];
  const misses = judged.filter((page) => webPageOk(page) === false);
  const complete = r.error === undefined && judged.length === r.pages.length && r.pages.length > 0;
  summary.push([
    '12',
    what,
    `< ${TARGET.webPageMs} ms each, p95 at the client`,
    slowest === undefined
      ? '—'
      : `slowest \`${slowest.url}\`: p95 ${percentile(slowest.clientMs, 0.95).toFixed(1)} ms ` +
        `(server ${percentile(slowest.serverMs, 0.95).toFixed(1)} ms)` +
        (misses.length === 0 ? '' : `; ${misses.length} of ${judged.length} URLs over`),
    complete ? pass(misses.length === 0) : '—',
  ]);
  const pagesTable = table(
    [
      'page',
      'URL',
      'psql, median / p95',
      'client, median / p95',
      'server, median / p95',
      'client − psql (medians)',
      'body',
      `target < ${TARGET.webPageMs} ms (client p95)`,
    ],
    rows,
  );
  const memory = `\n\nPeak RSS of the server process (VmHWM, at the end of the section): ${mb(r.peakRssBytes)}.`;
  return head + seeded + pagesTable + memory + sizeError(r);
}

function machineSection(input: ReportInput): string {
  const m = input.machine;
  const { settings } = input;
  return (
    '## Machine and settings\n\n' +
    table(
      ['', ''],
      [
        ['CPU', `${m.cpu}, ${m.cores} logical cores`],
        ['memory', `${(m.memoryBytes / 1024 ** 3).toFixed(1)} GiB`],
        ['OS', `${m.os}, ${m.kernel}`],
        ['Node.js', m.node],
        ['PostgreSQL server', `${input.serverVersion}: ${input.serverDescription}`],
        ['psql', m.psql],
        ['pairs', `${settings.pairs} per comparison and size (A, B, A, B …)`],
        ['sizes', settings.sizes.map(n).join(', ') + ' rows'],
        ['ads-archive', `${n(settings.adsRows)} rows of one day (BENCH_ADS_ROWS)`],
        ['lake', `${n(settings.lakeEvents)} generated events of one day (BENCH_LAKE_EVENTS)`],
        [
          'stream',
          `${n(settings.streamRate)} events/s for ${n(settings.streamSeconds)} s (BENCH_STREAM_RATE, BENCH_STREAM_SECONDS); ` +
            `steps of ${settings.streamStepSeconds} s up to ${n(settings.streamMaxRate)} events/s; ` +
            `${n(settings.streamRawMessages)} messages for the raw limit`,
        ],
        [
          'web',
          `${n(settings.webRuns)} runs, ${n(settings.webDays)} days, ${n(settings.webAdsRows)} ads rows ` +
            `(BENCH_WEB_RUNS, BENCH_WEB_DAYS, BENCH_WEB_ADS_ROWS); ${settings.webRequests} requests per URL after ` +
            `${settings.webWarmups} not timed (BENCH_WEB_REQUESTS)`,
        ],
        [
          'job settings',
          `JOB_TIMEOUT=${JOB_TIMEOUT_SECONDS} (so that the largest rebuilds are not cut off at 50 s); everything else default`,
        ],
      ],
    )
  );
}

/**
 * The report's sections in order: the comparisons whose results each shows (growth shows three),
 * its headings' numbers, and the items of the targets table each adds (a row's first cell).
 */
const SECTIONS: readonly {
  key: string;
  comparisons: readonly ComparisonName[];
  /** The numbers of its "## N." headings, for a report written before the markers. */
  headings: readonly string[];
  items: readonly string[];
  render: (input: ReportInput, summary: string[][]) => string;
}[] = [
  { key: 'loader', comparisons: ['loader'], headings: ['1', '2'], items: ['1', '2'], render: loaderSection },
  { key: 'reload', comparisons: ['reload'], headings: ['3'], items: ['3'], render: reloadSection },
  { key: 'rebuild', comparisons: ['rebuild'], headings: ['4'], items: ['4'], render: rebuildSection },
  { key: 'incremental', comparisons: ['incremental'], headings: ['5'], items: ['5'], render: incrementalSection },
  { key: 'soak', comparisons: ['soak'], headings: ['6'], items: ['6'], render: soakSection },
  { key: 'scheduler', comparisons: ['scheduler'], headings: ['7'], items: [], render: schedulerSection },
  {
    key: 'growth',
    comparisons: ['loader', 'rebuild', 'incremental'],
    headings: ['8'],
    items: [],
    render: growthSection,
  },
  { key: 'ads-archive', comparisons: ['ads-archive'], headings: ['9'], items: ['9'], render: adsArchiveSection },
  { key: 'lake', comparisons: ['lake'], headings: ['10'], items: ['10'], render: lakeSection },
  { key: 'stream', comparisons: ['stream'], headings: ['11'], items: ['11'], render: streamSection },
  { key: 'web', comparisons: ['web'], headings: ['12'], items: ['12'], render: webSection },
];

const sectionBegin = (key: string, runAt: string): string => `<!-- bench:section ${key} ${runAt} -->`;
const sectionEnd = (key: string): string => `<!-- bench:section-end ${key} -->`;
const SECTION_BLOCK = /<!-- bench:section (\S+) (\S+) -->\n[\s\S]*?\n<!-- bench:section-end \1 -->/g;
const TARGETS_HEADING = '## Targets';
const TARGET_ROW = /^\| (\d+) \|/;

interface EarlierSection {
  /** The whole block, markers included, copied as it is. */
  block: string;
  /** When the run that measured it started (ISO 8601). */
  runAt: string;
}

/**
 * A report from before the sections had markers: its numbered sections by their headings (each
 * up to the next heading), dated by its "Generated by" line. What says it was not run is not kept.
 */
function unmarkedSections(previous: string): Map<string, EarlierSection> {
  const sections = new Map<string, EarlierSection>();
  const [begin, end] = [previous.indexOf(BEGIN), previous.indexOf(END)];
  if (begin < 0 || end < begin) return sections;
  const body = previous.slice(begin + BEGIN.length, end);
  const runAt = /_Generated by `[^`]*` on (\S+) in /.exec(body)?.[1];
  if (runAt === undefined) return sections;
  const texts = new Map<string, string[]>();
  for (const part of body.split(/\n(?=## )/)) {
    const number = /^## (\d+)\. /.exec(part)?.[1];
    const key = SECTIONS.find((section) => section.headings.includes(number ?? ''))?.key;
    if (key !== undefined) texts.set(key, [...(texts.get(key) ?? []), part.trim()]);
  }
  for (const [key, parts] of texts) {
    if (parts.every((part) => part.includes(NOT_SELECTED))) continue;
    sections.set(key, { block: `${sectionBegin(key, runAt)}\n${parts.join('\n\n')}\n${sectionEnd(key)}`, runAt });
  }
  return sections;
}

/** What an earlier report holds that a run of other comparisons keeps: its sections and its target rows by item. */
function readEarlier(previous: string): { sections: Map<string, EarlierSection>; targets: Map<string, string[]> } {
  const marked = new Map<string, EarlierSection>();
  for (const match of previous.matchAll(SECTION_BLOCK)) {
    marked.set(match[1]!, { block: match[0], runAt: match[2]! });
  }
  const sections = marked.size > 0 ? marked : unmarkedSections(previous);
  const targets = new Map<string, string[]>();
  const from = previous.indexOf(`\n${TARGETS_HEADING}\n`);
  if (from >= 0) {
    // The table ends where the next section starts (its marker, or in an unmarked report its heading).
    const next = previous.slice(from + 1).search(/\n(<!-- bench:section |## )/);
    for (const line of previous.slice(from, next < 0 ? undefined : from + 1 + next).split('\n')) {
      const item = TARGET_ROW.exec(line)?.[1];
      if (item !== undefined) targets.set(item, [...(targets.get(item) ?? []), line]);
    }
  }
  return { sections, targets };
}

function partialNote(input: ReportInput, kept: readonly { key: string; runAt: string }[]): string {
  const { settings } = input;
  const reasons: string[] = [];
  if (settings.quick) reasons.push('quick mode (BENCH_QUICK): tiny sizes, numbers mean nothing');
  const skipped = COMPARISONS.filter((c) => !settings.only.has(c));
  if (skipped.length > 0) reasons.push(`only ${[...settings.only].join(', ')} (not ${skipped.join(', ')})`);
  if (kept.length > 0) {
    const byRun = new Map<string, string[]>();
    for (const { key, runAt } of kept) byRun.set(runAt, [...(byRun.get(runAt) ?? []), key]);
    const runs = [...byRun].map(([runAt, keys]) => `${keys.join(', ')} from the run of ${runAt}`);
    reasons.push(`sections and targets not measured this time are copied from the earlier report: ${runs.join('; ')}`);
  }
  if (settings.schedulerSeconds < 600 && settings.only.has('scheduler'))
    reasons.push(`scheduler watched ${settings.schedulerSeconds} s instead of 600`);
  if (settings.only.has('soak') && settings.soakRefreshes < SOAK_REFRESHES) {
    reasons.push(
      `soak: ${settings.soakRefreshes} refreshes back to back instead of ${SOAK_REFRESHES}, ` +
        `${settings.loansCsvRefreshes} of data/loans.csv instead of ${LOANS_CSV_REFRESHES}`,
    );
  }
  if (settings.streamSeconds < 600 && settings.only.has('stream'))
    reasons.push(`stream sent for ${settings.streamSeconds} s instead of 600`);
  if (settings.pairs < 3) reasons.push(`${settings.pairs} pair(s) instead of at least 3`);
  return reasons.length === 0 ? '' : `\n\n**Partial run**: ${reasons.join('; ')}.`;
}

/**
 * The report, between the markers. `previous` is the report file as it was: the section of a
 * comparison not selected this time is copied from it when it has one, with its target rows.
 */
export function renderReport(input: ReportInput, previous = ''): string {
  const earlier = readEarlier(previous);
  const runAt = input.startedAt.toISOString();
  const summaryLines: string[] = [];
  const sections: string[] = [];
  const kept: { key: string; runAt: string }[] = [];
  for (const section of SECTIONS) {
    const old = earlier.sections.get(section.key);
    if (old !== undefined && !section.comparisons.some((c) => input.settings.only.has(c))) {
      kept.push({ key: section.key, runAt: old.runAt });
      sections.push(old.block);
      summaryLines.push(...section.items.flatMap((item) => earlier.targets.get(item) ?? []));
      continue;
    }
    const summary: string[][] = [];
    const text = section.render(input, summary);
    // Markers only around what this run found: a "not run" section is not worth keeping later.
    const ran = section.comparisons.some((c) => input.settings.only.has(c));
    sections.push(ran ? `${sectionBegin(section.key, runAt)}\n${text}\n${sectionEnd(section.key)}` : text);
    summaryLines.push(...summary.map(tableLine));
  }
  const minutes = (input.durationMs / 60_000).toFixed(1);
  const header = ['#', 'what', 'target', 'measured', 'result'];
  return [
    BEGIN,
    `_Generated by \`${input.command}\` on ${runAt} in ${minutes} min. ` +
      'Everything between the bench markers is rewritten by every run; write analysis outside them._' +
      partialNote(input, kept),
    machineSection(input),
    `${TARGETS_HEADING}\n\n` +
      `Judged at ${n(middle(input.settings))} rows (days for 4 to 6; ${n(input.settings.adsRows)} rows of one day for 9; ${n(input.settings.lakeEvents)} generated events for 10; ${n(input.settings.streamRate)} events/s for ${n(input.settings.streamSeconds)} s for 11; ${n(input.settings.webRuns)} runs and ${n(input.settings.webDays)} days for 12) on the median of the pair ratios, of wall times; for 5 also of the durations the job recorded (what a scheduled run costs: the scheduler runs it in its own process, without starting Node); 6 on those durations and sizes and 12 on each page's p95, as their sections say.\n\n` +
      [tableLine(header), tableLine(header.map(() => '---')), ...summaryLines].join('\n'),
    ...sections,
    '## How it was measured\n\n' +
      '- Every command runs as a separate process, exactly as a person types it, with DATABASE_URL pointing at a ' +
      'fresh database per comparison (cloned from a migrated template).\n' +
      '- Wall time: from spawn to exit. Peak RSS: VmHWM of /proc/<pid>/status, polled every 25 ms.\n' +
      '- Comparisons alternate A, B, A, B …; the state each side starts from is restored before it, untimed, ' +
      "and CHECKPOINT runs before each so that one run does not pay for the previous one's writes " +
      '(not in 6, whose refreshes run back to back on purpose).\n' +
      `- Data: bench/generateData.ts, seeded; consecutive days from 0001-01-01; past ${n(input.settings.maxDays)} rows the days repeat. ` +
      'The lake (10) and the stream (11): the seeded event generator, events/. The dashboard (12): bench/sql/web_*.sql.\n' +
      '- Rerun: `npm run bench` (all), `npm run bench -- loader rebuild` (some: the sections of the others are kept), ' +
      '`BENCH_QUICK=1` (smoke test). See docs/performance.md.',
    END,
  ].join('\n\n');
}

/** The report file as it is ('' when there is none yet): what a run keeps from it. */
export function readReport(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** Writes the report into `file`, keeping whatever lies outside the markers. */
export function writeReport(file: string, body: string): void {
  const previous = readReport(file);
  const begin = previous.indexOf(BEGIN);
  const end = previous.indexOf(END);
  const text =
    begin >= 0 && end > begin
      ? previous.slice(0, begin) + body + previous.slice(end + END.length)
      : '# Benchmark results\n\n' +
        body +
        '\n\n## Notes\n\n_Written by people: what the numbers mean, what changed since the last run. ' +
        '`npm run bench` leaves everything outside the bench markers as it is._\n';
  writeFileSync(file, text.endsWith('\n') ? text : `${text}\n`);
}
