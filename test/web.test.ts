import type { Hono } from 'hono';
import type { AdsPage } from '../web/ads';
import { createReaderPool, withReader } from '../web/db';
import type { LakePage } from '../web/lake';
import type { LoadsPage } from '../web/loads';
import type { LoansPage } from '../web/loans';
import type { Overview } from '../web/overview';
import type { RunDetail, RunsPage } from '../web/runs';
import { createApp, type WebOptions } from '../web/app';
import type { Pool } from '../lib/db';
import { createTestDatabase, type TestDatabase } from './support/database';
import { tempDir, writeFile } from './support/files';
import { captureLogger } from './support/logs';

/**
 * The dashboard's routes through Hono's app.request() (no port), against a real PostgreSQL whose
 * rows the test inserts; every value expected here is worked out by hand from those rows.
 */

let db: TestDatabase;
let empty: TestDatabase;
let reader: Pool;
let emptyReader: Pool;
let app: Hono;
const { logger, entries } = captureLogger();
const logDir = tempDir('web-log-');

const HOSTILE_SCRIPT = '<script>alert(1)</script>';
const HOSTILE_IMG = '<img src=x onerror=alert(1)>';
// A bell and an escape in a raw line: shown as marked \\u0007 and \\u001b escapes.
const CONTROL_LINE = 'x,\u0007,\u001b[31m';

// Two workflows: wf_alpha ran three times (succeeded, failed, succeeded, the newest last),
// wf_beta once, still running.
const TODAY = new Date().toISOString().slice(0, 10);

const RUNS = [
  ['a1', 'wf_alpha', 'succeeded', 10, '2026-12-01T10:00:00Z', '2026-12-01T10:00:02Z', null],
  ['a2', 'wf_alpha', 'failed', null, '2026-12-01T11:00:00Z', '2026-12-01T11:00:05Z', 'task build failed: boom <b>'],
  ['a3', 'wf_alpha', 'succeeded', 12, '2026-12-01T12:00:00Z', '2026-12-01T12:00:01.5Z', null],
  ['b1', 'wf_beta', 'running', null, '2026-12-01T12:30:00Z', null, null],
] as const;

beforeAll(async () => {
  [db, empty] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  const q = (sql: string, values: unknown[] = []) => db.pool.query(sql, values);
  for (const [id, job, status, rows, started, finished, error] of RUNS) {
    await q(
      `INSERT INTO job_runs (run_id, job, trigger, status, rows, started_at, finished_at, error, host, pid, logical_date)
       VALUES ($1, $2, 'manual', $3, $4, $5, $6, $7, 'host1', 42, '2026-12-01')`,
      [id, job, status, rows, started, finished, error],
    );
  }
  // a2: plan succeeded, build failed after a retry, publish skipped.
  const tasks = [
    ['a1', 'plan', null, 1, 'succeeded', 0, '2026-12-01T10:00:00Z', 5, null],
    ['a1', 'build', null, 1, 'succeeded', 10, '2026-12-01T10:00:01Z', 900, null],
    ['a2', 'plan', null, 1, 'succeeded', 0, '2026-12-01T11:00:00Z', 4, null],
    ['a2', 'build', null, 1, 'retried', null, '2026-12-01T11:00:01Z', 100, 'boom'],
    ['a2', 'build', null, 2, 'failed', null, '2026-12-01T11:00:03Z', 120, 'boom <b>'],
    ['a2', 'publish', null, 1, 'skipped', null, '2026-12-01T11:00:04Z', 0, null],
    ['a3', 'plan', null, 1, 'succeeded', 0, '2026-12-01T12:00:00Z', 3, null],
    ['a3', 'build', 'x', 1, 'succeeded', 5, '2026-12-01T12:00:00.5Z', 200, null],
    ['a3', 'build', 'y', 1, 'succeeded', 7, '2026-12-01T12:00:00.8Z', 300, null],
  ];
  for (const t of tasks) {
    await q(
      `INSERT INTO task_runs (run_id, task, item, attempt, status, rows, started_at, duration_ms, error)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      t,
    );
  }
  const load = await q(
    `INSERT INTO loads (file, status, strict, rows_read, rows_loaded, rows_rejected, lines_blank, rows_inserted,
                        rows_updated, rows_unchanged, started_at, finished_at)
     VALUES ('data/hostile.csv', 'succeeded', false, 5, 2, 3, 0, 2, 0, 0, '2026-12-01T09:00:00Z', '2026-12-01T09:00:01Z')
     RETURNING load_id`,
  );
  const loadId = load.rows[0].load_id as string;
  await q(
    `INSERT INTO load_rejects (load_id, line_number, raw_line, reason) VALUES
       ($1, 2, $2, 'not a date'), ($1, 3, $3, 'not a number'), ($1, 4, $4, 'wrong number of fields')`,
    [loadId, HOSTILE_SCRIPT, HOSTILE_IMG, CONTROL_LINE],
  );
  await q(
    `INSERT INTO loads (file, status, strict, started_at, finished_at, error)
     VALUES ('data/missing.csv', 'failed', false, '2026-12-01T09:30:00Z', '2026-12-01T09:30:00Z', 'no such file')`,
  );
  await q(`INSERT INTO default_liquidation_rolling_avg_hist
             (repayment_date, number_of_loans, defaults, liquidations, liquidation_to_default_ratio, rolling_avg_7d, created_at, changed_at)
           VALUES ('2023-01-01', 10, 1, 2, 2, 2, now(), now()), ('2023-01-02', 10, 0, 3, NULL, 2, now(), now()),
                  ('2023-01-03', 10, 1, 4, 4, 3, now(), now())`);
  await q(`INSERT INTO default_liquidation_rolling_avg_hist_state (window_days, include_current_day, mode, refreshed_at)
           VALUES (7, true, 'full', now())`);
  // Today (UTC) just after midnight: within "the last 14 days" of the Ads page, and never in the future.
  const today = "date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '1 second'";
  await q(`INSERT INTO ad_backups (backup_key, run_id, bytes, sha256, stored_at, impressions, rejected, loaded_at)
           VALUES ('k1', 'r1', 100, repeat('a', 64), ${today}, 3, 1, ${today}),
                  ('k2', 'r2', 200, repeat('b', 64), ${today}, 1, 0, ${today})`);
  await q(`INSERT INTO ads (ad_id, ad_group, ad_campaign, shown_at, backup_key)
           SELECT gen_random_uuid(), 'brand', 500, ${today}, 'k1' FROM generate_series(1, 3)`);
  await q(`INSERT INTO ad_archives (archive_key, shown_date, part, run_id, rows, bytes, sha256, shown_from, shown_to)
           VALUES ('archive/2026-11-20/1', '2026-11-20', 1, 'r3', 5, 50, repeat('c', 64), '2026-11-20', '2026-11-20 01:00')`);
  const ingest = await q(
    `INSERT INTO lake_ingests (source, status, lines_read, events_written, quarantined, duplicates, blank_lines, quarantine_reasons)
     VALUES ('inbox/x.ndjson', 'succeeded', 25, 22, 3, 0, 0, '{"not_json": 2, "bad_id": 1}') RETURNING ingest_id`,
  );
  const ingestId = ingest.rows[0].ingest_id as string;
  await q(
    `INSERT INTO lake_files (path, content, event_type, event_date, event_hour, rows, bytes, min_created_at, max_created_at, ingest_id)
     VALUES ('events/a1', 'events', 'a.x', $2, 1, 10, 1000, now(), now(), $1),
            ('events/a2', 'events', 'a.x', $2, 1, 5, 500, now(), now(), $1),
            ('events/b1', 'events', 'b.y', $2, 2, 7, 700, now(), now(), $1),
            ('quarantine/q1', 'quarantine', NULL, $2, NULL, 3, 300, NULL, NULL, $1)`,
    [ingestId, TODAY],
  );
  writeFile(logDir, 'cron.log', [
    '2026-12-01T10:59:00.000Z INFO  scheduler job=wf_alpha run=a1 status=succeeded rows=10 duration_ms=2000',
    '2026-12-01T11:00:00.000Z INFO  scheduler job=wf_alpha run=a2 status=started trigger=manual',
    '2026-12-01T11:00:00.100Z INFO  scheduler job=wf_beta run=zz status=started trigger=manual',
    '2026-12-01T11:00:05.000Z ERROR scheduler job=wf_alpha run=a2 status=failed duration_ms=5000 error=task build failed: boom <b>',
    '2026-12-01T11:00:06.000Z INFO  scheduler job=wf_alpha run=a22 status=started trigger=manual',
    '',
  ]);
  reader = createReaderPool(db.config);
  emptyReader = createReaderPool(empty.config);
  app = createApp(options(reader));
});

afterAll(async () => {
  await Promise.all([reader.end(), emptyReader.end()]);
  await Promise.all([db.drop(), empty.drop()]);
});

function options(pool: Pool, extra: Partial<WebOptions> = {}): WebOptions {
  return { pool, logger, cronLogPath: `${logDir}/cron.log`, refreshSeconds: 30, ...extra };
}

async function get(
  path: string,
  target = app,
  init?: RequestInit,
): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await target.request(path, init);
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** The JSON of a page, typed as the page's data (its times are ISO strings there, not Dates). */
async function json<T>(path: string): Promise<T> {
  const response = await get(path);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return JSON.parse(response.text) as T;
}

describe('every page and its JSON', () => {
  test.each(['/', '/loans', '/runs', '/loads', '/ads', '/lake'])('%s answers 200 with a whole page', async (path) => {
    const page = await get(path);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.text).toMatch(/^<!doctype html>/);
    expect(page.text).toContain('<nav aria-label="Pages">');
    expect(page.text).toContain('<script src="/assets/dashboard.js" defer></script>');
  });

  test("/api/overview: each workflow's newest run, the newest load, what fails", async () => {
    const overview = await json<Overview>('/api/overview');
    expect(overview.workflows.map((w) => [w.job, w.run_id, w.status, w.rows, w.duration_ms])).toEqual([
      ['wf_alpha', 'a3', 'succeeded', 12, 1500],
      ['wf_beta', 'b1', 'running', null, null],
    ]);
    expect(overview.lastLoad).toMatchObject({ file: 'data/missing.csv', status: 'failed', error: 'no such file' });
    expect(overview.failing).toEqual(['the last load (data/missing.csv) failed: no such file']);
    expect(overview.freshness.map((f) => f.name)).toContain('default_liquidation_rolling_avg_hist');
    // a2 started on 2026-12-01, long before "the last 24 hours" of now.
    expect(overview.recentFailures).toEqual([]);
  });

  test('/ shows the same: the last run of each workflow with status words and marks, the failing load', async () => {
    const page = (await get('/')).text;
    expect(page).toContain('<code>a3</code>');
    expect(page).toContain('data-status="running">▶ running</span>');
    expect(page).toContain('the last load (data/missing.csv) failed: no such file');
    expect(page).toContain('<time datetime="2026-12-01T12:00:00.000Z">2026-12-01 12:00:00 UTC</time>');
  });

  test('/api/runs: the grid, one cell per task of a run, oldest run first', async () => {
    const runs = await json<RunsPage>('/api/runs');
    expect(runs.workflows).toEqual(['wf_alpha', 'wf_beta']);
    const alpha = runs.grid[0]!;
    expect(alpha.job).toBe('wf_alpha');
    expect(alpha.runs.map((r) => [r.run_id, r.status])).toEqual([
      ['a1', 'succeeded'],
      ['a2', 'failed'],
      ['a3', 'succeeded'],
    ]);
    expect(alpha.tasks).toEqual(['plan', 'build', 'publish']);
    // a2's build: attempt 1 retried, attempt 2 failed (100 + 120 ms); a3's build: two items (5 + 7 rows).
    expect(alpha.runs[1]!.cells.build).toMatchObject({
      status: 'failed',
      attempts: 2,
      duration_ms: 220,
      error: 'boom <b>',
    });
    expect(alpha.runs[1]!.cells.publish).toMatchObject({ status: 'skipped', rows: null });
    expect(alpha.runs[2]!.cells.build).toMatchObject({
      status: 'succeeded',
      rows: '12',
      executions: 2,
      duration_ms: 500,
    });
    expect(alpha.runs[2]!.cells.publish).toBeUndefined();
    expect(runs.grid[1]!.runs.map((r) => r.run_id)).toEqual(['b1']);
  });

  test('/api/runs filters by workflow and by status', async () => {
    const failed = await json<RunsPage>('/api/runs?status=failed');
    expect(failed.filter).toEqual({ workflow: null, status: 'failed' });
    expect(failed.grid.map((g) => [g.job, g.runs.map((r) => r.run_id)])).toEqual([['wf_alpha', ['a2']]]);
    const beta = await json<RunsPage>('/api/runs?workflow=wf_beta');
    expect(beta.grid.map((g) => g.job)).toEqual(['wf_beta']);
    // An unknown status is no filter.
    expect((await json<RunsPage>('/api/runs?status=bogus')).filter.status).toBeNull();
  });

  test('/runs: coloured cells with a mark, a title with start, duration, rows and attempt, and a link to the run', async () => {
    const page = (await get('/runs')).text;
    const failedCell =
      /<a\s+class="cell status-failed"\s+data-status="failed"\s+data-run-id="a2"\s+href="([^"]+)"\s+title="([^"]*)"[^>]*>✗<\/a/.exec(
        page,
      );
    expect(failedCell).not.toBeNull();
    expect(failedCell![1]).toBe('/runs?run=a2#run-detail');
    // The build cell of a2 (the run cell comes first).
    expect(page).toContain(
      'title="task build: failed\nstarted 2026-12-01 11:00:01 UTC\nduration 220 ms\nrows —\nattempt 2\nerror boom &lt;b&gt;"',
    );
    expect(page).toContain('<section id="run-detail" class="detail" hidden');
    expect(page).toContain('<form class="filter" id="runs-filter" method="get" action="/runs">');
  });

  test('/runs?run=… and /api/runs/:runId: the run, its tasks, its error and only its log lines', async () => {
    const detail = await json<RunDetail>('/api/runs/a2');
    expect(detail.run).toMatchObject({ run_id: 'a2', status: 'failed', error: 'task build failed: boom <b>' });
    expect(detail.tasks.map((t) => [t.task, t.attempt, t.status])).toEqual([
      ['plan', 1, 'succeeded'],
      ['build', 1, 'retried'],
      ['build', 2, 'failed'],
      ['publish', 1, 'skipped'],
    ]);
    // Not run=a22's line, nor zz's.
    expect(detail.log.lines).toEqual([
      '2026-12-01T11:00:00.000Z INFO  scheduler job=wf_alpha run=a2 status=started trigger=manual',
      '2026-12-01T11:00:05.000Z ERROR scheduler job=wf_alpha run=a2 status=failed duration_ms=5000 error=task build failed: boom <b>',
    ]);
    const page = (await get('/runs?run=a2')).text;
    expect(page).toMatch(/<section\s+id="run-detail"[^>]*data-status="failed"/);
    expect(page).toContain('task build failed: boom &lt;b&gt;');
    expect(page).not.toContain('boom <b>');
    const fragment = await get('/runs/a2/detail');
    expect(fragment.text).toMatch(/^<section\s+id="run-detail"/);
    expect((await get('/api/runs/nope')).status).toBe(404);
  });

  test('/api/loads and /loads: the loads with their counts, the rejects of the newest load that has some', async () => {
    const loads = await json<LoadsPage>('/api/loads');
    expect(loads.loads.map((l) => [l.file, l.status, l.rows_read, l.rows_rejected])).toEqual([
      ['data/missing.csv', 'failed', null, null],
      ['data/hostile.csv', 'succeeded', 5, 3],
    ]);
    expect(loads.rejects.map((r) => [r.line_number, r.raw_line, r.reason])).toEqual([
      [2, HOSTILE_SCRIPT, 'not a date'],
      [3, HOSTILE_IMG, 'not a number'],
      [4, CONTROL_LINE, 'wrong number of fields'],
    ]);
  });

  test('a raw line is text, whatever it holds: no tag of it reaches the page', async () => {
    const page = (await get('/loads')).text;
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page).not.toContain(HOSTILE_SCRIPT);
    expect(page).not.toContain('<img');
    expect(page).toContain(
      'x,<span class="ctl" title="control character \\u0007">\\u0007</span>,<span class="ctl" title="control character \\u001b">\\u001b</span>[31m',
    );
    // The only scripts are the page's own.
    expect([...page.matchAll(/<script[^>]*>/g)].map((m) => m[0])).toEqual([
      '<script src="/assets/dashboard.js" defer>',
    ]);
  });

  test('/api/ads and /ads: backups, impressions and archives per day', async () => {
    const ads = await json<AdsPage>('/api/ads');
    expect(ads).toEqual({
      days: 14,
      empty: false,
      backups: [{ day: TODAY, backups: 2, bytes: '300', impressions: '4', rejected: '1', errors: 0 }],
      rows: [{ day: TODAY, rows: '3' }],
      archives: [expect.objectContaining({ day: '2026-11-20', archives: 1, rows: '5', bytes: '50', restored: 0 })],
    });
    const page = (await get('/ads')).text;
    expect(page).toMatch(
      new RegExp(`<th scope="row">${TODAY}</th>\\s*<td class="num">2</td>\\s*<td class="num">300 B</td>`),
    );
  });

  test("/api/loans: the chart's points (gaps as null, never 0), the window, the table newest first", async () => {
    const loans = await json<LoansPage>('/api/loans');
    expect(loans.series).toMatchObject({
      points: [
        { day: '2023-01-01', ratio: 2, rollingAvg: 2 },
        { day: '2023-01-02', ratio: null, rollingAvg: 2 },
        { day: '2023-01-03', ratio: 4, rollingAvg: 3 },
      ],
      window: 7,
      bucketDays: 1,
    });
    expect(loans.rows.map((r) => [r.repayment_date, r.liquidation_to_default_ratio])).toEqual([
      ['2023-01-03', '4'],
      ['2023-01-02', null],
      ['2023-01-01', '2'],
    ]);
    expect(loans.hasNextPage).toBe(false);
    const range = await json<LoansPage>('/api/loans?from=2023-01-02&to=2023-01-02');
    expect(range.series!.points).toEqual([{ day: '2023-01-02', ratio: null, rollingAvg: 2 }]);
    expect(range.rows.map((r) => r.repayment_date)).toEqual(['2023-01-02']);
    expect((await json<LoansPage>('/api/loans?page=2')).rows).toEqual([]);
    const wrong = await json<LoansPage>('/api/loans?from=yesterday&page=0');
    expect(wrong.query.problems).toEqual([
      'from=yesterday is not a day (YYYY-MM-DD): ignored',
      'page=0: expected 1 to 1000; narrow from and to to see older days',
    ]);
  });

  test('/loans: the chart as the server drew it, its option for the browser, the window named', async () => {
    const page = (await get('/loans')).text;
    expect(page).toContain('<script src="/assets/echarts.min.js" defer></script>');
    expect(page).toMatch(/<img\s+class="chart-svg"\s+src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+"/);
    const svg = Buffer.from(/data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)/.exec(page)![1]!, 'base64').toString();
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain('7-day rolling average');
    const option = JSON.parse(
      /<script type="application\/json" id="ratio-chart-option">([^<]*)<\/script>/.exec(page)![1]!,
    );
    expect(option.series[0].data).toEqual([
      [Date.parse('2023-01-01T00:00:00Z'), 2],
      [Date.parse('2023-01-02T00:00:00Z'), null],
      [Date.parse('2023-01-03T00:00:00Z'), 4],
    ]);
    expect(page).toMatch(/The table was built with a 7-day window\s+ending on the day itself, full refresh at/);
  });

  test("/api/lake and /lake: the heat map's cells, quarantine by reason, files per day", async () => {
    const lake = await json<LakePage>('/api/lake');
    expect(lake.heatmap).toEqual([
      { type: 'a.x', hour: `${TODAY}T01:00:00Z`, events: 15 },
      { type: 'b.y', hour: `${TODAY}T02:00:00Z`, events: 7 },
    ]);
    expect(lake.quarantine).toEqual([
      { reason: 'not_json', lines: '2', ingests: 1 },
      { reason: 'bad_id', lines: '1', ingests: 1 },
    ]);
    expect(lake.days.map((d) => [d.event_date, d.content, d.types, d.partitions, d.files, d.rows])).toEqual([
      [TODAY, 'events', 2, 2, 3, '22'],
      [TODAY, 'quarantine', 0, 1, 1, '3'],
    ]);
    expect(lake.partitions.map((p) => [p.event_type, p.event_hour, p.files])).toEqual([
      ['a.x', 1, 2],
      ['b.y', 2, 1],
    ]);
    const page = (await get('/lake')).text;
    expect(page).toContain('id="lake-heatmap-option"');
    expect(page).toContain(`<code>type=a.x/date=${TODAY}/hour=01</code>`);
  });

  test('a name that ends a script block stays inside it: < is escaped in the JSON', async () => {
    await db.pool.query(
      `INSERT INTO job_runs (run_id, job, trigger, status, started_at, finished_at, host, pid, logical_date)
       VALUES ('h1', '</script><b>x', 'manual', 'succeeded', '2026-12-01T09:00:00Z', '2026-12-01T09:00:01Z', 'h', 1, '2026-12-01')`,
    );
    try {
      const page = (await get(`/runs?workflow=${encodeURIComponent('</script><b>x')}`)).text;
      expect(page).not.toContain('<b>x');
      expect(page).toContain('\\u003c/script\\u003e\\u003cb\\u003ex');
      const block = /<script type="application\/json" id="durations-chart-option">([^<]*)<\/script>/.exec(page)![1]!;
      expect(JSON.parse(block).title.text).toBe('Run durations: </script><b>x');
    } finally {
      await db.pool.query("DELETE FROM job_runs WHERE run_id = 'h1'");
    }
  });
});

describe('an empty database', () => {
  let emptyApp: Hono;
  beforeAll(() => {
    emptyApp = createApp(options(emptyReader));
  });

  test.each([
    ['/', 'No workflow has run yet: job_runs is empty.'],
    ['/runs', 'No workflow has run yet: job_runs is empty.'],
    ['/loads', 'No load yet: loads is empty.'],
    ['/ads', 'The ads pipeline has written nothing'],
    ['/lake', 'The lake is empty'],
    ['/lake', "The lake's catalog holds no events file yet"],
    ['/loans', 'id="loans-empty"'],
  ])('%s says plainly that there is nothing', async (path, sentence) => {
    const page = await get(path, emptyApp);
    expect(page.status).toBe(200);
    expect(page.text).toContain(sentence);
  });
});

describe('the server', () => {
  test.each(['POST', 'PUT', 'DELETE', 'PATCH'])('%s is refused with 405 and an Allow header', async (method) => {
    for (const path of ['/', '/api/runs', '/runs/a2/detail', '/nowhere']) {
      const response = await get(path, app, { method });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, HEAD');
    }
  });

  test('HEAD answers like GET, without a body', async () => {
    const response = await app.request('/loads', { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });

  test('security headers on every answer: scripts from the server only, no framing, no sniffing', async () => {
    for (const path of ['/', '/api/overview', '/assets/dashboard.js', '/nowhere']) {
      const { headers } = await get(path);
      const csp = headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  test('assets: the script, the styles and echarts, nothing else', async () => {
    const script = await get('/assets/dashboard.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await get('/assets/echarts.min.js')).text.length).toBeGreaterThan(500_000);
    expect((await get('/assets/..%2Fpackage.json')).status).toBe(404);
    expect((await get('/assets/package.json')).status).toBe(404);
  });

  test('one debug line per request', async () => {
    entries.length = 0;
    await get('/api/overview');
    expect(entries).toEqual([
      expect.objectContaining({
        level: 'debug',
        message: 'request',
        status: 200,
        method: 'GET',
        path: '/api/overview',
      }),
    ]);
  });

  test('basic auth: 401 without or with wrong credentials, 200 with the right ones; /health open', async () => {
    const guarded = createApp(options(reader, { auth: { user: 'ann', password: 's3cret' } }));
    const basic = (user: string, password: string) => ({
      headers: { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
    });
    const without = await get('/', guarded);
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect((await get('/api/overview', guarded, basic('ann', 'wrong'))).status).toBe(401);
    expect((await get('/api/overview', guarded, basic('bob', 's3cret'))).status).toBe(401);
    expect((await get('/api/overview', guarded, basic('ann', 's3cret'))).status).toBe(200);
    expect((await get('/health', guarded)).status).toBe(200);
  });

  test("the dashboard's connections cannot write, even when the transaction is made writable", async () => {
    const insert = "INSERT INTO loans VALUES ('2030-01-01', 1, 0, 0)";
    const readOnly = await withReader(reader, (r) => r.client.query(insert)).catch((error: { code?: string }) => error);
    expect(readOnly).toMatchObject({ code: '25006' }); // read_only_sql_transaction
    const asRole = await withReader(reader, async (r) => {
      await r.client.query('SET default_transaction_read_only = off');
      try {
        return await r.client.query(insert);
      } finally {
        await r.client.query('SET default_transaction_read_only = on');
      }
    }).catch((error: { code?: string }) => error);
    expect(asRole).toMatchObject({ code: '42501' }); // insufficient_privilege: loans_reader
    const who = await withReader(reader, (r) =>
      r.client.query('SELECT current_user AS role, current_setting($1) AS tz', ['TimeZone']),
    );
    expect(who.rows[0]).toEqual({ role: 'loans_reader', tz: 'UTC' });
    expect(
      (await db.pool.query("SELECT count(*)::int AS n FROM loans WHERE repayment_date = '2030-01-01'")).rows[0].n,
    ).toBe(0);
  });
});
