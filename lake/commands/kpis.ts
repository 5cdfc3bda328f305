import type { Config } from '../../lib/config';
import { ConfigError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { DATABASE_ENVIRONMENT, LAKE_ENVIRONMENT, LOG_ENVIRONMENT, S3_ENVIRONMENT, type Usage } from '../../lib/usage';
import { DuckDb } from '../duckdb';
import { computeDayKpis, dayBefore, dayPlan } from '../kpis';
import { withLakeReader } from '../lakeReader';
import { openLake } from '../lakeStore';
import { isDate } from '../partitions';
import { printResult, type Printed } from '../queryOutput';
import { parseReadOptions, planFiles, type ReadContext, type ReadOptions } from './query';

/** `npm run lake -- kpis --day YYYY-MM-DD`: event_kpis's numbers of one day, printed, written nowhere. */

export const KPIS_USAGE: Usage = {
  synopsis: ['npm run lake -- kpis [--day YYYY-MM-DD] [--format table|csv|json] [--from-lake]'],
  description: [
    'Prints the KPIs of one day (UTC) per event type, as the event_kpis workflow computes them into',
    'event_kpis_daily (docs/lake-query.md, "KPIs"): events, distinct attributes.user_id, first and last',
    'event. Writes nothing: with --from-lake it needs only the lake, so it runs on any machine that can',
    'read it, even when PostgreSQL is down. One log line to stderr.',
  ].join('\n'),
  options: [
    ['--day YYYY-MM-DD', 'the day (default: yesterday, UTC)'],
    ['--format table|csv|json', 'as for query'],
    ['--from-lake', "read the day's files from the lake's catalog export, without PostgreSQL"],
  ],
  environment: [...LAKE_ENVIRONMENT, ...DATABASE_ENVIRONMENT, ...S3_ENVIRONMENT, ...LOG_ENVIRONMENT],
  examples: ['npm run lake -- kpis --day 2026-12-01', 'npm run lake -- kpis --day 2026-12-01 --from-lake --format csv'],
};

/** Computes and prints a day's KPIs; one log line. */
export async function printDayKpis(ctx: ReadContext, day: string, options: ReadOptions): Promise<Printed> {
  const { config, log, stop } = ctx;
  const began = Date.now();
  const lake = openLake(config);
  try {
    return await withLakeReader(config, 'kpis', stop, async (reader) => {
      const files = await planFiles(config, log, stop, lake, dayPlan(day), {
        fromLake: options.fromLake,
        folder: reader.folder,
      });
      await computeDayKpis(reader, lake, day, files.events, stop);
      const result = await reader.duck.connection.stream(DuckDb.statement('kpis'), [day]);
      const printed = await printResult(
        { names: result.columnNames(), keys: result.deduplicatedColumnNames(), types: result.columnTypes() },
        result.yieldRows(),
        options.format,
        ctx.out,
      );
      log.info('kpis computed', {
        rows: printed.rows,
        duration_ms: Date.now() - began,
        day,
        files: files.events.length,
        bytes: files.events.reduce((sum, file) => sum + file.bytes, 0),
        plan: files.source,
      });
      return printed;
    });
  } finally {
    lake.close();
  }
}

export async function kpisCommand(
  args: readonly string[],
  config: Config,
  log: Logger,
  stop: AbortSignal,
): Promise<number> {
  const { format, fromLake, rest } = parseReadOptions('kpis', args);
  let day = dayBefore(new Date().toISOString().slice(0, 10));
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg !== '--day' && !arg.startsWith('--day=')) throw new ConfigError(`kpis: unexpected argument ${arg}`);
    const value = arg === '--day' ? rest[++i] : arg.slice('--day='.length);
    if (value === undefined || !isDate(value)) throw new ConfigError(`kpis: --day ${value ?? ''}: expected YYYY-MM-DD`);
    day = value;
  }
  await printDayKpis({ config, log, stop, out: process.stdout }, day, { format, fromLake });
  return 0;
}
