import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Hono, type Context } from 'hono';
import { basicAuth } from 'hono/basic-auth';
import { html } from 'hono/html';
import { HTTPException } from 'hono/http-exception';
import type { Pool } from '../lib/db';
import { describeError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { projectRoot } from '../lib/sqlFiles';
import { readAds, renderAds } from './ads';
import { withReader, type Reader } from './db';
import { readLake, renderLakeChart, renderLakeTables } from './lake';
import { readLoads, renderLoads } from './loads';
import { parseLoansQuery, readLoans, renderLoansChart, renderLoansTable } from './loans';
import { readOverview, renderOverview } from './overview';
import {
  parseRunsFilter,
  readRunDetail,
  readRuns,
  renderFilter,
  renderLegend,
  renderDurations,
  renderRunDetail,
  renderRunsGrid,
} from './runs';
import { layout, live, type Html } from './view';

/**
 * The dashboard's routes (docs/dashboard.md): each page is a function that reads its data
 * through the read-only connection (web/db.ts), the same data served as HTML at /<page> and as
 * JSON at /api/<page>. GET and HEAD only; static files from web/static and echarts' browser
 * build under /assets/.
 */

export interface WebOptions {
  pool: Pool;
  logger: Logger;
  /** cron.log (CRON_LOG), where a run's log lines are read from. */
  cronLogPath: string;
  refreshSeconds: number;
  auth?: { user: string; password: string };
}

const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const ASSETS: Record<string, { file: string; type: string }> = {
  'dashboard.js': { file: 'web/static/dashboard.js', type: 'text/javascript; charset=utf-8' },
  'dashboard.css': { file: 'web/static/dashboard.css', type: 'text/css; charset=utf-8' },
  'echarts.min.js': { file: 'node_modules/echarts/dist/echarts.min.js', type: 'text/javascript; charset=utf-8' },
};

/** Equal in time that does not depend on where the texts differ (hashes of equal length). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export function createApp(options: WebOptions): Hono {
  const app = new Hono();
  const assets = new Map<string, Buffer>();

  app.use(async (c, next) => {
    const startedMs = performance.now();
    await next();
    const durationMs = Math.round((performance.now() - startedMs) * 10) / 10;
    c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('X-Frame-Options', 'DENY');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Server-Timing', `app;dur=${durationMs}`);
    options.logger.debug('request', {
      status: c.res.status,
      duration_ms: durationMs,
      method: c.req.method,
      path: c.req.path,
    });
  });

  // Read-only: nothing here changes anything, whatever the method.
  app.use(async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    c.header('Allow', 'GET, HEAD');
    return c.text(`${c.req.method} is not served: the dashboard only reads (GET, HEAD)\n`, 405);
  });

  // For healthchecks, also when basic auth is on: it says nothing but that the server answers.
  app.get('/health', (c) => c.json({ status: 'ok' }));
  // Browsers ask for it on every page; there is none.
  app.get('/favicon.ico', (c) => c.body(null, 204));

  const auth = options.auth;
  if (auth !== undefined) {
    app.use(
      basicAuth({
        realm: 'loans-analytics dashboard',
        // Both compared, always, so that the time taken does not tell which was wrong.
        verifyUser: (user, password) =>
          [sameSecret(user, auth.user), sameSecret(password, auth.password)].every(Boolean),
      }),
    );
  }

  app.get('/assets/:name', async (c) => {
    const asset = ASSETS[c.req.param('name')];
    if (asset === undefined) return c.notFound();
    let body = assets.get(asset.file);
    if (body === undefined) {
      body = await readFile(path.join(projectRoot, asset.file));
      assets.set(asset.file, body);
    }
    return c.body(new Uint8Array(body), 200, { 'Content-Type': asset.type, 'Cache-Control': 'no-cache' });
  });

  const read = <T>(work: (db: Reader) => Promise<T>): Promise<T> => withReader(options.pool, work);

  /** Whether the page's script asks for its live part only (fragment=live): no chart then. */
  const fragment = (c: Context) => c.req.query('fragment') === 'live';
  /**
   * A page: the whole document, or only its live part for a fragment request. The body is a
   * function, so that a fragment request does not draw the page's charts.
   */
  const page = (c: Context, title: string, liveContent: Html, body: () => Html, charts = false) => {
    if (fragment(c)) return c.html(liveContent);
    return c.html(layout({ path: c.req.path, title, refreshSeconds: options.refreshSeconds, charts }, body()));
  };
  const selfUrl = (c: Context) => {
    const url = new URL(c.req.url);
    url.searchParams.delete('fragment');
    return `${url.pathname}${url.search}`;
  };

  app.get('/', async (c) => {
    const content = renderOverview(await read(readOverview));
    return page(c, 'Overview', content, () => live(selfUrl(c), content));
  });
  app.get('/api/overview', async (c) => c.json(await read(readOverview)));

  app.get('/runs', async (c) => {
    const filter = parseRunsFilter((name) => c.req.query(name));
    const runId = c.req.query('run');
    const [runs, detail] = await read(async (db) => [
      await readRuns(db, filter),
      runId === undefined ? undefined : await readRunDetail(db, runId, options.cronLogPath),
    ]);
    const grid = renderRunsGrid(runs);
    return page(
      c,
      'Runs',
      grid,
      () =>
        html`${renderFilter(runs)}${renderLegend()}${live(selfUrl(c), grid)}${renderRunDetail(detail, runId)}${renderDurations(runs)}`,
      true,
    );
  });
  app.get('/runs/:runId/detail', async (c) => {
    const runId = c.req.param('runId');
    const detail = await read((db) => readRunDetail(db, runId, options.cronLogPath));
    return c.html(renderRunDetail(detail, runId), detail === undefined ? 404 : 200);
  });
  app.get('/api/runs', async (c) =>
    c.json(
      await read((db) =>
        readRuns(
          db,
          parseRunsFilter((name) => c.req.query(name)),
        ),
      ),
    ),
  );
  app.get('/api/runs/:runId', async (c) => {
    const runId = c.req.param('runId');
    const detail = await read((db) => readRunDetail(db, runId, options.cronLogPath));
    return detail === undefined ? c.json({ error: `no run ${runId} in job_runs` }, 404) : c.json(detail);
  });

  app.get('/loads', async (c) => {
    const content = renderLoads(await read((db) => readLoads(db, c.req.query('load'))));
    return page(c, 'Loads', content, () => live(selfUrl(c), content));
  });
  app.get('/api/loads', async (c) => c.json(await read((db) => readLoads(db, c.req.query('load')))));

  app.get('/loans', async (c) => {
    const query = parseLoansQuery((name) => c.req.query(name));
    // A refresh of the table only reads no chart: its points cost most of the page's time.
    const data = await read((db) => readLoans(db, query, { chart: !fragment(c) }));
    const days = renderLoansTable(data);
    return page(c, 'Loans', days, () => html`${renderLoansChart(data)}${live(selfUrl(c), days)}`, true);
  });
  app.get('/api/loans', async (c) =>
    c.json(
      await read((db) =>
        readLoans(
          db,
          parseLoansQuery((name) => c.req.query(name)),
        ),
      ),
    ),
  );

  app.get('/lake', async (c) => {
    const data = await read(readLake);
    const tables = renderLakeTables(data);
    return page(c, 'Lake', tables, () => html`${renderLakeChart(data)}${live(selfUrl(c), tables)}`, true);
  });
  app.get('/api/lake', async (c) => c.json(await read(readLake)));

  app.get('/ads', async (c) => {
    const content = renderAds(await read(readAds));
    return page(c, 'Ads', content, () => live(selfUrl(c), content));
  });
  app.get('/api/ads', async (c) => c.json(await read(readAds)));

  app.notFound((c) =>
    c.req.path.startsWith('/api/')
      ? c.json({ error: `no ${c.req.path} here` }, 404)
      : c.html(
          layout(
            { path: c.req.path, title: 'Not found', refreshSeconds: 0 },
            html`<p class="empty">No page at <code>${c.req.path}</code>.</p>`,
          ),
          404,
        ),
  );

  app.onError((error, c) => {
    // basic auth's 401 (with its WWW-Authenticate header) is an answer, not a failure.
    if (error instanceof HTTPException) return error.getResponse();
    options.logger.error('request failed', { method: c.req.method, path: c.req.path, error: describeError(error) });
    // The reason goes to the server's log, not to whoever asked.
    const message = 'The dashboard could not read the database; its log says why.';
    return c.req.path.startsWith('/api/')
      ? c.json({ error: message }, 503)
      : c.html(
          layout({ path: c.req.path, title: 'Error', refreshSeconds: 0 }, html`<p class="fail-box">${message}</p>`),
          503,
        );
  });

  return app;
}
