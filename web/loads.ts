import { html } from 'hono/html';
import type { Reader } from './db';
import { bytesText, count, durationText, status, table, time, rawText, type Html } from './view';

/** The Loads page: the recent loads with their counts, and one load's rejected lines with their reasons. */

const LOADS_SHOWN = 20;
export const REJECTS_SHOWN = 200;

export interface LoadRow {
  load_id: string;
  file: string;
  file_bytes: string | null;
  sha256: string | null;
  status: string;
  strict: boolean;
  as_of: Record<string, string>;
  rows_read: number | null;
  rows_loaded: number | null;
  rows_rejected: number | null;
  lines_blank: number | null;
  rows_inserted: number | null;
  rows_updated: number | null;
  rows_unchanged: number | null;
  started_at: Date;
  finished_at: Date;
  duration_ms: number | null;
  unchanged_since_load_id: string | null;
  error: string | null;
}

export interface RejectRow {
  load_id: string;
  line_number: number;
  raw_line: string;
  reason: string;
}

export interface LoadsPage {
  loads: LoadRow[];
  /** The load whose rejects are shown: the one asked for, else the newest with rejects. */
  selected: LoadRow | null;
  /** The load that holds them: an unchanged load's rejects are those of the load that read the file. */
  rejectsOfLoadId: string | null;
  rejects: RejectRow[];
}

export async function readLoads(db: Reader, loadId: string | undefined): Promise<LoadsPage> {
  const loads = await db.rows<LoadRow>('recent_loads.sql', [LOADS_SHOWN, null]);
  let selected: LoadRow | null =
    loads.find((load) => load.load_id === loadId) ?? loads.find((load) => (load.rows_rejected ?? 0) > 0) ?? null;
  if (loadId !== undefined && /^\d{1,18}$/.test(loadId) && selected?.load_id !== loadId) {
    // An older load than the page lists.
    selected = (await db.row<LoadRow>('recent_loads.sql', [1, loadId])) ?? selected;
  }
  const rejectsOfLoadId = selected === null ? null : (selected.unchanged_since_load_id ?? selected.load_id);
  const rejects =
    rejectsOfLoadId === null ? [] : await db.rows<RejectRow>('load_rejects.sql', [rejectsOfLoadId, REJECTS_SHOWN]);
  return { loads, selected, rejectsOfLoadId, rejects };
}

export function renderLoads(page: LoadsPage): Html {
  const loads = table(
    'loads',
    [
      'load',
      'file',
      'status',
      'finished',
      'duration',
      'read',
      'loaded',
      'new',
      'updated',
      'unchanged',
      'rejected',
      'blank',
      'size',
    ],
    page.loads.map(
      (load) =>
        html`<tr data-status="${load.status}" ${load.load_id === page.selected?.load_id ? html` class="selected"` : ''}>
          <th scope="row"><a href="/loads?load=${load.load_id}#rejects">${load.load_id}</a></th>
          <td>
            <code>${load.file}</code
            >${load.unchanged_since_load_id === null ? '' : html` <span class="muted">unchanged since ${load.unchanged_since_load_id}</span>`}${load.error === null ? '' : html`<div class="error-text">${load.error}</div>`}
          </td>
          <td>${status(load.status)}</td>
          <td>${time(load.finished_at)}</td>
          <td class="num">${durationText(load.duration_ms)}</td>
          <td class="num">${count(load.rows_read)}</td>
          <td class="num">${count(load.rows_loaded)}</td>
          <td class="num">${count(load.rows_inserted)}</td>
          <td class="num">${count(load.rows_updated)}</td>
          <td class="num">${count(load.rows_unchanged)}</td>
          <td class="num">${count(load.rows_rejected)}</td>
          <td class="num">${count(load.lines_blank)}</td>
          <td class="num">${bytesText(load.file_bytes)}</td>
        </tr>`,
    ),
    'No load yet: loads is empty.',
  );
  const selected = page.selected;
  const heading =
    selected === null
      ? html`Rejected lines`
      : html`Rejected lines of load ${selected.load_id}
          <span class="muted"
            >(${count(selected.rows_rejected)} in
            all${page.rejects.length < (selected.rows_rejected ?? 0) ? `, the first ${page.rejects.length} shown` : ''}${page.rejectsOfLoadId !== selected.load_id ? `; kept under load ${page.rejectsOfLoadId}, which read the same file` : ''})</span
          >`;
  const rejects =
    selected === null
      ? html`<p class="empty" id="rejects-empty">No recent load rejected a line.</p>`
      : table(
          'rejects',
          ['line', 'reason', 'raw line (as text)'],
          page.rejects.map(
            (reject) =>
              html`<tr>
                <th scope="row" class="num">${reject.line_number}</th>
                <td>${reject.reason}</td>
                <td><code class="raw">${rawText(reject.raw_line)}</code></td>
              </tr>`,
          ),
          `Load ${selected.load_id} rejected no line.`,
        );
  return html`<section aria-labelledby="h-loads">
      <h2 id="h-loads">Recent loads</h2>
      ${loads}
    </section>
    <section aria-labelledby="h-rejects" id="rejects-section">
      <h2 id="h-rejects"><a id="rejects"></a>${heading}</h2>
      ${rejects}
    </section>`;
}
