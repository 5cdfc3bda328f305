import { setTimeout as sleep } from 'node:timers/promises';
import { isConnectionError, lease, type Lease, type Pool } from '../lib/db';
import { describeError, PgErrorCode } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { ConditionContext, TaskContext, TaskDefinition, Workflow } from './workflow';

/**
 * Runs the tasks of one workflow run: each task once all the tasks it comes after succeeded,
 * independent ones side by side (up to the workflow's concurrency), with its condition,
 * fan-out, timeout and retries. Every attempt is logged and handed to `record` (task_runs).
 * It never throws: the outcome says what happened to each task.
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
  /** Rows published (publish tasks), or of the last task that reported rows. */
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

export interface ExecuteOptions {
  pool: Pool;
  workflow: Workflow;
  params: Record<string, unknown>;
  run: TaskContext['run'];
  logger: Logger;
  /** The clock tasks see (ctx.now); task_runs and logs keep real times. */
  now?: () => Date;
  /** Aborting cancels the running task on the server and skips the rest. */
  signal?: AbortSignal;
  record?: (attempt: TaskAttempt) => Promise<void>;
}

class TaskTimeout extends Error {}

/** A connection for a task: the run's shared one in a transaction workflow, its own otherwise. */
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
  let setupError: string | undefined;
  // The run's shared connection died: nothing more can happen in its transaction.
  let connectionLost = false;

  if (workflow.transaction) {
    try {
      shared = await connect(pool);
      await shared.lease.client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    } catch (error) {
      setupError = describeError(error);
      shared?.lease.release(true);
      shared = undefined;
    }
  }

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
    if (attempt.status === 'failed') logger.error('', fields);
    else if (attempt.status === 'retried' || attempt.status === 'skipped') logger.warn('', fields);
    else logger.info('', fields);
    await options.record?.(attempt).catch(() => undefined);
  };

  const skip = async (name: string, reason: string): Promise<void> => {
    outcomes[name] = { status: 'skipped', rows: 0, attempts: 0, reason };
    await record({ task: name, attempt: 0, status: 'skipped', startedAt: new Date(), durationMs: 0, error: reason });
  };

  const conditionContext = (): ConditionContext<Record<string, unknown>> => ({
    params: options.params,
    run: options.run,
    now,
    upstream,
  });
  const context = (name: string, connection: Connection, signal: AbortSignal, item?: unknown): TaskContext => ({
    ...conditionContext(),
    ...(item !== undefined ? { item } : {}),
    db: connection.lease.client,
    pool,
    signal,
    log: logger.child({ task: name }),
  });

  /** The shared connection of a transaction workflow, or one of its own for the duration of work. */
  const withConnection = async <T>(work: (connection: Connection) => Promise<T>): Promise<T> => {
    if (shared !== undefined) return work(shared);
    const own = await connect(pool);
    let broken = false;
    try {
      return await work(own);
    } catch (error) {
      broken = isConnectionError(error);
      throw error;
    } finally {
      own.lease.release(broken);
    }
  };

  /** One attempt of one execution (one item) of a task, within its timeout. */
  const attempt = async (
    name: string,
    task: TaskDefinition,
    item: unknown,
  ): Promise<{ rows: number; value: unknown }> =>
    withConnection(async (connection) => {
      const timeoutMs = task.timeoutMs ?? workflow.taskTimeoutMs;
      const taskSignal = new AbortController();
      const cancelOnServer = (): void => {
        pool.query('SELECT pg_cancel_backend($1)', [connection.backendPid]).catch(() => undefined);
      };
      const onShutdown = (): void => {
        taskSignal.abort(options.signal?.reason);
        cancelOnServer();
      };
      options.signal?.addEventListener('abort', onShutdown, { once: true });
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          taskSignal.abort(new TaskTimeout());
          cancelOnServer();
          reject(new TaskTimeout(`timed out after ${timeoutMs} ms`));
        }, timeoutMs);
      });
      const inRunTransaction = connection === shared;
      try {
        if (inRunTransaction) await connection.lease.client.query('SAVEPOINT task_attempt');
        const result = await Promise.race([task.run(context(name, connection, taskSignal.signal, item)), timedOut]);
        if (inRunTransaction) await connection.lease.client.query('RELEASE SAVEPOINT task_attempt');
        return { rows: result.rows ?? 0, value: result.value };
      } catch (error) {
        // Undo the attempt's work inside the run's transaction, so that a retry starts clean.
        if (inRunTransaction) {
          await connection.lease.client.query('ROLLBACK TO SAVEPOINT task_attempt').catch(() => {
            connectionLost = true;
          });
          if (connection.lease.lost || isConnectionError(error)) connectionLost = true;
        }
        if ((error as { code?: unknown }).code === PgErrorCode.queryCanceled || error instanceof TaskTimeout) {
          if (taskSignal.signal.reason instanceof TaskTimeout) throw new TaskTimeout(`timed out after ${timeoutMs} ms`);
          if (options.signal?.aborted === true) throw new Error('cancelled: the scheduler is shutting down');
        }
        throw error;
      } finally {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onShutdown);
      }
    });

  /** All executions and attempts of one task; resolves with its outcome. */
  const runTask = async (name: string, task: TaskDefinition): Promise<TaskOutcome> => {
    let items: readonly unknown[] = [undefined];
    const forEach = task.forEach;
    if (forEach !== undefined) {
      items = await withConnection(async (connection) =>
        forEach(context(name, connection, new AbortController().signal)),
      );
    }
    let rows = 0;
    let attempts = 0;
    const values: unknown[] = [];
    for (const item of items) {
      const maxAttempts = (task.retries ?? 0) + 1;
      for (let n = 1; ; n += 1) {
        attempts += 1;
        const startedAt = new Date();
        const started = Date.now();
        const label = itemLabel(item);
        try {
          if (setupError !== undefined) throw new Error(setupError);
          if (connectionLost) throw new Error('the connection of the run was lost; its transaction is gone');
          const result = await attempt(name, task, item);
          rows += result.rows;
          values.push(result.value);
          await record({
            task: name,
            ...(label !== undefined ? { item: label } : {}),
            attempt: n,
            status: 'succeeded',
            rows: result.rows,
            startedAt,
            durationMs: Date.now() - started,
          });
          break;
        } catch (error) {
          const message = describeError(error);
          const stopping = options.signal?.aborted === true || setupError !== undefined || connectionLost;
          const retry = n < maxAttempts && !stopping;
          await record({
            task: name,
            ...(label !== undefined ? { item: label } : {}),
            attempt: n,
            status: retry ? 'retried' : 'failed',
            startedAt,
            durationMs: Date.now() - started,
            error: message,
          });
          if (!retry) return { status: 'failed', rows, attempts, reason: message };
          const delayMs = (task.retryDelayMs ?? 1000) * 2 ** (n - 1);
          await sleep(delayMs, undefined, options.signal === undefined ? {} : { signal: options.signal }).catch(
            () => undefined,
          );
        }
      }
    }
    return { status: 'succeeded', rows, attempts, value: task.forEach === undefined ? values[0] : values };
  };

  // The DAG walk: start every task whose dependencies are settled, up to `concurrency` at once.
  const running = new Map<string, Promise<void>>();
  const waiting = new Set(workflow.order);
  while (waiting.size > 0 || running.size > 0) {
    for (const name of [...waiting]) {
      const task = workflow.tasks[name]!;
      const dependencies = task.after ?? [];
      if (!dependencies.every((d) => outcomes[d] !== undefined)) continue;
      if (running.size >= workflow.concurrency) break;
      waiting.delete(name);
      const blocked = dependencies.find((d) => outcomes[d]!.status !== 'succeeded');
      if (blocked !== undefined) {
        await skip(name, `${blocked} ${outcomes[blocked]!.status === 'failed' ? 'failed' : 'was skipped'}`);
        continue;
      }
      if (options.signal?.aborted === true) {
        await skip(name, 'the scheduler is shutting down');
        continue;
      }
      if (task.when !== undefined) {
        let go: boolean;
        try {
          go = task.when(conditionContext());
        } catch (error) {
          outcomes[name] = { status: 'failed', rows: 0, attempts: 0, reason: `when: ${describeError(error)}` };
          await record({
            task: name,
            attempt: 0,
            status: 'failed',
            startedAt: new Date(),
            durationMs: 0,
            error: outcomes[name].reason!,
          });
          continue;
        }
        if (!go) {
          await skip(name, 'its condition (when) is false');
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

  const failed = workflow.order.filter((name) => outcomes[name]!.status === 'failed');
  let error = failed.length > 0 ? failed.map((name) => `${name}: ${outcomes[name]!.reason}`).join('; ') : undefined;
  if (shared !== undefined) {
    let discard = connectionLost;
    try {
      if (!connectionLost) await shared.lease.client.query(failed.length === 0 ? 'COMMIT' : 'ROLLBACK');
    } catch (commitError) {
      error ??= `commit failed: ${describeError(commitError)}`;
      discard = true;
    } finally {
      // Closing a connection whose transaction is still open rolls it back on the server.
      shared.lease.release(discard);
    }
  }
  const publishRows = workflow.order
    .filter((name) => workflow.tasks[name]!.kind === 'publish')
    .map((name) => outcomes[name]!.rows);
  const lastWithRows = [...workflow.order].reverse().find((name) => outcomes[name]!.rows > 0);
  return {
    status: error === undefined ? 'succeeded' : 'failed',
    tasks: outcomes,
    rows:
      publishRows.length > 0
        ? publishRows.reduce((a, b) => a + b, 0)
        : lastWithRows !== undefined
          ? outcomes[lastWithRows]!.rows
          : 0,
    ...(error !== undefined ? { error } : {}),
  };
}
