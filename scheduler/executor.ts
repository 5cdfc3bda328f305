import { setTimeout as sleep } from 'node:timers/promises';
import { isConnectionError, lease, type Lease, type Pool } from '../lib/db';
import { describeError, PgErrorCode } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { ConditionContext, TaskContext, TaskDefinition, TaskResult, Workflow } from './workflow';

/**
 * Runs the tasks of one workflow run: each task once the tasks it comes after are settled,
 * independent ones side by side (up to the workflow's concurrency), with its condition,
 * fan-out, timeout and retries. Every attempt is logged and handed to `record` (task_runs).
 * It never throws: the outcome says what happened to each task.
 *
 * A task that times out or is cancelled by a shutdown is stopped for real: its query is
 * cancelled on the server and the executor waits for the task to let go of its connection;
 * a task that does not within GRACE_MS loses the connection (closed), and in a transaction
 * workflow the whole run fails, since its transaction is gone.
 */

export type TaskStatus = 'succeeded' | 'failed' | 'skipped';

export interface TaskOutcome {
  status: TaskStatus;
  rows: number;
  attempts: number;
  value?: unknown;
  /** Why it failed or was skipped. */
  reason?: string;
}

export interface ExecutionOutcome {
  status: 'succeeded' | 'failed';
  tasks: Record<string, TaskOutcome>;
  /**
   * Rows published (publish tasks), or of the last task that reported rows; 0 when a `transaction`
   * workflow failed, since its work was rolled back.
   */
  rows: number;
  error?: string;
}

export interface TaskAttempt {
  task: string;
  item?: string;
  attempt: number;
  status: TaskStatus | 'retried';
  rows?: number;
  startedAt: Date;
  durationMs: number;
  error?: string;
}

interface Queryable {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

export interface ExecuteOptions {
  pool: Pool;
  workflow: Workflow;
  params: Record<string, unknown>;
  run: TaskContext['run'];
  logger: Logger;
  /** The clock tasks see (ctx.now); task_runs and logs keep real times. */
  now?: () => Date;
  /** Aborting cancels the running tasks on the server; the run fails and nothing more starts. */
  signal?: AbortSignal;
  /**
   * A connection of the run's own, idle while the tasks run (runWorkflow's lock connection):
   * cancellations go through it, so they never wait for a free connection of the pool.
   */
  control: Queryable;
  record?: (attempt: TaskAttempt) => Promise<void>;
}

/** How long a stopped task gets to let go of its connection before the connection is closed. */
export const GRACE_MS = 2000;
const CANCELLED = 'cancelled: the scheduler is shutting down';
const CONDITION_FALSE = 'its condition (when) is false';

class Stopped extends Error {}

interface Connection {
  lease: Lease;
  backendPid: number;
}

async function connect(pool: Pool): Promise<Connection> {
  const leased = await lease(pool);
  try {
    const { rows } = await leased.client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return { lease: leased, backendPid: rows[0]!.pid };
  } catch (error) {
    leased.release(true);
    throw error;
  }
}

function itemLabel(item: unknown): string | undefined {
  if (item === undefined) return undefined;
  return typeof item === 'string' || typeof item === 'number' ? String(item) : JSON.stringify(item);
}

export async function executeWorkflow(options: ExecuteOptions): Promise<ExecutionOutcome> {
  const { pool, workflow, logger } = options;
  const now = options.now ?? (() => new Date());
  const outcomes: Record<string, TaskOutcome> = {};
  const upstream: Record<string, unknown> = {};
  let shared: Connection | undefined;
  // Set when nothing more can run: the run's transaction is gone, or it could not start.
  let fatal: string | undefined;

  const record = async (attempt: TaskAttempt): Promise<void> => {
    const fields = {
      task: attempt.task,
      status: attempt.status,
      ...(attempt.item !== undefined ? { item: attempt.item } : {}),
      ...(attempt.rows !== undefined ? { rows: attempt.rows } : {}),
      duration_ms: attempt.durationMs,
      attempt: attempt.attempt,
      ...(attempt.error !== undefined ? { error: attempt.error } : {}),
    };
    // A false condition is a branch taken, not a problem: only the other skips are warnings.
    const warning = attempt.status === 'retried' || (attempt.status === 'skipped' && attempt.error !== CONDITION_FALSE);
    if (attempt.status === 'failed') logger.error('', fields);
    else if (warning) logger.warn('', fields);
    else logger.info('', fields);
    await options.record?.(attempt).catch(() => undefined);
  };

  const conditionContext = (): ConditionContext<Record<string, unknown>> => ({
    params: options.params,
    run: options.run,
    now,
    upstream,
  });

  /**
   * One attempt of `body` on a connection, bounded by timeoutMs and by the shutdown signal.
   * Inside the run's transaction it runs in a savepoint, rolled back if it fails.
   */
  const attempt = async (
    name: string,
    connection: Connection,
    timeoutMs: number,
    item: unknown,
    body: (ctx: TaskContext) => Promise<TaskResult>,
  ): Promise<TaskResult> => {
    const client = connection.lease.client;
    const inRunTransaction = connection === shared;
    const taskSignal = new AbortController();
    // Queries of the task are also bounded on the server, in case the process is stuck. SET, not
    // SELECT set_config(): a utility statement takes no snapshot, so the run's REPEATABLE READ
    // snapshot starts at its first task's own first query, which may lock tables before it.
    await client.query(`SET ${inRunTransaction ? 'LOCAL ' : ''}statement_timeout = ${Math.trunc(timeoutMs)}`);
    if (inRunTransaction) await client.query('SAVEPOINT task_attempt');
    const ctx: TaskContext = {
      ...conditionContext(),
      ...(item !== undefined ? { item } : {}),
      db: client,
      pool,
      sharedTransaction: inRunTransaction,
      signal: taskSignal.signal,
      log: logger.child({ task: name }),
    };
    const work = body(ctx);
    let timer: NodeJS.Timeout | undefined;
    let onShutdown: (() => void) | undefined;
    const stop = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Stopped(`timed out after ${timeoutMs} ms`)), timeoutMs);
      onShutdown = () => reject(new Stopped(CANCELLED));
      if (options.signal?.aborted === true) onShutdown();
      else options.signal?.addEventListener('abort', onShutdown, { once: true });
    });
    try {
      return await Promise.race([work, stop]);
    } catch (error) {
      let reason = error;
      if (error instanceof Stopped) {
        taskSignal.abort(error);
        await options.control.query('SELECT pg_cancel_backend($1)', [connection.backendPid]).catch(() => undefined);
        const settled = await Promise.race([
          work.then(
            () => true,
            () => true,
          ),
          sleep(GRACE_MS, false),
        ]);
        if (!settled) {
          // The task did not stop: its connection cannot be trusted with anything else.
          connection.lease.release(true);
          if (inRunTransaction)
            fatal = `${name} did not stop within ${GRACE_MS} ms of being ${error.message}; the run's transaction is closed`;
          throw Object.assign(error, { connectionClosed: true });
        }
      } else if ((error as { code?: unknown }).code === PgErrorCode.queryCanceled) {
        reason = new Stopped(`timed out after ${timeoutMs} ms`); // statement_timeout, on the server
      }
      if (inRunTransaction) {
        if (connection.lease.lost || isConnectionError(error)) {
          fatal = `the connection of the run was lost (${describeError(error)}); its transaction is gone`;
        } else {
          await client.query('ROLLBACK TO SAVEPOINT task_attempt').catch((rollbackError: unknown) => {
            fatal = `could not undo ${name} (${describeError(rollbackError)}); the run's transaction is closed`;
          });
        }
      }
      throw reason;
    } finally {
      clearTimeout(timer);
      if (onShutdown !== undefined) options.signal?.removeEventListener('abort', onShutdown);
      if (inRunTransaction && fatal === undefined)
        await client.query('RELEASE SAVEPOINT task_attempt').catch(() => undefined);
    }
  };

  /** Runs work on the run's shared connection, or on a connection of its own, released after. */
  const onConnection = async <T>(work: (connection: Connection) => Promise<T>): Promise<T> => {
    if (shared !== undefined) return work(shared);
    const own = await connect(pool);
    let discard = false;
    try {
      const result = await work(own);
      await own.lease.client.query('RESET statement_timeout');
      return result;
    } catch (error) {
      discard = (error as { connectionClosed?: boolean }).connectionClosed === true || isConnectionError(error);
      if (!discard) await own.lease.client.query('RESET statement_timeout').catch(() => (discard = true));
      throw error;
    } finally {
      // A task that would not stop had its connection closed already; a second release is a no-op.
      own.lease.release(discard);
    }
  };

  /** All executions (items) and attempts of one task. */
  const runTask = async (name: string, task: TaskDefinition): Promise<TaskOutcome> => {
    const timeoutMs = task.timeoutMs ?? workflow.taskTimeoutMs;
    let items: readonly unknown[] = [undefined];
    const forEach = task.forEach;
    if (forEach !== undefined) {
      const started = Date.now();
      const startedAt = new Date();
      try {
        const listed = await onConnection((connection) =>
          attempt(name, connection, timeoutMs, undefined, async (ctx) => ({ value: await forEach(ctx) })),
        );
        items = listed.value as readonly unknown[];
      } catch (error) {
        const reason = `forEach: ${describeError(error)}`;
        await record({
          task: name,
          attempt: 1,
          status: 'failed',
          startedAt,
          durationMs: Date.now() - started,
          error: reason,
        });
        return { status: 'failed', rows: 0, attempts: 1, reason };
      }
    }
    let rows = 0;
    let attempts = 0;
    const values: unknown[] = [];
    for (const item of items) {
      const label = itemLabel(item);
      const maxAttempts = (task.retries ?? 0) + 1;
      for (let n = 1; ; n += 1) {
        const startedAt = new Date();
        const started = Date.now();
        const fields = { task: name, ...(label !== undefined ? { item: label } : {}), attempt: n, startedAt };
        const refusal = fatal ?? (options.signal?.aborted === true ? CANCELLED : undefined);
        if (refusal !== undefined) {
          await record({ ...fields, status: 'failed', durationMs: 0, error: refusal });
          return { status: 'failed', rows, attempts, reason: refusal };
        }
        attempts += 1;
        try {
          const result = await onConnection((connection) =>
            attempt(name, connection, timeoutMs, item, (ctx) => task.run(ctx)),
          );
          rows += result.rows ?? 0;
          values.push(result.value);
          await record({ ...fields, status: 'succeeded', rows: result.rows ?? 0, durationMs: Date.now() - started });
          break;
        } catch (error) {
          const reason = describeError(error);
          const retry = n < maxAttempts && fatal === undefined && options.signal?.aborted !== true;
          await record({
            ...fields,
            status: retry ? 'retried' : 'failed',
            durationMs: Date.now() - started,
            error: reason,
          });
          if (!retry) return { status: 'failed', rows, attempts, reason };
          const delayMs = (task.retryDelayMs ?? 1000) * 2 ** (n - 1);
          // A shutdown during the wait ends it; the next turn of the loop records the cancellation.
          await sleep(delayMs, undefined, options.signal === undefined ? {} : { signal: options.signal }).catch(
            () => undefined,
          );
        }
      }
    }
    return { status: 'succeeded', rows, attempts, value: forEach === undefined ? values[0] : values };
  };

  const skip = async (name: string, reason: string): Promise<void> => {
    outcomes[name] = { status: 'skipped', rows: 0, attempts: 0, reason };
    await record({ task: name, attempt: 0, status: 'skipped', startedAt: new Date(), durationMs: 0, error: reason });
  };

  /** Whether a task may start, given how the tasks it comes after ended: a reason to skip it, or undefined. */
  const blockedBy = (task: TaskDefinition): string | undefined => {
    for (const dependency of task.after ?? []) {
      const status = outcomes[dependency]!.status;
      if (status === 'failed') return `${dependency} failed`;
      if (status === 'skipped' && task.runAfterSkipped !== true) return `${dependency} was skipped`;
    }
    return undefined;
  };

  const running = new Map<string, Promise<void>>();
  try {
    if (workflow.transaction) {
      try {
        shared = await connect(pool);
        await shared.lease.client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      } catch (error) {
        fatal = `could not open the run's transaction: ${describeError(error)}`;
      }
    }
    // The DAG walk: start every task whose dependencies are settled, up to `concurrency` at once.
    const waiting = new Set(workflow.order);
    while (waiting.size > 0 || running.size > 0) {
      for (const name of [...waiting]) {
        const task = workflow.tasks[name]!;
        if (!(task.after ?? []).every((d) => outcomes[d] !== undefined)) continue;
        if (running.size >= workflow.concurrency) break;
        waiting.delete(name);
        const blocked = blockedBy(task) ?? fatal ?? (options.signal?.aborted === true ? CANCELLED : undefined);
        if (blocked !== undefined) {
          await skip(name, blocked);
          continue;
        }
        if (task.when !== undefined) {
          let go: boolean;
          try {
            go = task.when(conditionContext());
          } catch (error) {
            const reason = `when: ${describeError(error)}`;
            outcomes[name] = { status: 'failed', rows: 0, attempts: 0, reason };
            await record({
              task: name,
              attempt: 0,
              status: 'failed',
              startedAt: new Date(),
              durationMs: 0,
              error: reason,
            });
            continue;
          }
          if (!go) {
            await skip(name, CONDITION_FALSE);
            continue;
          }
        }
        running.set(
          name,
          runTask(name, task)
            .catch((error: unknown): TaskOutcome => ({
              status: 'failed',
              rows: 0,
              attempts: 1,
              reason: describeError(error),
            }))
            .then((outcome) => {
              outcomes[name] = outcome;
              if (outcome.status === 'succeeded') upstream[name] = outcome.value;
              running.delete(name);
            }),
        );
      }
      if (running.size > 0) await Promise.race(running.values());
    }
  } finally {
    await Promise.allSettled(running.values());
  }

  const failed = workflow.order.filter((name) => outcomes[name]?.status === 'failed');
  const cancelled =
    options.signal?.aborted === true && workflow.order.some((name) => outcomes[name]?.status !== 'succeeded');
  let error =
    failed.length > 0
      ? failed.map((name) => `${name}: ${outcomes[name]!.reason}`).join('; ')
      : cancelled
        ? CANCELLED
        : fatal;
  if (shared !== undefined) {
    let discard = fatal !== undefined;
    try {
      if (!discard) await shared.lease.client.query(error === undefined ? 'COMMIT' : 'ROLLBACK');
    } catch (commitError) {
      error ??= `commit failed: ${describeError(commitError)}`;
      discard = true;
    } finally {
      // Closing a connection whose transaction is still open rolls it back on the server.
      shared.lease.release(discard);
    }
  }
  return {
    status: error === undefined ? 'succeeded' : 'failed',
    tasks: outcomes,
    // A transaction workflow that failed was rolled back: whatever its tasks wrote is gone.
    rows: shared !== undefined && error !== undefined ? 0 : runRows(workflow, outcomes),
    ...(error !== undefined ? { error } : {}),
  };
}

/** The rows its publish tasks wrote, or else those of the last task that reported rows. */
function runRows(workflow: Workflow, outcomes: Record<string, TaskOutcome>): number {
  const publishRows = workflow.order
    .filter((name) => workflow.tasks[name]!.kind === 'publish')
    .map((name) => outcomes[name]?.rows ?? 0);
  if (publishRows.length > 0) return publishRows.reduce((a, b) => a + b, 0);
  const lastWithRows = [...workflow.order].reverse().find((name) => (outcomes[name]?.rows ?? 0) > 0);
  return lastWithRows !== undefined ? outcomes[lastWithRows]!.rows : 0;
}
