import { html } from 'hono/html';
import type { Reader } from './db';
import type { RunRow } from './runs';
import { count, durationText, status, table, time, type Html } from './view';

/** The Overview page: each workflow's last run, the last load, how fresh each table is, what fails. */

/** A workflow's newest run. */
export type WorkflowLastRun = RunRow;

export interface LastLoad {
  load_id: string;
  file: string;
  status: string;
  rows_read: number | null;
  rows_loaded: number | null;
  rows_rejected: number | null;
  rows_inserted: number | null;
  rows_updated: number | null;
  rows_unchanged: number | null;
  started_at: Date;
  finished_at: Date;
  unchanged_since_load_id: string | null;
  error: string | null;
}

export interface Freshness {
  name: string;
  written_at: Date | null;
  detail: string | null;
}

export interface RecentFailure {
  job: string;
  /** At most FAILURES_COUNTED: more shows as that many and more. */
  runs: number;
  last_failed_at: Date;
}

/** Failed runs of the last 24 hours counted per workflow, at most. */
export const FAILURES_COUNTED = 25;
const DAY_MS = 86_400_000;

export interface Overview {
  workflows: WorkflowLastRun[];
  lastLoad: LastLoad | null;
  freshness: Freshness[];
  /** Failed runs of the last 24 hours, per workflow. */
  recentFailures: RecentFailure[];
  /** What is failing now, in sentences: a workflow whose last run failed, a failed last load. */
  failing: string[];
}

export async function readOverview(db: Reader): Promise<Overview> {
  // The newest run of each workflow: the Runs grid's query, one run each.
  const workflows = await db.rows<WorkflowLastRun>('recent_runs.sql', [null, null, 1]);
  const lastLoad = (await db.row<LastLoad>('last_load.sql')) ?? null;
  const freshness = await db.rows<Freshness>('freshness.sql');
  // Each workflow's last failed runs (the grid's query again), those of the last 24 hours counted.
  const failed = await db.rows<WorkflowLastRun>('recent_runs.sql', [null, 'failed', FAILURES_COUNTED]);
  const since = Date.now() - DAY_MS;
  const recentFailures: RecentFailure[] = [];
  for (const run of failed.filter((r) => r.started_at.getTime() > since)) {
    const known = recentFailures.find((f) => f.job === run.job);
    if (known === undefined) recentFailures.push({ job: run.job, runs: 1, last_failed_at: run.started_at });
    else known.runs += 1;
  }
  const failing = [
    ...workflows
      .filter((run) => run.status === 'failed')
      .map((run) => `${run.job}: its last run (${run.run_id}) failed: ${run.error ?? 'no error recorded'}`),
    ...(lastLoad?.status === 'failed' ? [`the last load (${lastLoad.file}) failed: ${lastLoad.error ?? ''}`] : []),
  ];
  return { workflows, lastLoad, freshness, recentFailures, failing };
}

function runsLink(job: string, runId?: string): string {
  const query = new URLSearchParams({ workflow: job, ...(runId === undefined ? {} : { run: runId }) });
  return `/runs?${query.toString()}${runId === undefined ? '' : '#run-detail'}`;
}

export function renderOverview(data: Overview): Html {
  const failing =
    data.failing.length === 0
      ? html`<p class="ok-box" id="failing-none">
          ${status('succeeded')} Nothing is failing: every workflow's last run and the last load succeeded.
        </p>`
      : html`<ul class="fail-box" id="failing">
          ${data.failing.map((line) => html`<li>${status('failed')} ${line}</li>`)}
        </ul>`;
  const workflows = table(
    'workflows',
    ['workflow', 'last run', 'status', 'trigger', 'started', 'duration', 'rows', 'failed in 24 h'],
    data.workflows.map((run) => {
      const found = data.recentFailures.find((f) => f.job === run.job)?.runs ?? 0;
      const failures = found >= FAILURES_COUNTED ? `${FAILURES_COUNTED}+` : String(found);
      return html`<tr data-status="${run.status}">
        <th scope="row"><a href="${runsLink(run.job)}">${run.job}</a></th>
        <td>
          <a href="${runsLink(run.job, run.run_id)}"><code>${run.run_id}</code></a>
        </td>
        <td>${status(run.status)}</td>
        <td>${run.trigger}</td>
        <td>${time(run.started_at)}</td>
        <td class="num">${durationText(run.duration_ms)}</td>
        <td class="num">${count(run.rows)}</td>
        <td class="num">
          ${found === 0 ? '0' : html`<a href="${`/runs?workflow=${encodeURIComponent(run.job)}&status=failed`}">${failures}</a>`}
        </td>
      </tr>`;
    }),
    'No workflow has run yet: job_runs is empty.',
  );
  const load = data.lastLoad;
  const lastLoad =
    load === null
      ? html`<p class="empty" id="last-load-empty">No load yet: loads is empty.</p>`
      : html`<dl class="facts" id="last-load">
          <dt>file</dt>
          <dd>
            <a href="/loads?load=${load.load_id}"><code>${load.file}</code></a> (load ${load.load_id})
          </dd>
          <dt>status</dt>
          <dd>
            ${status(load.status)}${load.unchanged_since_load_id === null ? '' : html` unchanged since load ${load.unchanged_since_load_id}`}
          </dd>
          <dt>finished</dt>
          <dd>${time(load.finished_at)}</dd>
          <dt>rows</dt>
          <dd>
            ${count(load.rows_read)} read, ${count(load.rows_loaded)} loaded (${count(load.rows_inserted)} new,
            ${count(load.rows_updated)} updated, ${count(load.rows_unchanged)} unchanged), ${count(load.rows_rejected)}
            rejected
          </dd>
          ${
            load.error === null
              ? ''
              : html`<dt>error</dt>
                  <dd class="error-text">${load.error}</dd>`
          }
        </dl>`;
  const freshness = table(
    'freshness',
    ['table', 'last written', 'detail'],
    data.freshness.map(
      (row) =>
        html`<tr>
          <th scope="row"><code>${row.name}</code></th>
          <td>${time(row.written_at)}</td>
          <td>${row.detail ?? '—'}</td>
        </tr>`,
    ),
    'No table found.',
  );
  return html`<section aria-labelledby="h-failing">
      <h2 id="h-failing">Failing</h2>
      ${failing}
    </section>
    <section aria-labelledby="h-workflows">
      <h2 id="h-workflows">Workflows: the last run of each</h2>
      ${workflows}
    </section>
    <div class="columns">
      <section aria-labelledby="h-load">
        <h2 id="h-load">The last load</h2>
        ${lastLoad}
      </section>
      <section aria-labelledby="h-fresh">
        <h2 id="h-fresh">Freshness</h2>
        ${freshness}
      </section>
    </div>`;
}
