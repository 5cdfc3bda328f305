import type { EChartsOption } from 'echarts';
import type { RatioSeries } from './ratioSeries';

/**
 * The ECharts options of the stack's charts: plain JSON (no functions, so the dashboard can send
 * them to the browser as they are), rendered to files by charts/render.ts and drawn by the page.
 * Colours are Okabe and Ito's, distinguishable with every common colour-vision deficiency, and no
 * series relies on colour alone: each has its own line style and symbol, or its name on the legend.
 */

const INK = '#1f2933';
const MUTED = '#52606d';
const GRID_LINE = '#e4e7eb';
const BLUE = '#0072B2';
const ORANGE = '#E69F00';
const VERMILLION = '#D55E00';
const FONT = 'DejaVu Sans, Verdana, sans-serif';

/** A series of at most this many points shows a symbol on each of them; a denser one shows only the line. */
export const SYMBOLS_UP_TO = 120;

const DAY_MS = 86_400_000;

function dayMs(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

function base(title: string, subtitle: string): EChartsOption {
  return {
    animation: false,
    // Times are UTC whatever the zone of the machine or of the browser.
    useUTC: true,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: FONT, color: INK },
    title: {
      text: title,
      subtext: subtitle,
      left: 16,
      top: 12,
      textStyle: { fontSize: 17, fontWeight: 'bold', color: INK },
      subtextStyle: { fontSize: 12, color: MUTED, lineHeight: 16 },
    },
    aria: { enabled: true },
  };
}

function axisStyle(name: string): Record<string, unknown> {
  return {
    name,
    // Along the axis, in the middle: a long name is never cut at the chart's edge.
    nameLocation: 'middle',
    nameGap: 40,
    nameTextStyle: { color: MUTED, fontSize: 12 },
    axisLine: { lineStyle: { color: MUTED } },
    axisLabel: { color: INK, fontSize: 11 },
    splitLine: { lineStyle: { color: GRID_LINE } },
  };
}

/** "7-day rolling average", with what is known of the window when the table did not record it. */
function averageName(series: RatioSeries, configuredWindowDays: number | undefined): string {
  const days = series.window ?? configuredWindowDays;
  return days === undefined ? 'rolling average' : `${days}-day rolling average`;
}

function ratioSubtitle(series: RatioSeries, configuredWindowDays: number | undefined): string {
  if (series.points.length === 0) return 'no data: default_liquidation_rolling_avg_hist is empty in this range';
  const window =
    series.window !== null
      ? `rolling average over ${series.window} calendar days${series.includeCurrentDay === false ? ' before each day' : ' up to each day'}, as the table was built`
      : configuredWindowDays !== undefined
        ? `rolling average over ${configuredWindowDays} days (ROLLING_AVG_WINDOW_DAYS; the table records no window yet)`
        : 'the table records no window yet';
  const grain =
    series.bucketDays === 1
      ? 'one point per day'
      : `one point per ${series.bucketDays} days (mean of the bucket${series.sampled ? ', 16 days of it sampled' : ''})`;
  return `${series.from} to ${series.to} (UTC), ${grain}; ${window}. Gaps: days without a ratio.`;
}

export interface RatioChartOptions {
  title?: string;
  /** The window of the configuration, named when the table recorded none (config.rollingAverage.windowDays). */
  configuredWindowDays?: number;
  /** For a file: no zoom slider, which a picture cannot use. */
  static?: boolean;
}

export function ratioChartOption(series: RatioSeries, opts: RatioChartOptions = {}): EChartsOption {
  const average = averageName(series, opts.configuredWindowDays);
  const title = opts.title ?? `Liquidation-to-default ratio and its ${average}`;
  const empty = series.points.length === 0;
  const symbols = series.points.length <= SYMBOLS_UP_TO;
  const data = (pick: (p: RatioSeries['points'][number]) => number | null): [number, number | null][] =>
    series.points.map((p) => [dayMs(p.day), pick(p)]);
  const option: EChartsOption = {
    ...base(title, ratioSubtitle(series, opts.configuredWindowDays)),
    color: [BLUE, ORANGE],
    legend: { top: 64, left: 16, itemWidth: 32, itemGap: 24, textStyle: { color: INK, fontSize: 12 } },
    tooltip: { trigger: 'axis' },
    grid: { left: 72, right: 32, top: 100, bottom: opts.static === true ? 40 : 84 },
    xAxis: {
      type: 'time',
      ...axisStyle(''),
      // Whole days on the axis, in UTC (useUTC above): ECharts picks the level; a year or month
      // boundary is named, the days between are numbers, short enough not to collide.
      axisLabel: {
        color: INK,
        fontSize: 11,
        hideOverlap: true,
        formatter: { year: '{yyyy}', month: '{MMM}', day: '{d}', hour: '{d}' },
      },
      minInterval: DAY_MS,
      // Fewer, wider ticks: a month's first day and the days around it would otherwise collide.
      splitNumber: 6,
      splitLine: { show: false },
    },
    yAxis: { type: 'value', ...axisStyle('liquidations per default'), min: 0 },
    dataZoom: zoom(opts.static === true),
    series: [
      dayLine(
        'Daily ratio',
        data((p) => p.ratio),
        symbols,
        { symbol: 'circle', size: 5, width: 1.2, style: 'solid' },
      ),
      dayLine(
        average.charAt(0).toUpperCase() + average.slice(1),
        data((p) => p.rollingAvg),
        symbols,
        {
          symbol: 'triangle',
          size: 7,
          width: 2.4,
          style: 'dashed',
        },
      ),
    ],
  };
  if (empty) option.graphic = noData();
  return option;
}

/** One line of the ratio chart: a gap where a day has no value, its own symbol and line style. */
function dayLine(
  name: string,
  data: [number, number | null][],
  showSymbol: boolean,
  look: { symbol: string; size: number; width: number; style: 'solid' | 'dashed' },
) {
  return {
    name,
    type: 'line' as const,
    data,
    connectNulls: false,
    showSymbol,
    symbol: look.symbol,
    symbolSize: look.size,
    lineStyle: { width: look.width, type: look.style },
    emphasis: { focus: 'series' as const },
  };
}

/** Zoom with the wheel and by dragging in the browser; the slider under the chart, except in a file. */
function zoom(staticChart: boolean): EChartsOption['dataZoom'] {
  return staticChart
    ? [{ type: 'inside', filterMode: 'none' }]
    : [
        { type: 'inside', filterMode: 'none' },
        { type: 'slider', filterMode: 'none', bottom: 16, height: 28 },
      ];
}

function noData(): EChartsOption['graphic'] {
  return {
    type: 'text',
    left: 'center',
    top: 'middle',
    style: { text: 'no data', fontSize: 20, fill: MUTED, fontFamily: FONT },
  };
}

export interface RunDurationRow {
  runId: string;
  startedAt: string;
  durationMs: number | null;
  status: string;
}

// Status → how it is drawn: a different symbol for each, so colour is never the only difference.
const STATUS_MARKS: Record<string, { symbol: string; color: string; size: number }> = {
  succeeded: { symbol: 'circle', color: BLUE, size: 7 },
  failed: { symbol: 'diamond', color: VERMILLION, size: 12 },
};
const OTHER_MARK = { symbol: 'rect', color: MUTED, size: 8 };

/** How long each run of one workflow took, over time; failed runs marked by a diamond and their own legend entry. */
export function runDurationsOption(rows: readonly RunDurationRow[], workflow: string): EChartsOption {
  const finished = rows.filter((r) => r.durationMs !== null);
  const statuses = [...new Set(finished.map((r) => r.status))].sort(
    (a, b) => Number(b in STATUS_MARKS) - Number(a in STATUS_MARKS) || a.localeCompare(b),
  );
  const subtitle =
    finished.length === 0
      ? 'no data: no finished run of this workflow in job_runs'
      : `the last ${finished.length} finished runs, ${finished[0]!.startedAt.slice(0, 16).replace('T', ' ')} to ` +
        `${finished.at(-1)!.startedAt.slice(0, 16).replace('T', ' ')} UTC; ` +
        `${finished.filter((r) => r.status === 'failed').length} failed (diamonds)`;
  const option: EChartsOption = {
    ...base(`Run durations: ${workflow}`, subtitle),
    legend: { top: 64, left: 16, itemGap: 24, textStyle: { color: INK, fontSize: 12 } },
    tooltip: { trigger: 'item' },
    grid: { left: 80, right: 32, top: 100, bottom: 84 },
    xAxis: {
      type: 'time',
      ...axisStyle(''),
      splitLine: { show: false },
      axisLabel: {
        color: INK,
        hideOverlap: true,
        // Runs a second apart would otherwise be labelled down to the millisecond.
        formatter: {
          year: '{yyyy}',
          month: '{MMM}',
          day: '{MMM} {d}',
          hour: '{HH}:{mm}',
          minute: '{HH}:{mm}',
          second: '{HH}:{mm}:{ss}',
          millisecond: '{HH}:{mm}:{ss}',
        },
      },
    },
    yAxis: { type: 'value', ...axisStyle('duration (s)'), min: 0 },
    dataZoom: zoom(false),
    series: [
      {
        // The trend through every finished run, thin and grey, under the marks.
        name: 'all runs',
        type: 'line',
        data: finished.map((r) => [Date.parse(r.startedAt), r.durationMs! / 1000]),
        showSymbol: false,
        lineStyle: { width: 1, color: '#9aa5b1' },
        itemStyle: { color: '#9aa5b1' },
        z: 1,
      },
      ...statuses.map((status) => {
        const mark = STATUS_MARKS[status] ?? OTHER_MARK;
        return {
          name: status,
          type: 'scatter' as const,
          symbol: mark.symbol,
          symbolSize: mark.size,
          itemStyle: { color: mark.color },
          data: finished
            .filter((r) => r.status === status)
            .map((r) => ({ value: [Date.parse(r.startedAt), r.durationMs! / 1000], name: r.runId })),
          z: 2,
        };
      }),
    ],
  };
  if (finished.length === 0) option.graphic = noData();
  return option;
}

export interface HeatmapCellRow {
  type: string;
  hour: string;
  events: number;
}

// Light to dark (cividis-like): readable with a colour-vision deficiency, and in grey.
const HEAT_SCALE = ['#fdf6d3', '#f3d87a', '#c9a43e', '#7f7c75', '#3d4d72', '#00204d'];

/** Events per type (rows) per hour (columns), from the lake's catalog; the scale is on the left. */
export function lakeHeatmapOption(cells: readonly HeatmapCellRow[]): EChartsOption {
  const hours = [...new Set(cells.map((c) => c.hour))].sort();
  const types = [...new Set(cells.map((c) => c.type))].sort().reverse();
  const hourIndex = new Map(hours.map((h, i) => [h, i]));
  const typeIndex = new Map(types.map((t, i) => [t, i]));
  const max = Math.max(1, ...cells.map((c) => c.events));
  const total = cells.reduce((sum, c) => sum + c.events, 0);
  const subtitle =
    cells.length === 0
      ? 'no data: the catalog holds no events file'
      : `${hours[0]!.slice(0, 13).replace('T', ' ')}:00 to ${hours.at(-1)!.slice(0, 13).replace('T', ' ')}:00 UTC, ` +
        `${types.length} types, ${total.toLocaleString('en-US')} events (rows of the catalog's live files)`;
  const option: EChartsOption = {
    ...base('Lake events per type per hour', subtitle),
    tooltip: { position: 'top' },
    grid: { left: 150, right: 32, top: 80, bottom: 110 },
    xAxis: {
      type: 'category',
      data: hours.map((h) => `${h.slice(5, 10)} ${h.slice(11, 13)}h`),
      ...axisStyle(''),
      axisLabel: { color: INK, fontSize: 10, rotate: 45, hideOverlap: true },
      splitArea: { show: false },
    },
    yAxis: {
      type: 'category',
      data: types,
      ...axisStyle(''),
      axisLabel: { color: INK, fontSize: 11, width: 130, overflow: 'truncate' },
    },
    visualMap: {
      min: 0,
      max,
      calculable: true,
      orient: 'horizontal',
      left: 'center',
      bottom: 8,
      itemHeight: 220,
      text: [`${max.toLocaleString('en-US')} events`, '0'],
      inRange: { color: HEAT_SCALE },
      textStyle: { color: INK },
    },
    series: [
      {
        name: 'events',
        type: 'heatmap',
        data: cells.map((c) => [hourIndex.get(c.hour)!, typeIndex.get(c.type)!, c.events]),
        itemStyle: { borderColor: '#ffffff', borderWidth: 1 },
        emphasis: { itemStyle: { borderColor: INK, borderWidth: 1 } },
      },
    ],
  };
  if (cells.length === 0) option.graphic = noData();
  return option;
}
