import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { readConfig } from '../lib/config';
import { freePort } from '../lib/embeddedPostgres';
import { describeError } from '../lib/errors';
import { projectRoot, querySqlFile, readSql, sqlDir } from '../lib/sqlFiles';
import { defineWorkflows } from '../scheduler/workflows';
import { ADS_DAYS } from '../web/ads';
import { HEATMAP_HOURS } from '../web/lake';
import { REJECTS_SHOWN } from '../web/loads';
import { CHART_POINTS, MAX_PAGE, ROWS_PER_PAGE } from '../web/loans';
import { FAILURES_COUNTED } from '../web/overview';
import { DURATION_RUNS, RUNS_PER_WORKFLOW } from '../web/runs';
import { queryBenchSql } from './benchSql';
import { commandEnv } from './commands';
import { lastLine, measureProcess, readStatusBytes, startProcess, stopProcess, tail } from './measureProcess';
import type { BenchDatabase } from './postgres';
import type { BenchContext, WebPageResult, WebResult } from './results';

/**
 * Item 12: the dashboard's pages (docs/dashboard.md) on a database of `webRuns` runs in job_runs
 * with their task runs and `webDays` days in default_liquidation_rolling_avg_hist, as a user runs
 * it: `node dist/web/main.js` on 127.0.0.1, each page asked for in turn by a keep-alive fetch and
 * timed at the client, next to the server's own time (its Server-Timing header). Beside each page,
 * what the database alone costs for it: the page's SQL statements (sql/web/, sql/charts/) with the
 * same parameters, run by psql, as a person would paste them (PREPARE once, then EXECUTE, timed
 * by \timing).
 */

/** The workflow of the filtered Runs page and of the run whose detail is asked for. */
export const WEB_WORKFLOW = 'default_liquidation_rolling_avg_hist';
/** The Loans page zoomed to the last year of the table. */
export const WEB_ZOOM_DAYS = 365;

// What the pages ask for that web/ does not export: the same numbers as there.
const TASKS_PER_RUN = 1000; // web/runs.ts
const LOADS_SHOWN = 20; // web/loads.ts
const HEATMAP_TYPES = 30; // web/lake.ts
const LAKE_DAYS_SHOWN = 14; // web/lake.ts
const PARTITIONS_SHOWN = 20; // web/lake.ts

/** Runs a day of each workflow under the default schedules (lib/config.ts); ads_restore runs by hand. */
const RUNS_PER_DAY: Record<string, number> = {
  default_liquidation_rolling_avg_hist: 1440,
  lake_ingest: 144,
  lake_compact: 144,
  api_load: 24,
  ads_archive: 1,
  lake_maintenance: 1,
  event_kpis: 1,
  ads_restore: 1,
};

/** Event types of the lake's catalog: the heat map's 30 and a few more. */
const LAKE_TYPES = 40;
/** The newest runs that have lines in the bench's cron.log. */
const LOGGED_RUNS = 2000;

/** One SQL file of a page with the values the page binds, for psql's side; of each view when they change. */
interface Statement {
  file: string;
  values: unknown[] | ((view: number) => unknown[]);
}

/** A URL, or one per view (warm-ups counted) for a page asked for anew each time. */
type PageUrl = string | ((view: number) => string);

interface PageSpec {
  page: string;
  /** The HTML page and its JSON twin. */
  urls: PageUrl[];
  statements: Statement[];
}

const urlOf = (url: PageUrl, view: number): string => (typeof url === 'string' ? url : url(view));
const valuesOf = (statement: Statement, view: number): unknown[] =>
  typeof statement.values === 'function' ? statement.values(view) : statement.values;

/** The workflows as the scheduler defines them, their tasks in the order they run, for bench/sql/web_runs.sql. */
function workflowsJson(): string {
  const workflows = defineWorkflows(readConfig({}));
  return JSON.stringify(
    workflows.map((workflow) => ({
      job: workflow.name,
      perDay: RUNS_PER_DAY[workflow.name] ?? 1,
      trigger: workflow.name === 'ads_restore' ? 'manual' : 'schedule',
      tasks: workflow.order.map((task) => ({ name: task, fanOut: workflow.tasks[task]!.forEach !== undefined })),
    })),
  );
}

async function seed(ctx: BenchContext, db: BenchDatabase, result: WebResult): Promise<void> {
  const started = performance.now();
  const { webRuns, webDays } = ctx.settings;
  ctx.progress(`web: ${webRuns.toLocaleString('en-US')} runs with their task runs`);
  await queryBenchSql(db.pool, 'web_runs.sql', [webRuns, workflowsJson()]);
  ctx.progress(`web: ${webDays.toLocaleString('en-US')} days of the rolling average`);
  await queryBenchSql(db.pool, 'web_rolling_average.sql', [webDays]);
  ctx.progress('web: loads with rejects, ads, the lake catalog');
  await queryBenchSql(db.pool, 'web_loads.sql', [ctx.settings.quick ? 30 : 200, ctx.settings.quick ? 50 : 500]);
  await queryBenchSql(db.pool, 'web_loads_unchanged.sql');
  await queryBenchSql(db.pool, 'web_ads.sql', [ctx.settings.webAdsRows]);
  await queryBenchSql(db.pool, 'web_lake.sql', [LAKE_TYPES]);
  await db.pool.query('VACUUM ANALYZE');
  await db.pool.query('CHECKPOINT').catch(() => undefined);
  type Counts = Omit<NonNullable<WebResult['seeded']>, 'seedMs'>;
  const counts = (await queryBenchSql<Counts>(db.pool, 'web_counts.sql')).rows[0]!;
  result.seeded = { ...counts, seedMs: performance.now() - started };
}

/** Lines of the newest runs in a cron.log of the scheduler's text format, for the run detail's log. */
async function writeCronLog(db: BenchDatabase, file: string): Promise<void> {
  const runs = await db.pool.query<{ run_id: string; job: string; started_at: Date; status: string }>(
    'SELECT run_id, job, started_at, status FROM job_runs ORDER BY started_at DESC LIMIT $1',
    [LOGGED_RUNS],
  );
  const lines: string[] = [];
  for (const run of runs.rows.reverse()) {
    const at = (ms: number) => new Date(run.started_at.getTime() + ms).toISOString();
    const prefix = `INFO  scheduler job=${run.job} run=${run.run_id}`;
    lines.push(`${at(0)} ${prefix} trigger=schedule run started`);
    lines.push(`${at(5)} ${prefix} task=plan status=succeeded duration_ms=4 task finished`);
    lines.push(`${at(150)} ${prefix} status=${run.status} run finished`);
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

/** The pages and what each binds: values that depend on the data are read the way the page reads them. */
async function pageSpecs(db: BenchDatabase): Promise<{ specs: PageSpec[]; zoom: { from: string; to: string } }> {
  const last = (
    await db.pool.query<{ day: string }>(
      'SELECT max(repayment_date)::text AS day FROM default_liquidation_rolling_avg_hist',
    )
  ).rows[0]!.day;
  const from = (
    await db.pool.query<{ day: string }>('SELECT ($1::date - $2::int + 1)::text AS day', [last, WEB_ZOOM_DAYS])
  ).rows[0]!.day;
  const runIds = async (workflow: string | null, status: string | null): Promise<string[]> =>
    (
      await querySqlFile<{ run_id: string }>(db.pool, 'web/recent_runs.sql', [workflow, status, RUNS_PER_WORKFLOW])
    ).rows.map((row) => row.run_id);
  const detailRun = (
    await db.pool.query<{ run_id: string }>(
      "SELECT run_id FROM job_runs WHERE job = $1 AND status = 'failed' ORDER BY started_at DESC LIMIT 1",
      [WEB_WORKFLOW],
    )
  ).rows[0]?.run_id;
  if (detailRun === undefined) throw new Error(`no failed run of ${WEB_WORKFLOW} was seeded`);
  // As web/loads.ts picks it: the newest of the listed loads with rejects, whose rejects may be an earlier load's.
  const loads = (
    await querySqlFile<{ load_id: string; rows_rejected: number | null; unchanged_since_load_id: string | null }>(
      db.pool,
      'web/recent_loads.sql',
      [LOADS_SHOWN, null],
    )
  ).rows;
  const selected = loads.find((load) => (load.rows_rejected ?? 0) > 0);
  const rejectsOf = selected === undefined ? null : (selected.unchanged_since_load_id ?? selected.load_id);
  const loans = (range: (view: number) => [string | null, string | null], page = 1): Statement[] => [
    { file: 'charts/ratio_series.sql', values: (view) => [...range(view), CHART_POINTS] },
    { file: 'charts/ratio_window.sql', values: [] },
    { file: 'web/rolling_average_state.sql', values: [] },
    { file: 'web/loans_page.sql', values: (view) => [...range(view), ROWS_PER_PAGE + 1, (page - 1) * ROWS_PER_PAGE] },
  ];
  // A range the chart has not been drawn for: the server keeps its last 16 drawings.
  const shifted = (view: number): [string, string] => [addDays(from, -view), addDays(last, -view)];
  const runs = async (workflow: string | null, status: string | null): Promise<Statement[]> => [
    // The filter's workflows: the newest run of each.
    { file: 'web/recent_runs.sql', values: [null, null, 1] },
    { file: 'web/recent_runs.sql', values: [workflow, status, RUNS_PER_WORKFLOW] },
    { file: 'web/task_cells.sql', values: [await runIds(workflow, status)] },
    { file: 'charts/run_durations.sql', values: [workflow ?? WEB_WORKFLOW, DURATION_RUNS] },
  ];
  const filter = new URLSearchParams({ workflow: WEB_WORKFLOW, status: 'failed' }).toString();
  const zoom = rangeQuery(from, last);
  return {
    zoom: { from, to: last },
    specs: [
      {
        page: 'Overview',
        urls: ['/', '/api/overview'],
        statements: [
          { file: 'web/recent_runs.sql', values: [null, null, 1] },
          { file: 'web/last_load.sql', values: [] },
          { file: 'web/freshness.sql', values: [] },
          { file: 'web/recent_runs.sql', values: [null, 'failed', FAILURES_COUNTED] },
        ],
      },
      { page: 'Loans', urls: ['/loans', '/api/loans'], statements: loans(() => [null, null]) },
      {
        page: `Loans, the last ${WEB_ZOOM_DAYS} days`,
        urls: [`/loans?${zoom}`, `/api/loans?${zoom}`],
        statements: loans(() => [from, last]),
      },
      {
        page: `Loans, ${WEB_ZOOM_DAYS} days a day earlier each time (the chart drawn anew)`,
        urls: [(view) => `/loans?${rangeQuery(...shifted(view))}`],
        statements: loans(shifted),
      },
      {
        page: `Loans, the deepest page (${MAX_PAGE})`,
        urls: [`/loans?page=${MAX_PAGE}`, `/api/loans?page=${MAX_PAGE}`],
        statements: loans(() => [null, null], MAX_PAGE),
      },
      { page: 'Runs', urls: ['/runs', '/api/runs'], statements: await runs(null, null) },
      {
        page: `Runs of ${WEB_WORKFLOW} that failed`,
        urls: [`/runs?${filter}`, `/api/runs?${filter}`],
        statements: await runs(WEB_WORKFLOW, 'failed'),
      },
      {
        page: "A failed run's detail",
        urls: [`/runs/${detailRun}/detail`, `/api/runs/${detailRun}`],
        statements: [
          { file: 'web/run.sql', values: [detailRun] },
          { file: 'web/run_tasks.sql', values: [detailRun, TASKS_PER_RUN] },
        ],
      },
      {
        page: 'Loads',
        urls: ['/loads', '/api/loads'],
        statements: [
          { file: 'web/recent_loads.sql', values: [LOADS_SHOWN, null] },
          ...(rejectsOf === null ? [] : [{ file: 'web/load_rejects.sql', values: [rejectsOf, REJECTS_SHOWN] }]),
        ],
      },
      {
        page: 'Ads',
        urls: ['/ads', '/api/ads'],
        statements: ['ads_backups_per_day', 'ads_archives_per_day', 'ads_rows_per_day'].map((name) => ({
          file: `web/${name}.sql`,
          values: [ADS_DAYS],
        })),
      },
      {
        page: 'Lake',
        urls: ['/lake', '/api/lake'],
        statements: [
          { file: 'charts/lake_heatmap.sql', values: [HEATMAP_HOURS, HEATMAP_TYPES] },
          { file: 'web/lake_quarantine.sql', values: [] },
          { file: 'web/lake_partitions.sql', values: [LAKE_DAYS_SHOWN] },
          { file: 'web/lake_busiest_partitions.sql', values: [PARTITIONS_SHOWN] },
        ],
      },
    ],
  };
}

function addDays(day: string, days: number): string {
  const date = new Date(`${day.padStart(10, '0')}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

const rangeQuery = (from: string, to: string): string => new URLSearchParams({ from, to }).toString();

/** A value as an SQL literal in psql's EXECUTE: NULL, a number, a quoted text, a text[] literal. */
function literal(value: unknown): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') return String(value);
  const text = Array.isArray(value) ? `{${value.map((v) => `"${String(v)}"`).join(',')}}` : String(value);
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * The psql script of one page: the dashboard's session setup, each statement PREPAREd once from
 * its file, then `runs` times each EXECUTEd with the page's values, \timing on. Every EXECUTE is
 * planned for its values (plan_cache_mode), as the dashboard's unnamed statements are.
 */
function psqlScript(statements: readonly Statement[], runs: number): string {
  const trailing = /;\s*$/;
  const lines = [
    '\\set ON_ERROR_STOP 1',
    '\\o /dev/null',
    `\\i ${path.join(sqlDir, 'web', 'read_only_session.sql')}`,
    'SET plan_cache_mode = force_custom_plan;',
    ...statements.map((s, i) => `PREPARE page_${i} AS\n${readSql(s.file).trimEnd().replace(trailing, '')};`),
    '\\timing on',
  ];
  for (let view = 0; view < runs; view += 1) {
    for (const [i, s] of statements.entries()) {
      const values = valuesOf(s, view);
      lines.push(`EXECUTE page_${i}${values.length === 0 ? '' : `(${values.map(literal).join(', ')})`};`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** psql's side: each page view's statements' \timing summed, the warm-ups left out. */
async function timePsql(ctx: BenchContext, db: BenchDatabase, spec: PageSpec, file: string): Promise<number[]> {
  const { webWarmups, webRequests } = ctx.settings;
  const runs = webWarmups + webRequests;
  writeFileSync(file, psqlScript(spec.statements, runs));
  const run = await measureProcess(ctx.settings.psql, [db.url, '-X', '-q', '-f', file], {
    env: commandEnv(db),
    cwd: projectRoot,
  });
  const times = [...run.stdout.matchAll(/^Time: ([\d.]+) ms/gm)].map((m) => Number(m[1]));
  const per = spec.statements.length;
  if (times.length !== runs * per) {
    throw new Error(`psql printed ${times.length} timings for ${spec.page}, not ${runs * per}`);
  }
  const views: number[] = [];
  for (let view = webWarmups; view < runs; view += 1) {
    views.push(times.slice(view * per, (view + 1) * per).reduce((sum, t) => sum + t, 0));
  }
  return views;
}

/** One URL `requests` times after `warmups`, in turn, on the same keep-alive connection. */
async function timeUrl(
  base: string,
  url: PageUrl,
  warmups: number,
  requests: number,
): Promise<Omit<WebPageResult, 'page' | 'psqlMs'>> {
  const clientMs: number[] = [];
  const serverMs: number[] = [];
  let bytes = 0;
  for (let i = 0; i < warmups + requests; i += 1) {
    const started = performance.now();
    const response = await fetch(new URL(urlOf(url, i), base));
    const body = await response.arrayBuffer();
    const elapsed = performance.now() - started;
    if (response.status !== 200) {
      throw new Error(
        `GET ${urlOf(url, i)} answered ${response.status}: ${Buffer.from(body).toString('utf8').slice(0, 200)}`,
      );
    }
    if (i < warmups) continue;
    clientMs.push(elapsed);
    const timing = /(?:^|,)\s*app;dur=([\d.]+)/.exec(response.headers.get('server-timing') ?? '')?.[1];
    if (timing !== undefined) serverMs.push(Number(timing));
    bytes = body.byteLength;
  }
  return { url: typeof url === 'string' ? url : `${urlOf(url, warmups)} …`, clientMs, serverMs, bytes };
}

async function waitForHealth(base: string, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const why = exited();
    if (why !== undefined) throw new Error(`node dist/web/main.js exited before it answered: ${why}`);
    try {
      if ((await fetch(new URL('/health', base))).status === 200) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error('node dist/web/main.js did not answer /health within 30 s');
    await sleep(100);
  }
}

export async function compareWeb(ctx: BenchContext, workDir: string): Promise<WebResult> {
  const result: WebResult = {
    runs: ctx.settings.webRuns,
    days: ctx.settings.webDays,
    requests: ctx.settings.webRequests,
    warmups: ctx.settings.webWarmups,
    pages: [],
  };
  mkdirSync(workDir, { recursive: true });
  const db = await ctx.server.createDatabase('web');
  await seed(ctx, db, result);
  const cronLog = path.join(workDir, 'cron.log');
  await writeCronLog(db, cronLog);
  const { specs, zoom } = await pageSpecs(db);
  result.zoom = zoom;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}/`;
  const server = startProcess(process.execPath, [path.join('dist', 'web', 'main.js')], {
    env: commandEnv(db, {
      WEB_HOST: '127.0.0.1',
      WEB_PORT: String(port),
      CRON_LOG: cronLog,
      LOG_LEVEL: 'warn',
    }),
    cwd: projectRoot,
  });
  const output = tail();
  server.stdout!.on('data', output.add);
  server.stderr!.on('data', output.add);
  let exit: string | undefined;
  server.once('exit', (code, signal) => (exit = `${code ?? signal}: ${lastLine(output.text()) || 'no output'}`));
  try {
    await waitForHealth(base, () => exit);
    for (const spec of specs) {
      ctx.interrupted.throwIfAborted();
      const psqlMs = await timePsql(ctx, db, spec, path.join(workDir, `psql-${result.pages.length}.sql`));
      for (const url of spec.urls) {
        const timed = await timeUrl(base, url, ctx.settings.webWarmups, ctx.settings.webRequests);
        result.pages.push({ page: spec.page, psqlMs, ...timed });
        const median = [...timed.clientMs].sort((a, b) => a - b)[Math.floor(timed.clientMs.length / 2)] ?? NaN;
        ctx.progress(`web: ${timed.url}: median ${median.toFixed(1)} ms at the client`);
      }
    }
    if (server.pid !== undefined) result.peakRssBytes = readStatusBytes(server.pid, 'VmHWM');
  } catch (error) {
    if (ctx.interrupted.aborted) throw error;
    result.error = exit === undefined ? describeError(error) : `${describeError(error)} (server: ${exit})`;
    ctx.progress(`web: failed: ${result.error}`);
  } finally {
    await stopProcess(server);
  }
  return result;
}
