import { validateDetailed } from 'node-cron';
import type { Pool, PoolClient } from '../lib/db';
import { ConfigError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import * as taskKinds from './tasks';
import type { AuditTaskOptions, LoadTaskOptions, SqlTaskOptions } from './tasks';

/**
 * The workflow DSL: a workflow is a named, scheduled group of tasks with typed parameters and
 * dependencies between the tasks (a DAG). `defineWorkflow` checks the whole definition when it
 * is loaded — a cycle, an unknown dependency, a bad schedule or parameter default fails there,
 * with a message naming the workflow and the tasks — so nothing is found wrong halfway through
 * a run. scheduler/tasks.ts has the built-in task kinds; scheduler/executor.ts runs them.
 */

// ---------------------------------------------------------------- parameters

export interface ParamSpec<T> {
  readonly kind: 'integer' | 'boolean' | 'string' | 'date';
  readonly default: T;
  readonly description: string;
  /** The value of a `key=value` string, or a problem to report. */
  parse(raw: string): { ok: true; value: T } | { ok: false; problem: string };
}

export type ParamSpecs = Record<string, ParamSpec<unknown>>;
export type ParamsOf<S extends ParamSpecs> = { readonly [K in keyof S]: S[K] extends ParamSpec<infer T> ? T : never };

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isIsoDate(text: string): boolean {
  const match = ISO_DATE.exec(text);
  if (!match) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

export const param = {
  integer(options: { default: number; min: number; max: number; description: string }): ParamSpec<number> {
    return {
      kind: 'integer',
      default: options.default,
      description: options.description,
      parse(raw) {
        const value = Number(raw);
        return /^-?\d+$/.test(raw) && value >= options.min && value <= options.max
          ? { ok: true, value }
          : { ok: false, problem: `expected a whole number from ${options.min} to ${options.max}` };
      },
    };
  },
  boolean(options: { default: boolean; description: string }): ParamSpec<boolean> {
    return {
      kind: 'boolean',
      default: options.default,
      description: options.description,
      parse(raw) {
        return raw === 'true' || raw === 'false'
          ? { ok: true, value: raw === 'true' }
          : { ok: false, problem: 'expected true or false' };
      },
    };
  },
  string(options: { default: string; pattern?: RegExp; description: string }): ParamSpec<string> {
    return {
      kind: 'string',
      default: options.default,
      description: options.description,
      parse(raw) {
        return options.pattern === undefined || options.pattern.test(raw)
          ? { ok: true, value: raw }
          : { ok: false, problem: `expected text matching ${String(options.pattern)}` };
      },
    };
  },
  date(options: { default: string; description: string }): ParamSpec<string> {
    return {
      kind: 'date',
      default: options.default,
      description: options.description,
      parse(raw) {
        return isIsoDate(raw) ? { ok: true, value: raw } : { ok: false, problem: 'expected a YYYY-MM-DD date' };
      },
    };
  },
};

// ---------------------------------------------------------------- tasks

export type Trigger = 'schedule' | 'startup' | 'manual' | 'backfill';

/** What a task sees when it runs. */
export interface TaskContext<P = Record<string, unknown>> {
  readonly params: P;
  readonly run: {
    readonly id: string;
    readonly workflow: string;
    readonly trigger: Trigger;
    /** The tick or backfill day this run is for; absent for manual and start-up runs. */
    readonly scheduledFor?: Date;
    /** YYYY-MM-DD (UTC) of scheduledFor, or of the run's start when there is none. */
    readonly logicalDate: string;
  };
  /** The clock of the run: injected in tests, the real one otherwise. */
  now(): Date;
  /** The results of the tasks this one comes after (and of every task finished before it). */
  readonly upstream: Readonly<Record<string, unknown>>;
  /** For a fan-out task: the item of this execution. */
  readonly item?: unknown;
  /** The task's connection: the run's transaction when the workflow has `transaction: true`. */
  readonly db: PoolClient;
  /** True when ctx.db is the run's transaction (`transaction: true`); otherwise each statement commits on its own. */
  readonly sharedTransaction: boolean;
  /** The pool, for work that needs connections of its own (a load). */
  readonly pool: Pool;
  /** Aborted when the task times out or the scheduler shuts down. */
  readonly signal: AbortSignal;
  readonly log: Logger;
}

export interface TaskResult {
  /** Rows written or read, for the logs and task_runs. */
  rows?: number;
  /** What downstream tasks find in ctx.upstream[name]. */
  value?: unknown;
}

/** What a task's condition sees: no connection, the decision is made from what is known. */
export type ConditionContext<P> = Pick<TaskContext<P>, 'params' | 'run' | 'now' | 'upstream'>;

export interface TaskOptions<P> {
  /** Names of the tasks that must succeed before this one starts. */
  after?: readonly string[];
  /** Runs the task only when true; otherwise it is skipped, and so is every task after it (but see runAfterSkipped). */
  when?(ctx: ConditionContext<P>): boolean;
  /**
   * Runs even when a task it comes after was skipped (not when one failed): the join after an
   * if/else pair of `when`s.
   */
  runAfterSkipped?: boolean;
  /** Fan-out: runs the task once per item of the list, one after the other, ctx.item being the item. */
  forEach?(ctx: Omit<TaskContext<P>, 'item'>): readonly unknown[] | Promise<readonly unknown[]>;
  /** Attempts after the first one when the task fails (default 0). */
  retries?: number;
  /** Wait before the first retry, doubled before each next one (default 1000 ms). */
  retryDelayMs?: number;
  /** Cancels the task (and its query, on the server) past this time (default: the workflow's). */
  timeoutMs?: number;
}

export interface TaskDefinition<P = Record<string, unknown>> extends TaskOptions<P> {
  /** sql, audit, publish, load or function: for plans and logs. */
  readonly kind: string;
  /** What it does, in a few words (the file it runs, …): for plans. */
  readonly describe: string;
  run(ctx: TaskContext<P>): Promise<TaskResult>;
}

// ---------------------------------------------------------------- workflows

export interface WorkflowDefinition<S extends ParamSpecs> {
  name: string;
  description: string;
  /**
   * Cron expression: 5 fields, or 6 with seconds first. Absent: the workflow runs only when asked
   * (`npm run job`), never at start or on a tick, for work that needs a person's parameters.
   */
  schedule?: string;
  /** IANA time zone of the schedule (default UTC). */
  timezone?: string;
  params: S;
  /**
   * Runs every task on one connection inside one REPEATABLE READ transaction, committed only if
   * every task succeeded: for build-audit-publish workflows that must publish all or nothing.
   * Tasks then run one at a time.
   */
  transaction?: boolean;
  /** How many independent tasks may run at once (default 2; always 1 with transaction). */
  concurrency?: number;
  /** Default timeout of each task (default 60 s). */
  taskTimeoutMs?: number;
  /**
   * The tasks, by name, made with the task kinds handed in: a function, so that every task's
   * ctx.params is typed from `params` above.
   */
  tasks: (kinds: TaskKinds<ParamsOf<S>>) => Record<string, TaskDefinition<ParamsOf<S>>>;
}

/** The built-in task kinds (scheduler/tasks.ts), typed for one workflow's parameters. */
export interface TaskKinds<P> {
  sql: (file: string, options?: SqlTaskOptions<P>) => TaskDefinition<P>;
  audit: (file: string, options?: AuditTaskOptions<P>) => TaskDefinition<P>;
  publish: (file: string, options?: SqlTaskOptions<P>) => TaskDefinition<P>;
  load: (file: string | ((ctx: TaskContext<P>) => string), options?: LoadTaskOptions<P>) => TaskDefinition<P>;
  fn: <R>(
    describe: string,
    body: (ctx: TaskContext<P>) => Promise<R> | R,
    options?: TaskOptions<P>,
  ) => TaskDefinition<P>;
}

export interface Workflow<P = Record<string, unknown>> {
  readonly name: string;
  readonly description: string;
  /** Absent: runs only when asked. */
  readonly schedule: string | undefined;
  readonly timezone: string;
  readonly params: ParamSpecs;
  readonly transaction: boolean;
  readonly concurrency: number;
  readonly taskTimeoutMs: number;
  readonly tasks: Readonly<Record<string, TaskDefinition<P>>>;
  /** Task names, each after all of its dependencies. */
  readonly order: readonly string[];
}

export class WorkflowDefinitionError extends ConfigError {}

/** Task names in an order where each comes after its dependencies; a cycle is an error naming it. */
function topologicalOrder(name: string, tasks: Record<string, { after?: readonly string[] }>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (task: string, path: string[]): void => {
    if (state.get(task) === 'done') return;
    if (state.get(task) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(task)), task];
      throw new WorkflowDefinitionError(`workflow ${name}: tasks form a cycle: ${cycle.join(' -> ')}`);
    }
    state.set(task, 'visiting');
    for (const dependency of tasks[task]!.after ?? []) visit(dependency, [...path, task]);
    state.set(task, 'done');
    order.push(task);
  };
  for (const task of Object.keys(tasks)) visit(task, []);
  return order;
}

export function defineWorkflow<S extends ParamSpecs>(definition: WorkflowDefinition<S>): Workflow<ParamsOf<S>> {
  const { name } = definition;
  const tasks = definition.tasks(taskKinds as TaskKinds<ParamsOf<S>>);
  const problems: string[] = [];
  if (!/^[a-z][a-z0-9_]*$/.test(name)) problems.push('the name must be lower_snake_case');
  if (definition.schedule !== undefined && !validateDetailed(definition.schedule).valid)
    problems.push(`schedule ${JSON.stringify(definition.schedule)} is not a cron expression`);
  const timezone = definition.timezone ?? 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    problems.push(`timezone ${JSON.stringify(timezone)} is not an IANA time zone`);
  }
  if (Object.keys(tasks).length === 0) problems.push('it has no tasks');
  const concurrency = definition.concurrency ?? 2;
  if (!Number.isInteger(concurrency) || concurrency < 1) problems.push('concurrency must be a whole number >= 1');
  const taskTimeoutMs = definition.taskTimeoutMs ?? 60_000;
  if (!(taskTimeoutMs > 0)) problems.push('taskTimeoutMs must be > 0');
  for (const [task, spec] of Object.entries(tasks)) {
    if (!/^[a-z][a-z0-9_]*$/.test(task)) problems.push(`task name ${JSON.stringify(task)} must be lower_snake_case`);
    const unknown = (spec.after ?? []).filter((dependency) => !(dependency in tasks));
    if (unknown.length > 0)
      problems.push(`task ${task} comes after unknown task${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);
    if ((spec.after ?? []).includes(task)) problems.push(`task ${task} comes after itself`);
    if ((spec.retries ?? 0) < 0 || !Number.isInteger(spec.retries ?? 0))
      problems.push(`task ${task}: retries must be a whole number >= 0`);
    if (spec.timeoutMs !== undefined && !(spec.timeoutMs > 0)) problems.push(`task ${task}: timeoutMs must be > 0`);
    if (spec.retryDelayMs !== undefined && !(spec.retryDelayMs >= 0))
      problems.push(`task ${task}: retryDelayMs must be >= 0`);
  }
  for (const [key, spec] of Object.entries(definition.params)) {
    if (!/^[a-z][a-z0-9_]*$/.test(key)) problems.push(`parameter name ${JSON.stringify(key)} must be lower_snake_case`);
    const check = spec.parse(String(spec.default));
    if (!check.ok) problems.push(`parameter ${key}: default ${JSON.stringify(spec.default)}: ${check.problem}`);
  }
  if (problems.length > 0) throw new WorkflowDefinitionError(`workflow ${name}: ${problems.join('; ')}`);
  const order = topologicalOrder(name, tasks);
  return {
    name,
    description: definition.description,
    schedule: definition.schedule,
    timezone,
    params: definition.params,
    transaction: definition.transaction ?? false,
    concurrency: definition.transaction === true ? 1 : concurrency,
    taskTimeoutMs,
    tasks: tasks as Record<string, TaskDefinition<ParamsOf<S>>>,
    order,
  };
}

/**
 * The parameters of one run: each default, then the deployment's environment
 * (WORKFLOW_<NAME>_<PARAM>, upper case), then `key=value` overrides from the command line.
 * Every problem is reported at once; nothing runs with a bad parameter.
 */
export function resolveParams(
  workflow: Pick<Workflow, 'name' | 'params'>,
  overrides: Record<string, string> = {},
  env: Record<string, string | undefined> = {},
): Record<string, unknown> {
  const problems: string[] = [];
  for (const key of Object.keys(overrides)) {
    if (!Object.hasOwn(workflow.params, key)) {
      problems.push(`unknown parameter ${key} (known: ${Object.keys(workflow.params).join(', ') || 'none'})`);
    }
  }
  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(workflow.params)) {
    const envName = environmentName(workflow.name, key);
    const fromEnv = env[envName];
    const raw = overrides[key] ?? (fromEnv === undefined || fromEnv === '' ? undefined : fromEnv);
    if (raw === undefined) {
      values[key] = spec.default;
      continue;
    }
    const parsed = spec.parse(raw);
    if (parsed.ok) values[key] = parsed.value;
    else problems.push(`${overrides[key] !== undefined ? key : envName}=${raw}: ${parsed.problem}`);
  }
  if (problems.length > 0) throw new ConfigError(`workflow ${workflow.name}: ${problems.join('; ')}`);
  return values;
}

/**
 * Every WORKFLOW_* variable must name a parameter of a workflow: a misspelt one would otherwise
 * be ignored without a word. Checked when the scheduler or the command line starts.
 */
export function checkDeploymentParams(
  workflows: readonly Pick<Workflow, 'name' | 'params'>[],
  env: Record<string, string>,
): void {
  const known = new Set(workflows.flatMap((w) => Object.keys(w.params).map((key) => environmentName(w.name, key))));
  const unknown = Object.keys(env).filter((name) => name.startsWith('WORKFLOW_') && !known.has(name));
  if (unknown.length > 0) {
    throw new ConfigError(
      `unknown workflow parameter variable${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; known: ${[...known].join(', ') || 'none'}`,
    );
  }
}

/** The environment variable that sets a parameter for a deployment. */
export function environmentName(workflow: string, key: string): string {
  return `WORKFLOW_${workflow}_${key}`.toUpperCase();
}

export function findWorkflow<W extends Pick<Workflow, 'name'>>(workflows: readonly W[], name: string): W {
  const workflow = workflows.find((w) => w.name === name);
  if (workflow === undefined) {
    throw new ConfigError(
      `no workflow named ${JSON.stringify(name)}; workflows: ${workflows.map((w) => w.name).join(', ')}`,
    );
  }
  return workflow;
}
