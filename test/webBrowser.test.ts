import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import winston from 'winston';
import { readConfig } from '../lib/config';
import type { Pool } from '../lib/db';
import { createLogger, type Logger } from '../lib/logger';
import { projectRoot } from '../lib/sqlFiles';
import { loadFile } from '../loader/loadFile';
import { runWorkflow } from '../scheduler/runWorkflow';
import { resolveParams } from '../scheduler/workflow';
import { defineWorkflows } from '../scheduler/workflows';
import { createReaderPool } from '../web/db';
import { startWeb, type RunningWeb } from '../web/server';
import { launchBrowser, seriousAccessibilityViolations, watchPage, type PageProblems } from './support/browser';
import { createTestDatabase, type TestDatabase } from './support/database';
import { HEADER, tempDir, writeFile } from './support/files';
import { FAILING_AUDIT_ERROR, withFailingAudit } from './support/failingAudit';
import { captureLogger } from './support/logs';

/**
 * The dashboard in a real browser (Debian's chromium through playwright-core): the server on a
 * free port against a database the test fills through the real loader and the real rebuild job
 * (one run that succeeds, one whose audit fails, both logged to a cron.log of their own), then
 * every page as a person sees it. Every number expected here is worked out by hand from the
 * lines of LOANS below, not read back from the same SQL. A screenshot of each page is written to
 * test-output/screenshots/ for a person to look at.
 */

const SCREENSHOTS = path.join(projectRoot, 'test-output', 'screenshots');
const PWNED_SCRIPT = '<script>window.__pwned=1</script>';
const PWNED_IMG = '2024-03-10,5,<img src=x onerror="window.__pwned=1">,1';

// Six days with gaps (03-04, 03-07, 03-08 missing) and two days without defaults (no ratio).
// Ratios (liquidations / defaults): 03-01 6/2 = 3, 03-02 4/4 = 1, 03-05 0/1 = 0, 03-06 1/2 = 0.5.
// The 7-day mean of the ratios up to each day (D-6 … D, days without a ratio left out):
// 03-01 3; 03-02 (3+1)/2 = 2; 03-03 2; 03-05 (3+1+0)/3 = 1.3333; 03-06 (3+1+0+0.5)/4 = 1.125;
// 03-09 (window 03-03 … 03-09) (0+0.5)/2 = 0.25.
const LOANS = [
  HEADER,
  '2024-03-01,10,2,6',
  '2024-03-02,12,4,4',
  '2024-03-03,8,0,2',
  '2024-03-05,9,1,0',
  '2024-03-06,11,2,1',
  '2024-03-09,7,0,0',
  PWNED_SCRIPT,
  PWNED_IMG,
];
const DAYS_TABLE = [
  ['2024-03-09', '7', '0', '0', '—', '0.2500'],
  ['2024-03-06', '11', '2', '1', '0.5', '1.1250'],
  ['2024-03-05', '9', '1', '0', '0', '1.3333'],
  ['2024-03-03', '8', '0', '2', '—', '2.0000'],
  ['2024-03-02', '12', '4', '4', '1', '2.0000'],
  ['2024-03-01', '10', '2', '6', '3', '3.0000'],
];
// The chart: one point per calendar day from 03-01 to 03-09 (9), a ratio on four of them.
const CHART_DAYS = 9;
const RATIO_POINTS: [string, number][] = [
  ['2024-03-01', 3],
  ['2024-03-02', 1],
  ['2024-03-05', 0],
  ['2024-03-06', 0.5],
];
const TODAY = new Date().toISOString().slice(0, 10);

const PAGES = [
  ['overview', '/'],
  ['loans', '/loans'],
  ['runs', '/runs'],
  ['loads', '/loads'],
  ['ads', '/ads'],
  ['lake', '/lake'],
] as const;

let db: TestDatabase;
let reader: Pool;
let web: RunningWeb;
let launched: Promise<Browser | undefined> | undefined;
let browser: Browser;
let context: BrowserContext;
let loansFile: string;
let cronLog: string;
let goodRun: string;
let failedRun: string;

/** The scheduler's own logger writing the scheduler's lines to cron.log, and nothing to the test's console. */
function cronLogger(file: string): Logger {
  const logger = createLogger({ component: 'scheduler', format: 'text', level: 'info', filePath: file });
  for (const transport of logger.transports) {
    if (transport instanceof winston.transports.Console) transport.silent = true;
  }
  return logger;
}

async function seed(): Promise<void> {
  const dir = tempDir('web-browser-');
  loansFile = writeFile(dir, 'loans.csv', LOANS);
  cronLog = path.join(dir, 'cron.log');
  const load = await loadFile(db.pool, loansFile, { strict: false });
  expect(load).toMatchObject({ read: 8, loaded: 6, rejected: 2 });

  const logger = cronLogger(cronLog);
  const rollingAverage = defineWorkflows(readConfig({}))[0]!;
  const request = { trigger: 'manual' as const, params: resolveParams(rollingAverage, {}) };
  const good = await runWorkflow(db.pool, rollingAverage, request, logger);
  expect(good.status).toBe('succeeded');
  goodRun = good.runId;
  const failing = withFailingAudit(rollingAverage);
  const failed = await runWorkflow(db.pool, failing, { trigger: 'manual', params: {} }, logger);
  expect(failed).toMatchObject({ status: 'failed', error: FAILING_AUDIT_ERROR });
  failedRun = failed.runId;
  logger.close();

  // The ads pipeline and the lake need S3 and event files to run: their rows are inserted as they write them.
  const q = (sql: string, values: unknown[] = []) => db.pool.query(sql, values);
  const today = "date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '1 second'";
  await q(`INSERT INTO ad_backups (backup_key, run_id, bytes, sha256, stored_at, impressions, rejected, loaded_at)
           VALUES ('k1', 'r1', 1500, repeat('a', 64), ${today}, 3, 1, ${today}),
                  ('k2', 'r2', 700, repeat('b', 64), ${today}, 4, 0, ${today})`);
  await q(`INSERT INTO ads (ad_id, ad_group, ad_campaign, shown_at, backup_key)
           SELECT gen_random_uuid(), 'brand', 500, ${today}, 'k1' FROM generate_series(1, 7)`);
  const ingest = await q(
    `INSERT INTO lake_ingests (source, status, lines_read, events_written, quarantined, duplicates, blank_lines, quarantine_reasons)
     VALUES ('inbox/x.ndjson', 'succeeded', 25, 22, 3, 0, 0, '{"not_json": 2, "bad_id": 1}') RETURNING ingest_id`,
  );
  await q(
    `INSERT INTO lake_files (path, content, event_type, event_date, event_hour, rows, bytes, min_created_at, max_created_at, ingest_id)
     VALUES ('events/a1', 'events', 'page.view', $2, 1, 10, 1000, now(), now(), $1),
            ('events/a2', 'events', 'page.view', $2, 1, 5, 500, now(), now(), $1),
            ('events/b1', 'events', 'ad.click', $2, 2, 7, 700, now(), now(), $1),
            ('quarantine/q1', 'quarantine', NULL, $2, NULL, 3, 300, NULL, NULL, $1)`,
    [ingest.rows[0].ingest_id, TODAY],
  );
}

beforeAll(async () => {
  // Started first, alongside the database work; a missing chromium fails the file.
  const launching = launchBrowser();
  launched = launching.catch(() => undefined);
  db = await createTestDatabase();
  await seed();
  reader = createReaderPool(db.config);
  web = await startWeb({
    pool: reader,
    logger: captureLogger().logger,
    cronLogPath: cronLog,
    refreshSeconds: 30,
    host: '127.0.0.1',
    port: 0,
  });
  browser = await launching;
  context = await browser.newContext({ locale: 'en-US', timezoneId: 'UTC', viewport: { width: 1280, height: 900 } });
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  // Closed even when beforeAll failed before it had the browser: an open one would keep jest from exiting.
  await (await launched)?.close();
  await web?.close();
  await reader?.end();
  await db?.drop();
});

/** A page opened at path and loaded (its scripts run, its charts drawn), with what goes wrong on it recorded. */
async function open(pathname: string): Promise<{ page: Page; problems: PageProblems }> {
  const page = await context.newPage();
  const problems = await watchPage(page);
  const response = await page.goto(new URL(pathname, web.url).href, { waitUntil: 'load' });
  expect(response?.status()).toBe(200);
  return { page, problems };
}

/** The visible text of each cell of a table's body rows. */
function tableText(page: Page, selector: string): Promise<string[][]> {
  return page
    .locator(`${selector} tbody tr`)
    .evaluateAll((rows) =>
      rows.map((row) =>
        Array.from((row as unknown as { cells: ArrayLike<{ innerText: string }> }).cells, (cell) =>
          cell.innerText.trim(),
        ),
      ),
    );
}

/** The visible text of what selector finds (waiting for it to be there). */
function text(page: Page, selector: string): Promise<string> {
  return page.locator(selector).innerText();
}

/** A chart the page's script drew again with echarts in the browser (a canvas, shown). */
async function drawn(page: Page, chartId: string): Promise<void> {
  await page.locator(`#${chartId}.interactive .chart-canvas canvas`).first().waitFor({ state: 'visible' });
}

/** What each page must show, worked out from the seeded lines. */
const SHOWS: Record<(typeof PAGES)[number][0], (page: Page) => Promise<void>> = {
  async overview(page) {
    expect(await text(page, '#failing')).toContain(
      `default_liquidation_rolling_avg_hist: its last run (${failedRun}) failed: ${FAILING_AUDIT_ERROR}`,
    );
    expect(await tableText(page, '#workflows')).toEqual([
      // workflow, last run, status, trigger, started, duration, rows, failed in 24 h
      [
        'default_liquidation_rolling_avg_hist',
        failedRun,
        '✗ failed',
        'manual',
        expect.any(String),
        expect.any(String),
        '0',
        '1',
      ],
    ]);
    expect(await text(page, '#last-load')).toContain('8 read, 6 loaded (6 new, 0 updated, 0 unchanged), 2 rejected');
  },
  async loans(page) {
    expect(await tableText(page, '#days-table')).toEqual(DAYS_TABLE.map((row) => [...row, expect.any(String)]));
    expect(await text(page, '#window')).toContain('The table was built with a 7-day window ending on the day itself');
    await drawn(page, 'ratio-chart');
  },
  async runs(page) {
    const grid = page.locator('#grid-default_liquidation_rolling_avg_hist');
    const statuses = (selector: string) =>
      grid
        .locator(selector)
        .evaluateAll((cells) =>
          cells.map((cell) => (cell as unknown as { dataset: { status: string; runId: string } }).dataset),
        )
        .then((cells) => cells.map((cell) => [cell.runId, cell.status]));
    // Oldest run left: the rebuild that succeeded, then the one whose audit failed.
    expect(await statuses('.run-row a.cell')).toEqual([
      [goodRun, 'succeeded'],
      [failedRun, 'failed'],
    ]);
    // The failed run's tasks: plan, build and publish succeeded (rolled back), the audit failed, record skipped.
    expect(await statuses(`tbody tr:not(.run-row) a.cell[data-run-id="${failedRun}"]`)).toEqual(
      ['succeeded', 'succeeded', 'succeeded', 'failed', 'skipped'].map((status) => [failedRun, status]),
    );
    await drawn(page, 'durations-chart');
  },
  async loads(page) {
    const loads = await tableText(page, '#loads');
    expect(loads).toHaveLength(1);
    expect(loads[0]!.slice(1, 3)).toEqual([loansFile, '✓ succeeded']);
    // read, loaded, new, updated, unchanged, rejected, blank
    expect(loads[0]!.slice(5, 12)).toEqual(['8', '6', '6', '0', '0', '2', '0']);
    // The loader's reasons: one field where four are expected; a default count that is no number.
    expect(await tableText(page, '#rejects')).toEqual([
      ['8', 'expected 4 fields, found 1', PWNED_SCRIPT],
      ['9', expect.stringMatching(/^defaults "<img src=x onerror=.*" is not a whole number$/), PWNED_IMG],
    ]);
  },
  async ads(page) {
    expect(await text(page, 'main')).toContain(TODAY);
    expect(await text(page, 'main')).toContain('2.1 KB');
  },
  async lake(page) {
    expect(await text(page, 'main')).toContain('not_json');
    expect(await text(page, 'main')).toContain(`type=page.view/date=${TODAY}/hour=01`);
    await drawn(page, 'lake-heatmap');
  },
};

describe('each page in the browser', () => {
  test.each(PAGES)(
    '%s (%s): its data, no console error or CSP refusal, no serious accessibility violation, a screenshot',
    async (name, pathname) => {
      const { page, problems } = await open(pathname);
      try {
        await SHOWS[name](page);
        await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
        expect(await seriousAccessibilityViolations(page)).toEqual([]);
        expect(await problems.list()).toEqual([]);
      } finally {
        await page.close();
      }
    },
  );
});

test('the Loans chart holds one point per day, and a ratio on exactly the days that have one', async () => {
  const { page, problems } = await open('/loans');
  try {
    await drawn(page, 'ratio-chart');
    // The option echarts holds in the browser, after the page's script handed it the server's.
    const series = await page.evaluate(() => {
      const w = globalThis as unknown as {
        document: { querySelector(selector: string): unknown };
        echarts: {
          getInstanceByDom(element: unknown): { getOption(): { series: { name: string; data: unknown[] }[] } };
        };
      };
      const chart = w.echarts.getInstanceByDom(w.document.querySelector('#ratio-chart .chart-canvas'));
      return chart.getOption().series.map((s) => ({ name: s.name, data: s.data as [number, number | null][] }));
    });
    const ratio = series[0]!;
    expect(ratio.data).toHaveLength(CHART_DAYS);
    expect(ratio.data.filter(([, value]) => value !== null)).toEqual(
      RATIO_POINTS.map(([day, value]) => [Date.parse(`${day}T00:00:00Z`), value]),
    );
    expect(await problems.list()).toEqual([]);
  } finally {
    await page.close();
  }
});

test("a failed run's error and log lines are one click from the Runs grid", async () => {
  const { page, problems } = await open('/runs');
  try {
    expect(await page.locator('#run-detail').isHidden()).toBe(true);
    // Set on this document: still there after the click if the page was not loaded again.
    await page.evaluate(() => ((globalThis as unknown as { __samePage: boolean }).__samePage = true));
    await page.locator(`.run-row a.cell[data-status="failed"][data-run-id="${failedRun}"]`).click();
    const detail = page.locator(`#run-detail[data-run-id="${failedRun}"]`);
    await detail.waitFor({ state: 'visible' });
    expect(await page.evaluate(() => (globalThis as unknown as { __samePage?: boolean }).__samePage)).toBe(true);
    expect(new URL(page.url()).search).toBe(`?run=${failedRun}`);
    expect(await detail.getAttribute('data-status')).toBe('failed');
    expect(await text(page, '#run-error')).toBe(FAILING_AUDIT_ERROR);
    // The lines the scheduler wrote for this run, as read from its cron.log here, and only those.
    const written = readFileSync(cronLog, 'utf8')
      .split('\n')
      .filter((line) => line.includes(` run=${failedRun} `));
    expect(written.length).toBeGreaterThanOrEqual(2);
    expect(written.at(-1)).toContain(`status=failed`);
    expect((await text(page, '#run-log')).split('\n')).toEqual(written);
    expect(await page.locator('#run-tasks tbody tr[data-status="failed"] th').allInnerTexts()).toEqual(['audit']);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'runs-failed-run.png'), fullPage: true });
    expect(await problems.list()).toEqual([]);
  } finally {
    await page.close();
  }
});

test('a rejected line holding <script> or <img onerror> shows as text and runs nothing', async () => {
  const { page, problems } = await open('/loads');
  try {
    const raw = page.locator('#rejects code.raw');
    expect(await raw.allInnerTexts()).toEqual([PWNED_SCRIPT, PWNED_IMG]);
    expect(await raw.first().isVisible()).toBe(true);
    expect(await page.locator('#rejects img, #rejects script').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
    // Only the page's own script, from the server.
    expect(await page.locator('script').evaluateAll((scripts) => scripts.map((s) => s.getAttribute('src')))).toEqual([
      '/assets/dashboard.js',
    ]);
    expect(await problems.list()).toEqual([]);
  } finally {
    await page.close();
  }
});
