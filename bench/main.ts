import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describeError } from '../lib/errors';
import { printUsageIfAsked, type Usage } from '../lib/usage';
import { writeLoansFile } from './generateData';
import { compareIncremental, compareRebuild, INCREMENTAL_PARAMS, jobRefuses } from './compareJobs';
import { compareAdsArchive } from './compareAdsArchive';
import { compareLake } from './compareLake';
import { compareStream } from './compareStream';
import { compareWeb } from './compareWeb';
import { compareLoader, compareReload } from './compareLoader';
import { describeMachine, psqlVersion } from './machine';
import { killRunningProcesses } from './measureProcess';
import { startBenchServer, type BenchServer } from './postgres';
import { readReport, renderReport, writeReport } from './report';
import type { BenchContext, BenchResults, Outcome } from './results';
import { COMPARISONS, readSettings, type BenchSettings, type ComparisonName } from './settings';
import { soakRefreshes } from './soakRefreshes';
import { watchScheduler } from './watchScheduler';

/**
 * `npm run bench`: generates its data, runs each comparison side by side against its own
 * PostgreSQL, and writes bench/RESULTS.md (docs/performance.md). Progress goes to stderr.
 * Everything it creates — files, databases, the server, child processes — goes at the end,
 * also on failure or Ctrl-C.
 */

const startedMs = Date.now();

function progress(line: string): void {
  const elapsed = Math.round((Date.now() - startedMs) / 1000);
  const stamp = `${String(Math.floor(elapsed / 60)).padStart(2, '0')}:${String(elapsed % 60).padStart(2, '0')}`;
  process.stderr.write(`bench ${stamp} ${line}\n`);
}

/** The comparisons that need psql: without it the run cannot start. */
const NEEDS_PSQL: readonly ComparisonName[] = ['loader', 'rebuild', 'ads-archive', 'web'];

async function measure<T>(
  settings: BenchSettings,
  name: ComparisonName,
  body: () => Promise<T>,
  interrupted: AbortSignal,
): Promise<Outcome<T>> {
  if (!settings.only.has(name)) return { status: 'not selected' };
  if (interrupted.aborted) return { status: 'failed', reason: 'interrupted' };
  progress(`${name}: starting`);
  try {
    const value = await body();
    progress(`${name}: done`);
    return { status: 'measured', value };
  } catch (error) {
    const reason = interrupted.aborted ? 'interrupted' : describeError(error);
    progress(`${name}: failed: ${reason}`);
    return { status: 'failed', reason };
  }
}

async function run(settings: BenchSettings, tempRoot: string, interrupted: AbortSignal): Promise<number> {
  if ([...settings.only].some((name) => NEEDS_PSQL.includes(name)) && psqlVersion(settings.psql) === undefined) {
    process.stderr.write(
      `bench: psql not found (${settings.psql}): install the PostgreSQL client (e.g. apt-get install postgresql-client), ` +
        'set BENCH_PSQL=/path/to/psql, or run only comparisons without psql: npm run bench -- reload incremental soak scheduler\n',
    );
    return 2;
  }
  const machine = describeMachine(settings.psql);
  progress(
    `machine: ${machine.cores} × ${machine.cpu}, ${(machine.memoryBytes / 1024 ** 3).toFixed(1)} GiB; ${machine.psql}`,
  );
  progress(
    `comparisons: ${[...settings.only].join(', ')}; pairs ${settings.pairs}; sizes ${settings.sizes.join(', ')}`,
  );
  const dataDir = path.join(tempRoot, 'data');
  mkdirSync(dataDir);
  const generated = new Map<number, Promise<string>>();
  let server: BenchServer | undefined;
  try {
    progress('starting PostgreSQL');
    server = await startBenchServer(tempRoot);
    progress(`PostgreSQL ${server.version}: ${server.description}`);
    const ctx: BenchContext = {
      settings,
      server,
      progress,
      interrupted,
      loansFile(rows) {
        interrupted.throwIfAborted();
        let file = generated.get(rows);
        if (file === undefined) {
          progress(`generating ${rows.toLocaleString('en-US')} rows`);
          file = writeLoansFile(path.join(dataDir, `loans-${rows}.csv`), rows, settings.maxDays);
          generated.set(rows, file);
        }
        return file;
      },
    };
    const results: BenchResults = {
      loader: await measure(settings, 'loader', () => compareLoader(ctx), interrupted),
      reload: await measure(settings, 'reload', () => compareReload(ctx), interrupted),
      rebuild: await measure(settings, 'rebuild', () => compareRebuild(ctx), interrupted),
      incremental: { status: 'not selected' },
      soak: { status: 'not selected' },
      scheduler: { status: 'not selected' },
      adsArchive: { status: 'not selected' },
      lake: { status: 'not selected' },
      stream: { status: 'not selected' },
      web: { status: 'not selected' },
    };
    if (settings.only.has('incremental') && !interrupted.aborted) {
      const why = await jobRefuses(await server.createDatabase('incremental_check'), INCREMENTAL_PARAMS);
      if (why !== undefined) {
        progress(`incremental: not available in this build (${why}): skipped`);
        results.incremental = {
          status: 'unavailable',
          reason: `this build's job does not take \`--param mode=incremental\` (${why})`,
        };
      } else {
        results.incremental = await measure(settings, 'incremental', () => compareIncremental(ctx), interrupted);
      }
    }
    results.soak = await measure(settings, 'soak', () => soakRefreshes(ctx), interrupted);
    results.scheduler = await measure(
      settings,
      'scheduler',
      () => watchScheduler(ctx, path.join(tempRoot, 'logs')),
      interrupted,
    );
    results.adsArchive = await measure(
      settings,
      'ads-archive',
      () => compareAdsArchive(ctx, path.join(tempRoot, 'ads-archive')),
      interrupted,
    );
    results.lake = await measure(settings, 'lake', () => compareLake(ctx, path.join(tempRoot, 'lake')), interrupted);
    results.stream = await measure(
      settings,
      'stream',
      () => compareStream(ctx, path.join(tempRoot, 'stream')),
      interrupted,
    );
    results.web = await measure(settings, 'web', () => compareWeb(ctx, path.join(tempRoot, 'web')), interrupted);
    if (interrupted.aborted) return 130;
    const body = renderReport(
      {
        settings,
        machine,
        serverVersion: server.version,
        serverDescription: server.description,
        command: commandLine(),
        startedAt: new Date(startedMs),
        durationMs: Date.now() - startedMs,
        results,
      },
      readReport(settings.resultsPath),
    );
    writeReport(settings.resultsPath, body);
    progress(`wrote ${settings.resultsPath}`);
    return Object.values(results).some(fellShort) ? 1 : 0;
  } finally {
    killRunningProcesses();
    progress('stopping PostgreSQL and removing temporary files');
    await server?.stop();
  }
}

/**
 * A comparison that failed, or that stopped short somewhere: one of its sizes (the comparisons
 * by size) or of its parts (the soak's) holds an error. Its report still shows what was measured.
 */
function fellShort(outcome: Outcome<unknown>): boolean {
  if (outcome.status === 'failed') return true;
  if (outcome.status !== 'measured' || typeof outcome.value !== 'object' || outcome.value === null) return false;
  const parts: unknown[] = Array.isArray(outcome.value) ? outcome.value : Object.values(outcome.value);
  return parts.some((part) => (part as { error?: string } | null)?.error !== undefined);
}

/** How this run was started, for the report: the BENCH_* settings and the arguments. */
function commandLine(): string {
  const env = Object.entries(process.env)
    .filter(([key]) => key.startsWith('BENCH_') && key !== 'BENCH_RESULTS')
    .map(([key, value]) => `${key}=${value}`);
  const args = process.argv.slice(2);
  return [...env, 'npm run bench', ...(args.length > 0 ? ['--', ...args] : [])].join(' ');
}

const HELP: Usage = {
  synopsis: [`npm run bench [-- ${COMPARISONS.join(' ')}]`],
  description: [
    'Runs each comparison (default: all) as a person types the commands, A, B, A, B …, against its own',
    'PostgreSQL, and writes the medians, ratios and targets to bench/RESULTS.md. The full run takes',
    'about 19 minutes on 2 cores plus about 25 for lake (8.6 with BENCH_PAIRS=1), about 20 for stream and a few for web.',
    'Progress on stderr; Ctrl-C stops it and removes what it created.',
  ].join('\n'),
  options: [
    ['loader … stream', 'only these comparisons (or BENCH_ONLY=loader,rebuild); the others keep their sections'],
  ],
  environment: [
    ['BENCH_QUICK', '1: a smoke test in seconds, tiny sizes, numbers that mean nothing'],
    ['BENCH_PAIRS', 'A, B pairs per comparison and size (3; fewer makes a partial run)'],
    ['BENCH_SIZES', 'the row counts of the growth table (200000,2000000,10000000)'],
    ['BENCH_SCHEDULER_SECONDS', 'how long the two schedulers are watched (600)'],
    ['BENCH_ADS_ROWS', 'impressions of the one day ads-archive archives (1000000)'],
    ['BENCH_LAKE_EVENTS', 'generated events of the day that lake ingests and queries (10000000)'],
    ['BENCH_STREAM_RATE, BENCH_STREAM_SECONDS', 'stream: the steady rate in events/s and for how long (2000, 600)'],
    [
      'BENCH_STREAM_STEP_SECONDS, BENCH_STREAM_MAX_RATE',
      'stream: seconds per step of the step-up, doubling from the steady rate up to this one (60, 128000)',
    ],
    ['BENCH_STREAM_RAW_MESSAGES', 'stream: messages the bare receive+delete loop drains (20000)'],
    [
      'BENCH_WEB_RUNS, BENCH_WEB_DAYS, BENCH_WEB_ADS_ROWS',
      'web: runs in job_runs, days in the rolling average, impressions in ads (10000, 2000000, 200000)',
    ],
    ['BENCH_WEB_REQUESTS', 'web: requests timed per URL, after 3 not timed (20)'],
    ['BENCH_RESULTS', 'the report to write (bench/RESULTS.md)'],
    ['BENCH_PSQL', 'the psql of the reference commands (psql)'],
    ['DATABASE_URL, or PGHOST and PG*', 'a server to use (the role needs CREATEDB) instead of an embedded one'],
  ],
  examples: ['BENCH_QUICK=1 BENCH_RESULTS=/tmp/r.md npm run bench -- loader rebuild'],
};

export function main(): void {
  if (printUsageIfAsked(HELP)) return;
  let settings: BenchSettings;
  try {
    settings = readSettings(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench: ${describeError(error)}\n`);
    process.exit(2);
  }
  // Readable by all: as root, the embedded server runs as the 'postgres' user.
  const tempRoot = mkdtempSync(path.join(settings.tempParent, 'loans-bench-'));
  chmodSync(tempRoot, 0o755);
  const removeTemp = (): void => rmSync(tempRoot, { recursive: true, force: true });
  const interrupted = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted.signal.aborted) {
      // A second Ctrl-C: stop now, leaving the server to die with its parent.
      killRunningProcesses();
      removeTemp();
      process.exit(130);
    }
    progress(`${signal}: stopping what runs, then cleaning up (Ctrl-C again to quit at once)`);
    interrupted.abort(signal);
    killRunningProcesses();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  run(settings, tempRoot, interrupted.signal)
    .catch((error: unknown) => {
      process.stderr.write(`bench: ${describeError(error)}\n`);
      return 1;
    })
    .then((code) => {
      removeTemp();
      process.exit(interrupted.signal.aborted ? 130 : code);
    });
}

if (require.main === module) main();
