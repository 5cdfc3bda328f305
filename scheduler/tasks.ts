import { inTransaction } from '../lib/db';
import { JobFailedError } from '../lib/errors';
import { querySqlFile } from '../lib/sqlFiles';
import { loadFile } from '../loader/loadFile';
import type { TaskContext, TaskDefinition, TaskOptions, TaskResult } from './workflow';

/**
 * The built-in task kinds. SQL reaches its parameters as settings `job.<key>` (read with
 * current_setting('job.<key>', true)): values are bound, never spliced into the SQL text, and
 * the same file runs by hand with its own defaults.
 */

type SqlParams<P> = (ctx: TaskContext<P>) => Record<string, string | number | boolean>;

/** The workflow's parameters, by default, as job.<key> settings. */
function defaultSqlParams<P>(ctx: TaskContext<P>): Record<string, string | number | boolean> {
  const values: Record<string, string | number | boolean> = { logical_date: ctx.run.logicalDate };
  for (const [key, value] of Object.entries(ctx.params as Record<string, unknown>)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') values[key] = value;
  }
  if (ctx.item !== undefined) values.item = String(ctx.item);
  return values;
}

// The job.* settings made on each connection of a run's transaction, to clear them for the next task.
const settingsMade = new WeakMap<object, Set<string>>();

/**
 * Sets the task's parameters as job.<key> settings, local to a transaction, then runs the file.
 * Outside the run's transaction the two go into a transaction of their own (a setting local to
 * an autocommit statement would be gone before the file runs); inside it, settings left by an
 * earlier task are cleared first, so that no task sees another's.
 */
async function runSqlFile<P>(ctx: TaskContext<P>, file: string, params: SqlParams<P>) {
  const values = params(ctx);
  const run = async () => {
    const left = settingsMade.get(ctx.db) ?? new Set<string>();
    // SET LOCAL rather than SELECT set_config(): it takes no snapshot (see executor.ts).
    const setting = (key: string, value: string) =>
      ctx.db.query(`SET LOCAL ${ctx.db.escapeIdentifier(`job.${key}`)} = ${ctx.db.escapeLiteral(value)}`);
    for (const key of left) if (!(key in values)) await setting(key, '');
    for (const [key, value] of Object.entries(values)) await setting(key, String(value));
    if (ctx.sharedTransaction) settingsMade.set(ctx.db, new Set(Object.keys(values)));
    return [await querySqlFile(ctx.db, file)].flat();
  };
  return ctx.sharedTransaction ? run() : inTransaction(ctx.db, run);
}

/**
 * Runs sql/<file> as an `sql` task would (the workflow's parameters as job.* settings), for a
 * function task that acts on what the SQL returns: the results of its statements, in order.
 */
export function runSqlTaskFile<P>(ctx: TaskContext<P>, file: string) {
  return runSqlFile(ctx, file, defaultSqlParams);
}

function rowsOf(results: { rowCount: number | null; command: string }[]): number {
  return results.reduce(
    (sum, r) => sum + (['INSERT', 'UPDATE', 'DELETE', 'SELECT', 'COPY'].includes(r.command) ? (r.rowCount ?? 0) : 0),
    0,
  );
}

export interface SqlTaskOptions<P> extends TaskOptions<P> {
  /** Settings for the SQL (default: the workflow's parameters, logical_date and item). */
  params?: SqlParams<P>;
}

/** Runs sql/<file>. Its result (the rows of its last statement) is the task's value. */
export function sql<P>(file: string, options: SqlTaskOptions<P> = {}): TaskDefinition<P> {
  const params = options.params ?? defaultSqlParams;
  return {
    ...options,
    kind: 'sql',
    describe: `sql/${file}`,
    async run(ctx) {
      const results = await runSqlFile(ctx, file, params);
      return { rows: rowsOf(results), value: results.at(-1)?.rows };
    },
  };
}

export interface AuditTaskOptions<P> extends SqlTaskOptions<P> {
  /** A check of the rows instead of "no row": returns the problem, or undefined when all is well. */
  check?: (rows: Record<string, unknown>[], ctx: TaskContext<P>) => string | undefined;
}

/**
 * Runs sql/<file>, a query whose every row is a problem (columns `check` and `problem` read
 * best): the task fails, listing them, unless it returns no row. With `check`, that function
 * judges the rows instead.
 */
export function audit<P>(file: string, options: AuditTaskOptions<P> = {}): TaskDefinition<P> {
  const params = options.params ?? defaultSqlParams;
  return {
    ...options,
    kind: 'audit',
    describe: `audit sql/${file}`,
    async run(ctx) {
      const rows = (await runSqlFile(ctx, file, params)).at(-1)?.rows ?? [];
      const problem =
        options.check !== undefined
          ? options.check(rows, ctx)
          : rows.length === 0
            ? undefined
            : rows
                .map((row) =>
                  'check' in row && 'problem' in row
                    ? `${String(row.check)}: ${String(row.problem)}`
                    : JSON.stringify(row),
                )
                .join('; ');
      if (problem !== undefined) throw new JobFailedError(`audit failed, nothing published: ${problem}`);
      return { rows: rows.length };
    },
  };
}

/**
 * Runs sql/<file> that writes a checked result into the published table; in a `transaction`
 * workflow it commits with the run. Its rows are those its INSERT and MERGE statements wrote (so
 * a publish that deletes the old rows before inserting the new ones counts each row once).
 */
export function publish<P>(file: string, options: SqlTaskOptions<P> = {}): TaskDefinition<P> {
  const params = options.params ?? defaultSqlParams;
  return {
    ...options,
    kind: 'publish',
    describe: `publish sql/${file}`,
    async run(ctx) {
      const results = await runSqlFile(ctx, file, params);
      const written = results.filter((r) => r.command === 'INSERT' || r.command === 'MERGE');
      return { rows: written.reduce((sum, r) => sum + (r.rowCount ?? 0), 0) };
    },
  };
}

export interface LoadTaskOptions<P> extends TaskOptions<P> {
  strict?: boolean;
}

/** Loads a CSV file with the loader (its own transaction and connection). */
export function load<P>(
  file: string | ((ctx: TaskContext<P>) => string),
  options: LoadTaskOptions<P> = {},
): TaskDefinition<P> {
  return {
    ...options,
    kind: 'load',
    describe: typeof file === 'string' ? `load ${file}` : 'load (file chosen at run time)',
    async run(ctx) {
      const path = typeof file === 'string' ? file : file(ctx);
      const summary = await loadFile(ctx.pool, path, { strict: options.strict ?? false, signal: ctx.signal });
      return { rows: summary.loaded, value: summary };
    },
  };
}

/** Any TypeScript function: how business logic becomes a task. Its return value is the task's value. */
export function fn<P, R>(
  describe: string,
  body: (ctx: TaskContext<P>) => Promise<R> | R,
  options: TaskOptions<P> = {},
): TaskDefinition<P> {
  return {
    ...options,
    kind: 'function',
    describe,
    async run(ctx): Promise<TaskResult> {
      const value = await body(ctx);
      return { value, ...(Array.isArray(value) ? { rows: value.length } : {}) };
    },
  };
}
