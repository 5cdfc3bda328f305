import { html } from 'hono/html';
import { runDurationsOption } from '../charts/options';
import { readRunDurations, type RunDuration } from '../charts/runDurations';
import type { Reader } from './db';
import { readRunLog, type RunLog } from './runLog';
import {
  chart,
  count,
  durationText,
  formatUtc,
  status,
  statusMark,
  STATUS_MARKS,
  scrollBox,
  table,
  time,
  type Html,
} from './view';

/**
 * The Runs page: a grid like Airflow's (workflows down, their recent runs across, one cell per
 * task of a run), a run's detail (its tasks, errors and cron.log lines), filters by workflow and
 * status as query parameters.
 */

export const RUN_STATUSES = ['running', 'succeeded', 'failed'] as const;
/** Runs shown per workflow. */
export const RUNS_PER_WORKFLOW = 25;
const TASKS_PER_RUN = 1000;
/** Runs on the durations chart. */
export const DURATION_RUNS = 200;
/** The workflow charted when the filter names none. */
const DEFAULT_CHARTED = 'default_liquidation_rolling_avg_hist';

export interface RunsFilter {
  workflow: string | null;
  status: (typeof RUN_STATUSES)[number] | null;
}

export interface RunRow {
  job: string;
  run_id: string;
  trigger: string;
  status: string;
  rows: number | null;
  started_at: Date;
  finished_at: Date | null;
  duration_ms: number | null;
  error: string | null;
}

export interface TaskCell {
  run_id: string;
  task: string;
  status: string;
  started_at: Date;
  duration_ms: number;
  rows: string | null;
  attempts: number;
  executions: number;
  error: string | null;
}

export interface GridColumn extends RunRow {
  /** By task name. */
  cells: Record<string, Omit<TaskCell, 'run_id' | 'task'>>;
}

export interface WorkflowGrid {
  job: string;
  /** Task names, in the order they ran. */
  tasks: string[];
  /** Oldest first, as a timeline reads. */
  runs: GridColumn[];
}

export interface RunsPage {
  filter: RunsFilter;
  /** Every workflow that has run: the choices of the filter. */
  workflows: string[];
  grid: WorkflowGrid[];
  /** How long the recent runs of one workflow took: the filter's, else the rolling average's, else the first. */
  durations: { workflow: string; runs: RunDuration[] } | null;
}

/** The filter from the query string; a value it does not know is dropped, and said so. */
export function parseRunsFilter(query: (name: string) => string | undefined): RunsFilter {
  const workflow = query('workflow')?.trim();
  const wanted = query('status')?.trim();
  return {
    workflow: workflow === undefined || workflow === '' ? null : workflow,
    status: (RUN_STATUSES as readonly string[]).includes(wanted ?? '') ? (wanted as RunsFilter['status']) : null,
  };
}

export async function readRuns(db: Reader, filter: RunsFilter): Promise<RunsPage> {
  // Every workflow that has run, for the filter's choices: the newest run of each.
  const workflows = (await db.rows<RunRow>('recent_runs.sql', [null, null, 1])).map((row) => row.job);
  const runs = await db.rows<RunRow>('recent_runs.sql', [filter.workflow, filter.status, RUNS_PER_WORKFLOW]);
  const cells = await db.rows<TaskCell>('task_cells.sql', [runs.map((run) => run.run_id)]);
  const byRun = new Map<string, TaskCell[]>();
  for (const cell of cells) byRun.set(cell.run_id, [...(byRun.get(cell.run_id) ?? []), cell]);
  const grid: WorkflowGrid[] = [];
  for (const run of runs) {
    let row = grid.at(-1);
    if (row?.job !== run.job) {
      row = { job: run.job, tasks: [], runs: [] };
      grid.push(row);
    }
    const columnCells: GridColumn['cells'] = {};
    for (const cell of byRun.get(run.run_id) ?? []) {
      const { task, status, started_at, duration_ms, rows, attempts, executions, error } = cell;
      columnCells[task] = { status, started_at, duration_ms, rows, attempts, executions, error };
    }
    // Newest first from SQL: the newest run's tasks set the order, older runs add what it lacks.
    for (const task of Object.keys(columnCells)) if (!row.tasks.includes(task)) row.tasks.push(task);
    row.runs.unshift({ ...run, cells: columnCells });
  }
  const charted =
    filter.workflow ?? (workflows.includes(DEFAULT_CHARTED) ? DEFAULT_CHARTED : (workflows[0] ?? undefined));
  const durations =
    charted === undefined
      ? null
      : { workflow: charted, runs: await readRunDurations(db.client, charted, DURATION_RUNS) };
  return { filter, workflows, grid, durations };
}

export interface RunTask {
  task: string;
  item: string | null;
  attempt: number;
  status: string;
  rows: number | null;
  started_at: Date;
  duration_ms: number;
  error: string | null;
}

export interface RunDetail {
  run: RunRow & {
    scheduled_for: Date | null;
    logical_date: string;
    params: Record<string, unknown>;
    host: string;
    pid: number;
  };
  tasks: RunTask[];
  log: RunLog;
}

export async function readRunDetail(db: Reader, runId: string, cronLogPath: string): Promise<RunDetail | undefined> {
  const run = await db.row<RunDetail['run']>('run.sql', [runId]);
  if (run === undefined) return undefined;
  const tasks = await db.rows<RunTask>('run_tasks.sql', [runId, TASKS_PER_RUN]);
  const log = await readRunLog(cronLogPath, runId, run.started_at);
  return { run, tasks, log };
}

function runsUrl(filter: RunsFilter, extra: Record<string, string> = {}): string {
  const query = new URLSearchParams();
  if (filter.workflow !== null) query.set('workflow', filter.workflow);
  if (filter.status !== null) query.set('status', filter.status);
  for (const [key, value] of Object.entries(extra)) query.set(key, value);
  const text = query.toString();
  return text === '' ? '/runs' : `/runs?${text}`;
}

function cellTitle(
  what: string,
  cell: { status: string; started_at: Date; duration_ms: number | null },
  rest: string[],
): string {
  return [
    `${what}: ${cell.status}`,
    `started ${formatUtc(cell.started_at)}`,
    `duration ${durationText(cell.duration_ms)}`,
    ...rest,
  ].join('\n');
}

function gridCell(href: string, runId: string, state: string, title: string, label: string): Html {
  return html`<a
    class="cell status-${state}"
    data-status="${state}"
    data-run-id="${runId}"
    href="${href}#run-detail"
    title="${title}"
    aria-label="${label}"
    >${statusMark(state)}</a
  >`;
}

function renderGrid(filter: RunsFilter, grid: WorkflowGrid): Html {
  const href = (run: GridColumn) => runsUrl(filter, { run: run.run_id });
  const header = grid.runs.map(
    (run) =>
      html`<th scope="col" class="run-col">
        <time class="short" datetime="${run.started_at.toISOString()}">${formatUtc(run.started_at).slice(11, 16)}</time>
      </th>`,
  );
  const runRow = grid.runs.map((run) => {
    const title = cellTitle(`run ${run.run_id} (${run.trigger})`, run, [
      `rows ${count(run.rows)}`,
      ...(run.error === null ? [] : [`error ${run.error}`]),
    ]);
    return html`<td>${gridCell(href(run), run.run_id, run.status, title, `run ${run.run_id}: ${run.status}`)}</td>`;
  });
  const taskRows = grid.tasks.map(
    (task) =>
      html`<tr>
        <th scope="row" class="task-name">${task}</th>
        ${grid.runs.map((run) => {
          const cell = run.cells[task];
          if (cell === undefined)
            return html`<td>
              <span class="cell cell-none" data-status="none" title="did not run in ${run.run_id}">·</span>
            </td>`;
          const title = cellTitle(`task ${task}`, cell, [
            `rows ${count(cell.rows)}`,
            `attempt ${cell.attempts}${cell.executions > 1 ? `, ${cell.executions} executions` : ''}`,
            ...(cell.error === null ? [] : [`error ${cell.error}`]),
          ]);
          return html`<td>
            ${gridCell(href(run), run.run_id, cell.status, title, `${task} in run ${run.run_id}: ${cell.status}`)}
          </td>`;
        })}
      </tr>`,
  );
  return scrollBox(
    `runs of ${grid.job}`,
    html`<table class="grid" id="grid-${grid.job}" data-workflow="${grid.job}">
      <caption>
        <a href="${runsUrl({ ...filter, workflow: grid.job })}">${grid.job}</a>
        <span class="muted">— ${grid.runs.length} ${grid.runs.length === 1 ? 'run' : 'runs, oldest left'}</span>
      </caption>
      <thead>
        <tr>
          <th scope="col">task</th>
          ${header}
        </tr>
      </thead>
      <tbody>
        <tr class="run-row">
          <th scope="row">whole run</th>
          ${runRow}
        </tr>
        ${taskRows}
      </tbody>
    </table>`,
  );
}

export function renderFilter(page: RunsPage): Html {
  const { filter } = page;
  return html`<form class="filter" id="runs-filter" method="get" action="/runs">
    <label
      >Workflow
      <select name="workflow">
        <option value="">every workflow</option>
        ${page.workflows.map(
          (job) => html`<option value="${job}" ${job === filter.workflow ? html` selected` : ''}>${job}</option>`,
        )}
      </select></label
    >
    <label
      >Status
      <select name="status">
        <option value="">any status</option>
        ${RUN_STATUSES.map(
          (value) =>
            html`<option value="${value}" ${value === filter.status ? html` selected` : ''}>
              ${statusMark(value)} ${value}
            </option>`,
        )}
      </select></label
    >
    <button type="submit">Show</button>
    ${filter.workflow !== null || filter.status !== null ? html`<a href="/runs">clear</a>` : ''}
  </form>`;
}

export function renderLegend(): Html {
  return html`<p class="legend" id="legend">
    ${Object.keys(STATUS_MARKS).map(
      (state) => html`<span class="cell status-${state}" aria-hidden="true">${statusMark(state)}</span> ${state} `,
    )}<span class="cell cell-none" aria-hidden="true">·</span> did not run. Hover a cell for its start, duration, rows
    and attempt; click it for the run's tasks, errors and log.
  </p>`;
}

export function renderRunsGrid(page: RunsPage): Html {
  if (page.grid.length === 0) {
    const why =
      page.workflows.length === 0 ? 'No workflow has run yet: job_runs is empty.' : 'No run matches this filter.';
    return html`<p class="empty" id="grid-empty">${why}</p>`;
  }
  return html`${page.grid.map((grid) => renderGrid(page.filter, grid))}`;
}

export function renderDurations(page: RunsPage): Html {
  if (page.durations === null) return html``;
  const { workflow, runs } = page.durations;
  return html`<section aria-labelledby="h-durations">
    <h2 id="h-durations">Durations of ${workflow}</h2>
    ${page.filter.workflow === null ? html`<p class="muted">Pick a workflow above to chart another.</p>` : ''}
    ${chart(
      'durations-chart',
      runDurationsOption(runs, workflow),
      { width: 1200, height: 360 },
      `How long the last ${runs.length} runs of ${workflow} took, failed runs as diamonds`,
    )}
  </section>`;
}

export function renderRunDetail(detail: RunDetail | undefined, runId: string | undefined): Html {
  if (runId === undefined) {
    return html`<section id="run-detail" class="detail" hidden aria-live="polite"></section>`;
  }
  if (detail === undefined) {
    return html`<section id="run-detail" class="detail" aria-live="polite">
      <h2>Run <code>${runId}</code></h2>
      <p class="empty">No such run in job_runs.</p>
    </section>`;
  }
  const { run, tasks, log } = detail;
  const taskTable = table(
    'run-tasks',
    ['task', 'item', 'attempt', 'status', 'started', 'duration', 'rows', 'error'],
    tasks.map(
      (t) =>
        html`<tr data-status="${t.status}">
          <th scope="row">${t.task}</th>
          <td>${t.item ?? '—'}</td>
          <td class="num">${t.attempt}</td>
          <td>${status(t.status)}</td>
          <td>${time(t.started_at)}</td>
          <td class="num">${durationText(t.duration_ms)}</td>
          <td class="num">${count(t.rows)}</td>
          <td class="error-text">${t.error ?? ''}</td>
        </tr>`,
    ),
    'No task ran (the run failed before its first task, or is starting).',
  );
  const logText = !log.found
    ? html`<p class="empty">No log file at <code>${log.file}</code> on this host (CRON_LOG).</p>`
    : log.lines.length === 0
      ? html`<p class="empty">No line of this run in <code>${log.file}</code> (it may have rotated away).</p>`
      : html`<pre class="log" id="run-log">${log.lines.join('\n')}</pre>
          ${log.truncated ? html`<p class="muted">Reading stopped at a limit (${count(log.lines.length)} lines, ${count(log.bytesRead)} bytes read): older lines of this run may be missing.</p>` : ''}`;
  return html`<section
    id="run-detail"
    class="detail"
    aria-live="polite"
    data-run-id="${run.run_id}"
    data-status="${run.status}"
  >
    <h2>Run <code>${run.run_id}</code> of ${run.job} ${status(run.status)}</h2>
    <dl class="facts">
      <dt>trigger</dt>
      <dd>
        ${run.trigger}${run.scheduled_for === null ? '' : html`, for ${time(run.scheduled_for)}`}; logical date
        ${run.logical_date}
      </dd>
      <dt>started</dt>
      <dd>
        ${time(run.started_at)},
        ${run.finished_at === null ? 'still running' : html`took ${durationText(run.duration_ms)}`}
      </dd>
      <dt>rows</dt>
      <dd>${count(run.rows)}</dd>
      <dt>where</dt>
      <dd>${run.host}, pid ${run.pid}</dd>
      ${
        run.error === null
          ? ''
          : html`<dt>error</dt>
              <dd class="error-text" id="run-error">${run.error}</dd>`
      }
    </dl>
    <h3>Tasks</h3>
    ${taskTable}
    <h3>
      Log lines <span class="muted">(from <code>${log.file}</code>)</span>
    </h3>
    ${logText}
  </section>`;
}
