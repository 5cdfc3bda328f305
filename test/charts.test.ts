import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readLakeHeatmap } from '../charts/lakeHeatmap';
import { lakeHeatmapOption, ratioChartOption, runDurationsOption } from '../charts/options';
import { readRatioSeries, type RatioSeries } from '../charts/ratioSeries';
import { renderSvg, svgToPng, systemFontsFound } from '../charts/render';
import { readRunDurations } from '../charts/runDurations';
import { createTestDatabase, type TestDatabase } from './support/database';
import { tempDir } from './support/files';
import { killStarted, startNode } from './support/processes';
import { pgEnvironment } from './support/server';

/**
 * The charts (charts/, docs/charts.md): what the readers return for days whose ratios and
 * bucket means are worked out by hand here, what the SVG and PNG files hold, and the command.
 */

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  killStarted();
  await db.drop();
});

beforeEach(async () => {
  await db.pool.query(
    'TRUNCATE default_liquidation_rolling_avg_hist, default_liquidation_rolling_avg_hist_state, job_runs CASCADE',
  );
  await db.pool.query('TRUNCATE lake_files, lake_ingests CASCADE');
});

const DAY_MS = 86_400_000;

function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** Rows of the published table, as the rolling-average job would leave them: ratio NULL means defaults = 0. */
async function publish(rows: readonly { day: string; ratio: number | null; rollingAvg: number | null }[]) {
  await db.pool.query(
    `INSERT INTO default_liquidation_rolling_avg_hist
       (repayment_date, number_of_loans, defaults, liquidations, liquidation_to_default_ratio, rolling_avg_7d, created_at, changed_at)
     SELECT day, 10, CASE WHEN ratio IS NULL THEN 0 ELSE 1 END, 1, ratio, rolling, now(), now()
     FROM unnest($1::date[], $2::numeric[], $3::numeric[]) AS t(day, ratio, rolling)`,
    [rows.map((r) => r.day), rows.map((r) => r.ratio), rows.map((r) => r.rollingAvg)],
  );
}

/** n consecutive days from `first` with the given ratios and rolling averages. */
function days(first: string, ratios: readonly (number | null)[], rolling: readonly (number | null)[]) {
  return ratios.map((ratio, i) => ({ day: addDays(first, i), ratio, rollingAvg: rolling[i] ?? null }));
}

describe('readRatioSeries', () => {
  test('one point per day: missing days and days without a ratio are nulls, never zeros', async () => {
    // 2023-01-06 is missing from the table; 01-02 and 01-05 have no ratio (no defaults).
    await publish([
      { day: '2023-01-01', ratio: 2, rollingAvg: 2 },
      { day: '2023-01-02', ratio: null, rollingAvg: 2 },
      { day: '2023-01-03', ratio: 4, rollingAvg: 3 },
      { day: '2023-01-04', ratio: 1.5, rollingAvg: 2.5 },
      { day: '2023-01-05', ratio: null, rollingAvg: 2.5 },
      { day: '2023-01-07', ratio: 3, rollingAvg: 2.625 },
    ]);
    const series = await readRatioSeries(db.pool, {});
    expect(series).toEqual({
      points: [
        { day: '2023-01-01', ratio: 2, rollingAvg: 2 },
        { day: '2023-01-02', ratio: null, rollingAvg: 2 },
        { day: '2023-01-03', ratio: 4, rollingAvg: 3 },
        { day: '2023-01-04', ratio: 1.5, rollingAvg: 2.5 },
        { day: '2023-01-05', ratio: null, rollingAvg: 2.5 },
        { day: '2023-01-06', ratio: null, rollingAvg: null },
        { day: '2023-01-07', ratio: 3, rollingAvg: 2.625 },
      ],
      window: null,
      includeCurrentDay: null,
      totalDays: 7,
      bucketDays: 1,
      sampled: false,
      from: '2023-01-01',
      to: '2023-01-07',
    });
  });

  test('10 days into 3 buckets of 4 days, and into 5 of 2: the means of the non-null values', async () => {
    const ratios = [1, 2, 3, 4, 5, null, null, null, 9, 10];
    await publish(days('2023-02-01', ratios, [10, 10, 10, 10, 20, 20, 20, 20, 1, 2]));
    const three = await readRatioSeries(db.pool, {}, 3);
    expect(three.bucketDays).toBe(4);
    expect(three.points).toEqual([
      { day: '2023-02-01', ratio: 2.5, rollingAvg: 10 }, // (1+2+3+4)/4
      { day: '2023-02-05', ratio: 5, rollingAvg: 20 }, // only the 5th has a ratio
      { day: '2023-02-09', ratio: 9.5, rollingAvg: 1.5 }, // the last bucket is shorter
    ]);
    const five = await readRatioSeries(db.pool, {}, 5);
    expect(five.bucketDays).toBe(2);
    expect(five.points.map((p) => [p.day, p.ratio])).toEqual([
      ['2023-02-01', 1.5],
      ['2023-02-03', 3.5],
      ['2023-02-05', 5],
      ['2023-02-07', null], // no ratio in the bucket: a gap
      ['2023-02-09', 9.5],
    ]);
  });

  test('a bucket longer than 16 days averages 2 runs of 8 days: from its first day and from its middle', async () => {
    const ratios = Array.from({ length: 40 }, (_, i) => i);
    await publish(days('2023-03-01', ratios, ratios));
    const series = await readRatioSeries(db.pool, {}, 1);
    expect(series).toMatchObject({ bucketDays: 40, sampled: true, totalDays: 40 });
    // Days 0..7 and 20..27: (28 + 188) / 16.
    expect(series.points).toEqual([{ day: '2023-03-01', ratio: 13.5, rollingAvg: 13.5 }]);
  });

  test('from and to: only the days between, both included; a range with no row is empty', async () => {
    await publish(days('2023-02-01', [1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 1]));
    const range = await readRatioSeries(db.pool, { from: '2023-02-03', to: '2023-02-05' });
    expect(range.points.map((p) => [p.day, p.ratio])).toEqual([
      ['2023-02-03', 3],
      ['2023-02-04', 4],
      ['2023-02-05', 5],
    ]);
    expect(range).toMatchObject({ from: '2023-02-03', to: '2023-02-05', totalDays: 3 });
    expect(await readRatioSeries(db.pool, { from: '2023-02-05' })).toMatchObject({ totalDays: 2, to: '2023-02-06' });
    expect(await readRatioSeries(db.pool, { from: '2024-01-01' })).toMatchObject({
      points: [],
      totalDays: 0,
      from: null,
      to: null,
    });
  });

  test('the window is the one the last refresh recorded', async () => {
    await publish(days('2023-02-01', [1], [1]));
    await db.pool.query(
      "INSERT INTO default_liquidation_rolling_avg_hist_state VALUES (true, 5, false, 'full', now())",
    );
    expect(await readRatioSeries(db.pool, {})).toMatchObject({ window: 5, includeCurrentDay: false });
  });

  test('bad bounds name the flag', async () => {
    await expect(readRatioSeries(db.pool, { from: '2023-02-30' })).rejects.toThrow(
      '--from "2023-02-30": expected a day of the calendar, YYYY-MM-DD',
    );
    await expect(readRatioSeries(db.pool, { from: '2023-02-02', to: '2023-02-01' })).rejects.toThrow(
      '--from 2023-02-02 is after --to 2023-02-01',
    );
  });
});

/** The `d` of every path drawn in `color` with the given stroke width: the lines of one series. */
function linePaths(svg: string, color: string, strokeWidth: string): string[] {
  return [...svg.matchAll(/<path d="([^"]*)"[^>]*>/g)]
    .filter((m) => m[0].includes(`stroke="${color}"`) && m[0].includes(`stroke-width="${strokeWidth}"`))
    .map((m) => m[1]!);
}

/** A data item of series `index` as ECharts' SSR tags it (a legend item is tagged too, as ssr_type legend). */
const CHART_SYMBOL = (index: number): RegExp =>
  new RegExp(`ecmeta_series_index="${index}" ecmeta_data_index="\\d+" ecmeta_ssr_type="chart"`, 'g');

function countMatches(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}

describe('the ratio chart as SVG', () => {
  test('its size, and one symbol per day with a value in each series', async () => {
    // 12 days: 3 without a ratio (one of them missing from the table), 2 without a rolling average.
    const ratios = [3, null, 5, 7, null, 2, 2, 9, null, 4, 6, 1];
    const rolling = [3, 3, 4, 5, 5, null, 4, 5, 5, 5, 5, 4];
    await publish(days('2023-04-01', ratios, rolling).filter((row) => row.day !== '2023-04-09'));
    const series = await readRatioSeries(db.pool, {});
    const svg = renderSvg(ratioChartOption(series), { width: 640, height: 360 });
    expect(svg).toMatch(/^<svg width="640" height="360" [^>]*viewBox="0 0 640 360"/);
    expect(countMatches(svg, CHART_SYMBOL(0))).toBe(9);
    expect(countMatches(svg, CHART_SYMBOL(1))).toBe(10);
    // No window recorded, none configured given: the chart does not invent one.
    expect(svg).toContain('>Rolling average</text>');
    expect(svg).not.toMatch(/\d-day/);
  });

  test('620 days, no symbols: the line has one vertex per day with a ratio, and breaks at every gap', async () => {
    const ratio = (i: number): number | null => (i % 7 === 3 || i % 11 === 5 ? null : 10 + ((i * 37) % 13));
    const ratios = Array.from({ length: 620 }, (_, i) => ratio(i));
    await publish(
      days(
        '2021-08-28',
        ratios,
        ratios.map(() => 12),
      ),
    );
    await db.pool.query("INSERT INTO default_liquidation_rolling_avg_hist_state VALUES (true, 7, true, 'full', now())");
    const series = await readRatioSeries(db.pool, {});
    expect(series).toMatchObject({ bucketDays: 1, totalDays: 620 });
    expect(series.points).toHaveLength(620);
    const svg = renderSvg(ratioChartOption(series, { static: true }), { width: 1200, height: 600 });
    const [line, ...others] = linePaths(svg, '#0072B2', '1.2');
    expect(others).toEqual([]);
    const withRatio = ratios.filter((r) => r !== null).length;
    const runs = ratios.filter((r, i) => r !== null && (i === 0 || ratios[i - 1] === null)).length;
    expect(countMatches(line!, /[ML]/g)).toBe(withRatio);
    expect(countMatches(line!, /M/g)).toBe(runs);
    expect(svg).toContain('>7-day rolling average</text>');
  });

  test('an empty table: a chart that says no data', async () => {
    const series = await readRatioSeries(db.pool, {});
    const svg = renderSvg(ratioChartOption(series), { width: 600, height: 300 });
    expect(svg).toContain('>no data</text>');
  });

  test('the option is plain JSON: what the browser gets is what the file shows', async () => {
    await publish(days('2023-04-01', [1, 2], [1, 1.5]));
    const option = ratioChartOption(await readRatioSeries(db.pool, {}));
    expect(JSON.parse(JSON.stringify(option))).toEqual(option);
  });
});

describe('PNG', () => {
  const empty: RatioSeries = {
    points: [],
    window: null,
    includeCurrentDay: null,
    totalDays: 0,
    bucketDays: 1,
    sampled: false,
    from: null,
    to: null,
  };

  test('a PNG of the size asked for', () => {
    const svg = renderSvg(ratioChartOption(empty), { width: 500, height: 250 });
    for (const [width, png] of [
      [500, svgToPng(svg)],
      [1000, svgToPng(svg, 1000)],
    ] as const) {
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([width, width / 2]);
    }
  });

  test('fonts are found only where a font file is: not in a missing folder, an empty one, or one of bitmap fonts', () => {
    const root = tempDir('fonts-');
    const empty = path.join(root, 'empty');
    const bitmap = path.join(root, 'bitmap', 'misc');
    const truetype = path.join(root, 'truetype', 'dejavu');
    for (const folder of [empty, bitmap, truetype]) mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(bitmap, 'cursor.pcf.gz'), 'x');
    writeFileSync(path.join(truetype, 'DejaVuSans.TTF'), 'x');
    expect(systemFontsFound([path.join(root, 'missing')])).toBe(false);
    expect(systemFontsFound([empty])).toBe(false);
    expect(systemFontsFound([path.join(root, 'bitmap')])).toBe(false);
    expect(systemFontsFound([empty, path.join(root, 'truetype')])).toBe(true);
  });
});

describe('run durations and the lake heat map', () => {
  test('readRunDurations: the last runs of one workflow, oldest first, failures marked by a symbol', async () => {
    await db.pool.query(
      `INSERT INTO job_runs (run_id, job, trigger, status, started_at, finished_at, host, pid, logical_date) VALUES
         ('a', 'w', 'manual', 'succeeded', '2026-12-01T10:00:00Z', '2026-12-01T10:00:01.5Z', 'h', 1, '2026-12-01'),
         ('b', 'w', 'manual', 'failed',    '2026-12-01T10:01:00Z', '2026-12-01T10:01:00.25Z', 'h', 1, '2026-12-01'),
         ('c', 'w', 'manual', 'running',   '2026-12-01T10:02:00Z', NULL, 'h', 1, '2026-12-01'),
         ('d', 'other', 'manual', 'succeeded', '2026-12-01T10:03:00Z', '2026-12-01T10:03:01Z', 'h', 1, '2026-12-01')`,
    );
    expect(await readRunDurations(db.pool, 'w', 2)).toEqual([
      { runId: 'b', startedAt: '2026-12-01T10:01:00.000Z', durationMs: 250, status: 'failed' },
      { runId: 'c', startedAt: '2026-12-01T10:02:00.000Z', durationMs: null, status: 'running' },
    ]);
    const runs = await readRunDurations(db.pool, 'w');
    expect(runs.map((r) => r.durationMs)).toEqual([1500, 250, null]);
    const option = runDurationsOption(runs, 'w');
    const failed = (option.series as { name: string; symbol?: string; data: unknown[] }[]).find(
      (s) => s.name === 'failed',
    );
    expect(failed).toMatchObject({ symbol: 'diamond', data: [{ value: [Date.parse('2026-12-01T10:01:00Z'), 0.25] }] });
    expect(renderSvg(option, { width: 600, height: 300 })).toContain('Run durations: w');
  });

  test('readLakeHeatmap: rows of the live events files per type and hour, from the catalog', async () => {
    const {
      rows: [ingest],
    } = await db.pool.query<{ ingest_id: string }>(
      "INSERT INTO lake_ingests (source, status) VALUES ('s', 'running') RETURNING ingest_id",
    );
    const file = (n: number, type: string | null, date: string, hour: number | null, rows: number, removed = false) =>
      db.pool.query(
        `INSERT INTO lake_files (path, content, event_type, event_date, event_hour, rows, bytes, min_created_at,
                                 max_created_at, ingest_id, removed_at)
         VALUES ($1, $2, $3, $4, $5, $6, 100, $7, $7, $8, $9)`,
        [
          `f${n}`,
          type === null ? 'quarantine' : 'events',
          type,
          date,
          hour,
          rows,
          type === null ? null : `${date}T00:00:00Z`,
          ingest!.ingest_id,
          removed ? new Date() : null,
        ],
      );
    await file(1, 'click', '2026-12-01', 22, 10);
    await file(2, 'click', '2026-12-01', 22, 5);
    await file(3, 'click', '2026-12-01', 23, 7);
    await file(4, 'view', '2026-12-02', 0, 3);
    await file(5, 'view', '2026-12-02', 0, 1000, true); // replaced by a compaction: not counted
    await file(6, null, '2026-12-02', null, 50); // quarantine: not events
    await file(7, 'view', '2026-11-30', 1, 99); // older than the 3 hours asked for
    expect(await readLakeHeatmap(db.pool, { hours: 3 })).toEqual([
      { type: 'click', hour: '2026-12-01T22:00:00Z', events: 15 },
      { type: 'click', hour: '2026-12-01T23:00:00Z', events: 7 },
      { type: 'view', hour: '2026-12-02T00:00:00Z', events: 3 },
    ]);
    expect(await readLakeHeatmap(db.pool, { hours: 3, types: 1 })).toHaveLength(2);
    const svg = renderSvg(lakeHeatmapOption(await readLakeHeatmap(db.pool, { hours: 3 })), {
      width: 800,
      height: 400,
    });
    expect(countMatches(svg, CHART_SYMBOL(0))).toBe(3);
  });
});

describe('npm run chart', () => {
  const run = async (args: string[]) => {
    const running = startNode(['dist/charts/main.js', ...args], pgEnvironment(db.config));
    return { code: await running.exited, stdout: running.stdout(), stderr: running.stderr() };
  };

  test('ratio --out x.png writes the PNG, aside then renamed, and says so in one line', async () => {
    await publish(days('2023-02-01', [1, 2, null, 4], [1, 1.5, 1.5, 2.333]));
    const dir = tempDir('chart-');
    const out = path.join(dir, 'x.png');
    const result = await run(['ratio', '--out', out, '--width', '800', '--height', '400']);
    expect(result).toMatchObject({ code: 0 });
    const png = readFileSync(out);
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([800, 400]);
    expect(result.stdout).toMatch(
      new RegExp(
        `status=succeeded duration_ms=\\d+ chart=ratio file=${out} points=4 bytes=${png.length} wrote ${out}\\n$`,
      ),
    );
    expect(readdirSync(dir)).toEqual(['x.png']);
  });

  test('an empty table: a chart that says no data, and a warning', async () => {
    const out = path.join(tempDir('chart-'), 'empty.svg');
    const result = await run(['--out', out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/WARN {2}chart chart=ratio no data/);
    expect(readFileSync(out, 'utf8')).toContain('>no data</text>');
  });

  test.each([
    [['--out', 'x.jpg'], '--out "x.jpg": expected a file name ending in .svg or .png'],
    [['--out', 'x.svg', '--from', '2023-13-01'], '--from "2023-13-01": expected a day of the calendar, YYYY-MM-DD'],
    [['--out', 'x.svg', '--to', 'yesterday'], '--to "yesterday": expected a day of the calendar, YYYY-MM-DD'],
  ])('%j: exit 2, one line naming the flag, no file', async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      new RegExp(`^\\S+ ERROR chart failed error=${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n$`),
    );
    expect(existsSync(path.join(process.cwd(), args[1]!))).toBe(false);
  });
});
