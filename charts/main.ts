import { renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { EChartsOption } from 'echarts';
import type { Config } from '../lib/config';
import { createPool, endPool, waitForDatabase, withClient, type PoolClient } from '../lib/db';
import { ConfigError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { runMain } from '../lib/main';
import { DATABASE_ENVIRONMENT, LOG_ENVIRONMENT, usageLine, type Usage } from '../lib/usage';
import { readLakeHeatmap } from './lakeHeatmap';
import { lakeHeatmapOption, ratioChartOption, runDurationsOption } from './options';
import { checkDay, readRatioSeries } from './ratioSeries';
import { renderSvg, svgToPng, systemFontsFound } from './render';
import { readRunDurations } from './runDurations';

/** `npm run chart -- <chart> --out <file.svg|file.png>`: one chart of the stack to a file, read-only. */

const CHARTS = ['ratio', 'durations', 'lake-heatmap'] as const;
type ChartName = (typeof CHARTS)[number];

const SYNOPSIS = [
  'npm run chart -- [ratio] --out <file.svg|file.png> [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--width N] [--height N]',
  'npm run chart -- durations --workflow NAME --out <file.svg|file.png> [--width N] [--height N]',
  'npm run chart -- lake-heatmap --out <file.svg|file.png> [--width N] [--height N]',
];

const HELP: Usage = {
  synopsis: SYNOPSIS,
  description: [
    'Renders one chart to an SVG or PNG file (the format from the extension), the same chart the',
    'dashboard draws (docs/charts.md). ratio: the daily liquidation-to-default ratio and its rolling',
    'average (at most 2,000 points; days with no ratio are gaps). durations: how long the runs of one',
    "workflow took, failed runs marked. lake-heatmap: events per type per hour from the lake's catalog.",
    'Only reads, in a read-only transaction. Bad arguments: exit 2.',
  ].join('\n'),
  options: [
    ['--out FILE', 'where to write: .svg or .png (required); written aside, then renamed'],
    ['--from, --to', 'ratio: the first and last day, YYYY-MM-DD (the whole table)'],
    ['--workflow NAME', 'durations: the workflow, e.g. default_liquidation_rolling_avg_hist (required)'],
    ['--width N, --height N', 'the size in pixels, 200 to 8000 (1200 by 600)'],
  ],
  environment: [...DATABASE_ENVIRONMENT, ...LOG_ENVIRONMENT],
  examples: [
    'npm run chart -- ratio --out ratio.png',
    'npm run chart -- ratio --from 2023-01-01 --to 2023-03-31 --out q1.svg',
    'npm run chart -- durations --workflow default_liquidation_rolling_avg_hist --out runs.png',
  ],
};

export interface ChartCommand {
  chart: ChartName;
  out: string;
  format: 'svg' | 'png';
  from?: string;
  to?: string;
  workflow?: string;
  width: number;
  height: number;
}

function usageError(message: string): ConfigError {
  return new ConfigError(`${message}; ${usageLine(SYNOPSIS).split('\n')[0]}`);
}

function pixels(flag: string, raw: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 200 || value > 8000) {
    throw new ConfigError(`${flag} ${JSON.stringify(raw)}: expected a whole number of pixels from 200 to 8000`);
  }
  return value;
}

export function parseChartArgs(args: readonly string[]): ChartCommand {
  const positional: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (['--out', '--from', '--to', '--workflow', '--width', '--height'].includes(arg)) {
      const value = args[i + 1];
      if (value === undefined || value.startsWith('--')) throw usageError(`${arg} needs a value`);
      flags[arg] = value;
      i += 1;
    } else if (arg.startsWith('-')) throw usageError(`unknown option ${arg}`);
    else positional.push(arg);
  }
  if (positional.length > 1) throw usageError(`one chart at a time, got ${positional.join(' ')}`);
  const chart = positional[0] ?? 'ratio';
  if (!(CHARTS as readonly string[]).includes(chart)) {
    throw usageError(`unknown chart ${JSON.stringify(chart)}: expected one of ${CHARTS.join(', ')}`);
  }
  const out = flags['--out'];
  if (out === undefined) throw usageError('--out is required');
  const extension = path.extname(out).toLowerCase();
  if (extension !== '.svg' && extension !== '.png') {
    throw new ConfigError(`--out ${JSON.stringify(out)}: expected a file name ending in .svg or .png`);
  }
  const from = flags['--from'];
  const to = flags['--to'];
  checkDay('from', from);
  checkDay('to', to);
  if (from !== undefined && to !== undefined && from > to) throw new ConfigError(`--from ${from} is after --to ${to}`);
  if ((from !== undefined || to !== undefined) && chart !== 'ratio') throw usageError('--from and --to are for ratio');
  const workflow = flags['--workflow'];
  if (chart === 'durations' && workflow === undefined) throw usageError('durations needs --workflow NAME');
  if (chart !== 'durations' && workflow !== undefined) throw usageError('--workflow is for durations');
  return {
    chart: chart as ChartName,
    out,
    format: extension === '.svg' ? 'svg' : 'png',
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    ...(workflow === undefined ? {} : { workflow }),
    width: flags['--width'] === undefined ? 1200 : pixels('--width', flags['--width']),
    height: flags['--height'] === undefined ? 600 : pixels('--height', flags['--height']),
  };
}

/** The chart's option and how many points (days, runs, cells) it holds. */
async function buildOption(
  client: PoolClient,
  command: ChartCommand,
  config: Config,
): Promise<{ option: EChartsOption; points: number }> {
  if (command.chart === 'ratio') {
    const series = await readRatioSeries(client, {
      ...(command.from === undefined ? {} : { from: command.from }),
      ...(command.to === undefined ? {} : { to: command.to }),
    });
    const option = ratioChartOption(series, {
      configuredWindowDays: config.rollingAverage.windowDays,
      static: true,
    });
    return { option, points: series.points.length };
  }
  if (command.chart === 'durations') {
    const runs = await readRunDurations(client, command.workflow!);
    return { option: runDurationsOption(runs, command.workflow!), points: runs.length };
  }
  const cells = await readLakeHeatmap(client);
  return { option: lakeHeatmapOption(cells), points: cells.length };
}

/** Written aside and renamed: a reader of the file sees the old chart or the new one, never half of one. */
function writeAtomically(file: string, bytes: string | Buffer): void {
  const partial = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.partial`);
  try {
    writeFileSync(partial, bytes);
    renameSync(partial, file);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
}

export async function runChartCommand(
  config: Config,
  logger: Logger,
  stop: AbortSignal,
  args: readonly string[],
): Promise<number> {
  const command = parseChartArgs(args);
  const startedMs = Date.now();
  const pool = createPool(config.database, 'chart', { max: 1, queryTimeoutMs: config.jobTimeoutMs });
  try {
    await waitForDatabase(pool, config.database, config.dbWaitTimeoutMs, logger, stop);
    // The chart only reads: a read-only transaction, so that nothing it runs could ever write,
    // and one snapshot for all its queries.
    const { option, points } = await withClient(pool, async (client) => {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        return await buildOption(client, command, config);
      } finally {
        await client.query('ROLLBACK');
      }
    });
    if (points === 0) logger.warn('no data: the chart says so', { chart: command.chart });
    const svg = renderSvg(option, { width: command.width, height: command.height });
    if (command.format === 'png' && !systemFontsFound()) {
      logger.warn('no fonts found in /usr/share/fonts: the PNG has no text (install fonts-dejavu-core)', {
        chart: command.chart,
      });
    }
    const bytes = command.format === 'svg' ? svg : svgToPng(svg, command.width);
    writeAtomically(command.out, bytes);
    logger.info(`wrote ${command.out}`, {
      chart: command.chart,
      file: command.out,
      points,
      bytes: Buffer.byteLength(bytes),
      duration_ms: Date.now() - startedMs,
      status: 'succeeded',
    });
    return 0;
  } finally {
    await endPool(pool);
  }
}

export function main(): void {
  runMain('chart', (config, logger, stop) => runChartCommand(config, logger, stop, process.argv.slice(2)), {
    usage: HELP,
  });
}

if (require.main === module) main();
