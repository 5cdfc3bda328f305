import path from 'node:path';
import type { Writable } from 'node:stream';
import type { DuckDBValue } from '@duckdb/node-api';
import type { Config } from '../../lib/config';
import { ConfigError, InputError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { DATABASE_ENVIRONMENT, LAKE_ENVIRONMENT, LOG_ENVIRONMENT, S3_ENVIRONMENT, type Usage } from '../../lib/usage';
import { duckDbProblem, type DuckDb } from '../duckdb';
import { createEventsView, createQuarantineView, withLakeReader } from '../lakeReader';
import { openLake, type LakeStore } from '../lakeStore';
import { filesFromCatalog, filesFromExports, type PlannedFiles } from '../queryFiles';
import { FORMATS, printResult, type OutputFormat, type Printed } from '../queryOutput';
import { planQuery, type QueryPlan } from '../queryPlan';
import { readCatalog } from './withCatalog';

/** `npm run lake -- query "<SQL>"`: DuckDB over the lake's files that the statement can need. */

export const QUERY_USAGE: Usage = {
  synopsis: ['npm run lake -- query "<SQL over events and quarantine>" [--format table|csv|json] [--from-lake]'],
  description: [
    'Runs one SELECT with DuckDB over the views events (id, type, created_at, date, hour, attributes,',
    'meta, ingest_id, source_line) and quarantine (docs/lake-query.md). The files are chosen from the',
    "catalog, pruned by the WHERE's conditions on type, created_at, date and hour; an S3 lake's files are",
    'downloaded to LAKE_TMP_DIR first and deleted after. The result goes to stdout, one log line to stderr.',
    'Only reads: never writes the catalog, never migrates it. Exit 3 when DuckDB refuses the statement.',
  ].join('\n'),
  options: [
    ['--format table|csv|json', 'table (aligned, at most 10000 rows), csv (RFC 4180) or json (an array of objects)'],
    ['--from-lake', "plan from the lake's own catalog exports (_catalog/), without PostgreSQL; may lag behind"],
  ],
  environment: [...LAKE_ENVIRONMENT, ...DATABASE_ENVIRONMENT, ...S3_ENVIRONMENT, ...LOG_ENVIRONMENT],
  examples: [
    `npm run lake -- query "SELECT type, count(*) AS events FROM events WHERE date = '2026-12-01' GROUP BY type ORDER BY events DESC"`,
    `npm run lake -- query "SELECT hour, count(*) FROM events WHERE type = 'user_created' AND created_at >= '2026-12-01 09:00' AND created_at < '2026-12-01 12:00' GROUP BY hour" --format csv`,
    'npm run lake -- query "SELECT reason, count(*) FROM quarantine GROUP BY reason" --from-lake',
  ],
};

export interface ReadOptions {
  format: OutputFormat;
  fromLake: boolean;
}

/** --format and --from-lake, shared with the kpis command; what is left are the command's own arguments. */
export function parseReadOptions(command: string, args: readonly string[]): ReadOptions & { rest: string[] } {
  const options: ReadOptions = { format: 'table', fromLake: false };
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--from-lake') {
      options.fromLake = true;
    } else if (arg === '--format' || arg.startsWith('--format=')) {
      const value = arg === '--format' ? args[++i] : arg.slice('--format='.length);
      if (!FORMATS.includes(value as OutputFormat)) {
        throw new ConfigError(`${command}: --format ${value ?? ''}: expected ${FORMATS.join(', ')}`);
      }
      options.format = value as OutputFormat;
    } else {
      rest.push(arg);
    }
  }
  return { ...options, rest };
}

/** The files of a plan, from the catalog, or with --from-lake from the lake's exports. */
export function planFiles(
  config: Config,
  log: Logger,
  stop: AbortSignal,
  lake: LakeStore,
  plan: QueryPlan,
  options: { fromLake: boolean; folder: string },
): Promise<PlannedFiles> {
  return options.fromLake
    ? filesFromExports(lake, plan, path.join(options.folder, 'catalog'), stop)
    : readCatalog(config, log, stop, (client) => filesFromCatalog(client, plan));
}

// DuckDB's errors that are not the statement's fault: a file unreadable, memory short, a stop.
const NOT_THE_STATEMENT = /^(IO|Out of Memory|Interrupt|Fatal|Internal) Error/;

/** A DuckDB error of the statement: an InputError (exit 3) when the statement is what must change. */
function statementError(error: unknown, stop: AbortSignal): unknown {
  if (stop.aborted) return error;
  const problem = `query: ${duckDbProblem(error)}`;
  return NOT_THE_STATEMENT.test(duckDbProblem(error))
    ? new Error(problem, { cause: error })
    : new InputError(problem, { cause: error });
}

/** The rows of a statement, chunk by chunk, its errors as statementError makes them. */
async function* statementRows(
  result: AsyncIterable<DuckDBValue[][]>,
  stop: AbortSignal,
): AsyncGenerator<DuckDBValue[][]> {
  try {
    for await (const chunk of result) yield chunk;
  } catch (error) {
    throw statementError(error, stop);
  }
}

/** Runs the statement over the views and prints its result to out. */
async function printStatement(
  duck: DuckDb,
  sql: string,
  format: OutputFormat,
  out: Writable,
  stop: AbortSignal,
): Promise<Printed> {
  let result;
  try {
    result = await duck.connection.stream(sql);
  } catch (error) {
    throw statementError(error, stop);
  }
  return printResult(
    { names: result.columnNames(), keys: result.deduplicatedColumnNames(), types: result.columnTypes() },
    statementRows(result.yieldRows(), stop),
    format,
    out,
  );
}

function sum(files: readonly { bytes: number }[]): number {
  return files.reduce((total, file) => total + file.bytes, 0);
}

export interface ReadContext {
  config: Config;
  log: Logger;
  stop: AbortSignal;
  /** Where the result goes: stdout for the command. */
  out: Writable;
}

export interface QuerySummary extends Printed {
  plan: QueryPlan;
  files: PlannedFiles;
}

/** Plans the statement, makes the views over the chosen files, runs it and prints its result; one log line. */
export async function runQuery(ctx: ReadContext, sql: string, options: ReadOptions): Promise<QuerySummary> {
  const { config, log, stop } = ctx;
  const began = Date.now();
  const lake = openLake(config);
  try {
    return await withLakeReader(config, 'query', stop, async ({ duck, folder }) => {
      const plan = await planQuery(duck, sql);
      const files = await planFiles(config, log, stop, lake, plan, { fromLake: options.fromLake, folder });
      const local = path.join(folder, 'files');
      await createEventsView(
        duck,
        await lake.localPaths(
          files.events.map((f) => f.path),
          local,
          stop,
        ),
      );
      await createQuarantineView(
        duck,
        await lake.localPaths(
          files.quarantine.map((f) => f.path),
          local,
          stop,
        ),
      );
      const planMs = Date.now() - began;
      const printed = await printStatement(duck, sql, options.format, ctx.out, stop);
      log.log(
        printed.truncated ? 'warn' : 'info',
        printed.truncated ? 'query ran; the table shows its first rows only' : 'query ran',
        {
          rows: printed.rows,
          duration_ms: Date.now() - began,
          plan_ms: planMs,
          files: `${files.events.length}/${files.total.files}`,
          bytes: `${sum(files.events)}/${files.total.bytes}`,
          ...(plan.quarantine ? { quarantine_files: files.quarantine.length } : {}),
          ...(plan.prunedBy.length > 0 ? { pruned_by: plan.prunedBy.join(',') } : { not_pruned: plan.notPruned }),
          plan: files.source,
        },
      );
      return { ...printed, plan, files };
    });
  } finally {
    lake.close();
  }
}

export async function queryCommand(
  args: readonly string[],
  config: Config,
  log: Logger,
  stop: AbortSignal,
): Promise<number> {
  const { format, fromLake, rest } = parseReadOptions('query', args);
  const unknown = rest.find((arg) => arg.startsWith('--'));
  if (unknown !== undefined) throw new ConfigError(`query: unknown option ${unknown}`);
  if (rest.length !== 1 || rest[0]!.trim() === '') {
    throw new ConfigError('query: give the SQL as one argument, in quotes');
  }
  await runQuery({ config, log, stop, out: process.stdout }, rest[0]!, { format, fromLake });
  return 0;
}
