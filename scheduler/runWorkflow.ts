import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { isConnectionError, lease, type Lease, type Pool } from '../lib/db';
import { describeError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { querySqlFile } from '../lib/sqlFiles';
import { executeWorkflow, type TaskOutcome } from './executor';
import type { Trigger, Workflow } from './workflow';

/**
 * One run of a workflow: take its advisory lock (one run at a time across every process), claim
 * the run in job_runs (one run per scheduled tick across replicas), execute the tasks
 * (executor.ts) recording every attempt in task_runs, then record and log how the run ended.
 */

export type RunStatus = 'succeeded' | 'failed' | 'skipped';

export interface RunRequest {
  trigger: Trigger;
  /** The tick (or backfill day) this run is for. */
  scheduledFor?: Date;
  params: Record<string, unknown>;
  /** Aborting cancels the running task on the server; the run is then recorded as failed. */
  signal?: AbortSignal;
  /** Known in advance when the caller logged something about this run already. */
  runId?: string;
  /** The run's clock (tests inject one). */
  now?: () => Date;
}

export interface RunOutcome {
  runId: string;
  status: RunStatus;
  rows?: number;
  durationMs: number;
  error?: string;
  /** What happened to each task (absent when the run was skipped or could not start). */
  tasks?: Record<string, TaskOutcome>;
}

export function newRunId(): string {
  return randomBytes(6).toString('hex');
}

class Skipped extends Error {}

export async function runWorkflow(
  pool: Pool,
  workflow: Workflow,
  request: RunRequest,
  logger: Logger,
): Promise<RunOutcome> {
  const runId = request.runId ?? newRunId();
  const now = request.now ?? (() => new Date());
  const startedMs = Date.now();
  const log = logger.child({ job: workflow.name, run: runId });
  const logicalDate = (request.scheduledFor ?? now()).toISOString().slice(0, 10);
  const context = {
    trigger: request.trigger,
    ...(request.scheduledFor !== undefined ? { scheduled_for: request.scheduledFor.toISOString() } : {}),
  };
  let leased: Lease | undefined;
  let locked = false;
  let claimed = false;
  let broken = false;
  try {
    request.signal?.throwIfAborted();
    leased = await lease(pool);
    const { rows } = await leased.client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock(hashtext($1)) AS locked',
      [`job:${workflow.name}`],
    );
    locked = rows[0]!.locked;
    if (!locked) throw new Skipped('another run of this workflow is still going (advisory lock held)');
    await querySqlFile(leased.client, 'scheduler/abandon_runs.sql', [workflow.name]);
    const claim = await querySqlFile(leased.client, 'scheduler/claim_run.sql', [
      runId,
      workflow.name,
      request.trigger,
      request.scheduledFor ?? null,
      JSON.stringify(request.params),
      hostname(),
      process.pid,
      logicalDate,
    ]);
    if (claim.rowCount === 0) throw new Skipped('this tick was already run by another scheduler');
    claimed = true;
    log.info('', { status: 'started', ...context, params: request.params });

    const outcome = await executeWorkflow({
      pool,
      workflow,
      params: request.params,
      run: {
        id: runId,
        workflow: workflow.name,
        trigger: request.trigger,
        ...(request.scheduledFor !== undefined ? { scheduledFor: request.scheduledFor } : {}),
        logicalDate,
      },
      logger: log,
      now,
      ...(request.signal !== undefined ? { signal: request.signal } : {}),
      // The lock connection idles during the run: history and cancellations go through it, so
      // they never wait for a free connection of the pool.
      control: leased.client,
      record: (attempt) =>
        querySqlFile(leased!.client, 'scheduler/record_task_run.sql', [
          runId,
          attempt.task,
          attempt.item ?? null,
          attempt.attempt,
          attempt.status,
          attempt.rows ?? null,
          attempt.startedAt,
          attempt.durationMs,
          attempt.error ?? null,
        ]).then(() => undefined),
    });
    const durationMs = Date.now() - startedMs;
    await querySqlFile(leased.client, 'scheduler/finish_run.sql', [
      runId,
      outcome.status,
      outcome.rows,
      outcome.error ?? null,
    ]);
    if (outcome.status === 'succeeded') {
      log.info('', { status: 'succeeded', rows: outcome.rows, duration_ms: durationMs, ...context });
    } else {
      log.error('', { status: 'failed', duration_ms: durationMs, ...context, error: outcome.error });
    }
    return {
      runId,
      status: outcome.status,
      rows: outcome.rows,
      durationMs,
      tasks: outcome.tasks,
      ...(outcome.error !== undefined ? { error: outcome.error } : {}),
    };
  } catch (error) {
    const durationMs = Date.now() - startedMs;
    if (error instanceof Skipped) {
      log.warn(error.message, { status: 'skipped', duration_ms: durationMs, ...context });
      return { runId, status: 'skipped', durationMs, error: error.message };
    }
    broken = isConnectionError(error) || leased?.lost === true;
    const message =
      request.signal?.aborted === true ? 'cancelled: the scheduler is shutting down' : describeError(error);
    if (claimed && leased !== undefined && !broken) {
      await querySqlFile(leased.client, 'scheduler/finish_run.sql', [runId, 'failed', null, message]).catch(() => {
        broken = true;
      });
    }
    log.error('', { status: 'failed', duration_ms: durationMs, ...context, error: message });
    return { runId, status: 'failed', durationMs, error: message };
  } finally {
    if (leased !== undefined) {
      if (locked && !broken && !leased.lost) {
        await leased.client.query('SELECT pg_advisory_unlock(hashtext($1))', [`job:${workflow.name}`]).catch(() => {
          broken = true;
        });
      }
      // A connection that died, or whose lock could not be released, must not be reused: closing
      // it releases the lock on the server.
      leased.release(broken);
    }
  }
}
