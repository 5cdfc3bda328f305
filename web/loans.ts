import { html } from 'hono/html';
import { readRatioSeries, type RatioSeries } from '../charts/ratioSeries';
import { ratioChartOption } from '../charts/options';
import { isDate } from '../lake/partitions';
import type { Reader } from './db';
import { chart, count, table, time, type Html } from './view';

/**
 * The Loans page: the daily liquidation-to-default ratio and its rolling average on one chart
 * (downsampled in SQL by charts/ratioSeries.ts; days with no ratio are gaps), and the table below
 * it, newest day first, a page at a time.
 */

export const ROWS_PER_PAGE = 100;
/** Beyond this page the skip through the primary key costs more than a page should: narrow from/to instead. */
export const MAX_PAGE = 1000;
const CHART_SIZE = { width: 1200, height: 440 };
/**
 * Points of the chart: about one per pixel of its width. Half of charts/'s default (2,000, what
 * `npm run chart` draws), which halves the page's time on a large table (docs/dashboard.md, "Speed").
 */
export const CHART_POINTS = 1000;

export interface LoansQuery {
  from?: string;
  to?: string;
  page: number;
  /** What was wrong with the query string, in words; the wrong values are ignored. */
  problems: string[];
}

export interface LoanDay {
  repayment_date: string;
  number_of_loans: number;
  defaults: number;
  liquidations: number;
  /** numeric, as PostgreSQL prints it: exact. */
  liquidation_to_default_ratio: string | null;
  rolling_avg_7d: string | null;
  created_at: Date;
  changed_at: Date;
}

export interface LoansPage {
  query: LoansQuery;
  /** What the table was built with (the state of its last refresh); null before any. */
  state: { window_days: number; include_current_day: boolean; mode: string; refreshed_at: Date } | null;
  /** The chart's points; null for a refresh of the table only. */
  series: RatioSeries | null;
  rows: LoanDay[];
  hasNextPage: boolean;
}

export function parseLoansQuery(query: (name: string) => string | undefined): LoansQuery {
  const problems: string[] = [];
  const day = (name: 'from' | 'to'): string | undefined => {
    const value = query(name)?.trim();
    if (value === undefined || value === '') return undefined;
    if (isDate(value)) return value;
    problems.push(`${name}=${value} is not a day (YYYY-MM-DD): ignored`);
    return undefined;
  };
  let from = day('from');
  let to = day('to');
  if (from !== undefined && to !== undefined && from > to) {
    problems.push(`from=${from} is after to=${to}: both ignored`);
    from = undefined;
    to = undefined;
  }
  const pageText = query('page')?.trim() ?? '1';
  let page = /^\d{1,6}$/.test(pageText) ? Number(pageText) : 1;
  if (page < 1 || page > MAX_PAGE || !/^\d{1,6}$/.test(pageText)) {
    problems.push(`page=${pageText}: expected 1 to ${MAX_PAGE}; narrow from and to to see older days`);
    page = 1;
  }
  return { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }), page, problems };
}

export async function readLoans(db: Reader, query: LoansQuery, what = { chart: true }): Promise<LoansPage> {
  const range = {
    ...(query.from === undefined ? {} : { from: query.from }),
    ...(query.to === undefined ? {} : { to: query.to }),
  };
  const series = what.chart ? await readRatioSeries(db.client, range, CHART_POINTS) : null;
  const state = (await db.row<NonNullable<LoansPage['state']>>('rolling_average_state.sql')) ?? null;
  // One row more than a page: whether there is a next page, without counting the table.
  const rows = await db.rows<LoanDay>('loans_page.sql', [
    query.from ?? null,
    query.to ?? null,
    ROWS_PER_PAGE + 1,
    (query.page - 1) * ROWS_PER_PAGE,
  ]);
  return { query, state, series, rows: rows.slice(0, ROWS_PER_PAGE), hasNextPage: rows.length > ROWS_PER_PAGE };
}

function loansUrl(query: LoansQuery, page: number): string {
  const params = new URLSearchParams();
  if (query.from !== undefined) params.set('from', query.from);
  if (query.to !== undefined) params.set('to', query.to);
  if (page > 1) params.set('page', String(page));
  const text = params.toString();
  return text === '' ? '/loans#days' : `/loans?${text}#days`;
}

export function renderLoansChart(page: LoansPage): Html {
  const { series, query } = page;
  if (series === null) return html``;
  const state = page.state;
  const built =
    state === null
      ? html`No refresh of the table is recorded yet.`
      : html`The table was built with a ${state.window_days}-day window
        ${state.include_current_day ? 'ending on the day itself' : 'ending the day before'}, ${state.mode} refresh at
        ${time(state.refreshed_at)}.`;
  const form = html`<form class="filter" id="loans-range" method="get" action="/loans">
    <label>From <input type="date" name="from" value="${query.from ?? ''}" /></label>
    <label>To <input type="date" name="to" value="${query.to ?? ''}" /></label>
    <button type="submit">Show</button>
    ${query.from !== undefined || query.to !== undefined ? html`<a href="/loans">every day</a>` : ''}
  </form>`;
  const problems =
    query.problems.length === 0
      ? ''
      : html`<ul class="fail-box" id="query-problems">
          ${query.problems.map((p) => html`<li>${p}</li>`)}
        </ul>`;
  const body =
    series.points.length === 0
      ? html`<p class="empty" id="loans-empty">
          No day in
          <code>default_liquidation_rolling_avg_hist</code
          >${query.from !== undefined || query.to !== undefined ? ' in this range' : ''}: the rolling average has not
          been built yet, or loans is empty.
        </p>`
      : chart(
          'ratio-chart',
          ratioChartOption(series),
          CHART_SIZE,
          `Daily liquidation-to-default ratio and its rolling average, ${series.from} to ${series.to}, ${series.bucketDays === 1 ? 'one point per day' : `one point per ${series.bucketDays} days`}`,
        );
  return html`${form}${problems}
    <p id="window">${built}</p>
    ${body}`;
}

export function renderLoansTable(page: LoansPage): Html {
  const rows = table(
    'days-table',
    [
      'day',
      'loans',
      'defaults',
      'liquidations',
      'ratio',
      `rolling average${page.state === null ? '' : ` (${page.state.window_days} days)`}`,
      'changed',
    ],
    page.rows.map(
      (d) =>
        html`<tr>
          <th scope="row">${d.repayment_date}</th>
          <td class="num">${count(d.number_of_loans)}</td>
          <td class="num">${count(d.defaults)}</td>
          <td class="num">${count(d.liquidations)}</td>
          <td class="num">
            ${d.liquidation_to_default_ratio ?? html`<span class="none" title="no defaults: no ratio">—</span>`}
          </td>
          <td class="num">
            ${d.rolling_avg_7d === null ? html`<span class="none">—</span>` : Number(d.rolling_avg_7d).toFixed(4)}
          </td>
          <td>${time(d.changed_at)}</td>
        </tr>`,
    ),
    page.query.page > 1 ? 'No day on this page: it is past the last one.' : 'No day to show.',
  );
  // Two landmarks of one kind need two names (axe's landmark-unique).
  const pager = (where: string): Html =>
    html`<nav class="pager" aria-label="Pages of days, ${where}">
      ${page.query.page > 1 ? html`<a href="${loansUrl(page.query, page.query.page - 1)}" rel="prev">← newer days</a>` : ''}
      <span>page ${page.query.page}, ${ROWS_PER_PAGE} days a page, newest first</span>
      ${page.hasNextPage ? html`<a href="${loansUrl(page.query, page.query.page + 1)}" rel="next">older days →</a>` : ''}
    </nav>`;
  return html`<h2 id="days">The days</h2>
    ${pager('above the table')}${rows}${pager('below the table')}`;
}
