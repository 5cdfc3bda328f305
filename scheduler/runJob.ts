import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { inTransaction, isConnectionError, lease, type Lease, type Pool, type PoolClient } from '../lib/db';
import { describeError, JobFailedError, PgErrorCode } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { querySqlFile } from '../lib/sqlFiles';
import type { JobDefinition, JobParams } from './jobs';

/**
 * One run of a job: take the job's advisory lock (one run at a time across every process),
 * claim the run in job_runs (one run per scheduled tick across replicas), then build, audit and
 * publish in one REPEATABLE READ transaction, and record and log how it ended.
 */

export type Trigger = 'schedule' | 'startup' | 'manual';
export type RunStatus = 'succeeded' | 'failed' | 'skipped';

export interface RunRequest {
  trigger: Trigger;
  /** The tick this run is for; only scheduled runs have one. */
  scheduledFor?: Date;
  params: JobParams;
  /** Aborting cancels the running statement on the server; the run is then recorded as failed. */
  signal?: AbortSignal;
  /** Known in advance when the caller logged something about this run already. */
  runId?: string;
}

export interface RunOutcome {
  runId: string;
  status: RunStatus;
  rows?: number;
  durationMs: number;
  error?: string;
}

export function newRunId(): string {
  return randomBytes(6).toString('hex');
}

class Skipped extends Error {}

async function rebuild(client: PoolClient, job: JobDefinition, params: JobParams): Promise<number> {
  return inTransaction(
    client,
    async () => {
      await client.query("SELECT set_config('statement_timeout', $1, true)", [String(job.timeoutMs)]);
      for (const [key, value] of Object.entries(params)) {
        await client.query('SELECT set_config($1, $2, true)', [`job.${key}`, String(value)]);
      }
      await querySqlFile(client, job.sql.build);
      const problems = await querySqlFile<{ check: string; problem: string }>(client, job.sql.audit);
      if (problems.rows.length > 0) {
        const list = problems.rows.map((p) => `${p.check}: ${p.problem}`).join('; ');
        throw new JobFailedError(`audit failed, previous version kept: ${list}`);
      }
      const results = [await querySqlFile(client, job.sql.publish)].flat();
      return results.find((r) => r.command === 'INSERT')?.rowCount ?? 0;
    },
    // One snapshot for build and audit: a load committing in between cannot make them disagree.
    'REPEATABLE READ',
  );
}

function explainFailure(error: unknown, job: JobDefinition, signal?: AbortSignal): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === PgErrorCode.queryCanceled) {
    return signal?.aborted === true
      ? 'cancelled: the scheduler is shutting down'
      : `timed out: a statement ran longer than ${job.timeoutMs} ms (JOB_TIMEOUT)`;
  }
  return describeError(error);
}

export async function runJob(pool: Pool, job: JobDefinition, request: RunRequest, logger: Logger): Promise<RunOutcome> {
  const runId = request.runId ?? newRunId();
  const startedMs = Date.now();
  const log = logger.child({ job: job.name, run: runId });
  const context = {
    trigger: request.trigger,
    ...(request.scheduledFor !== undefined ? { scheduled_for: request.scheduledFor.toISOString() } : {}),
  };
  let leased: Lease | undefined;
  let backendPid: number | undefined;
  let locked = false;
  let claimed = false;
  let broken = false;
  const cancel = (): void => {
    if (backendPid !== undefined) {
      pool.query('SELECT pg_cancel_backend($1)', [backendPid]).catch(() => undefined);
    }
  };
  request.signal?.addEventListener('abort', cancel, { once: true });
  try {
    leased = await lease(pool);
    const client = leased.client;
    const lock = await client.query<{ locked: boolean; pid: number }>(
      'SELECT pg_try_advisory_lock(hashtext($1)) AS locked, pg_backend_pid() AS pid',
      [`job:${job.name}`],
    );
    ({ locked, pid: backendPid } = lock.rows[0]!);
    if (!locked) throw new Skipped('another run of this job is still going (advisory lock held)');
    await querySqlFile(client, 'scheduler/abandon_runs.sql', [job.name]);
    const claim = await querySqlFile(client, 'scheduler/claim_run.sql', [
      runId,
      job.name,
      request.trigger,
      request.scheduledFor ?? null,
      JSON.stringify(request.params),
      hostname(),
      process.pid,
    ]);
    if (claim.rowCount === 0) throw new Skipped('this tick was already run by another scheduler');
    claimed = true;
    log.info('', { status: 'started', ...context, params: request.params });
    if (request.signal?.aborted === true)
      throw Object.assign(new Error('aborted'), {
        code: PgErrorCode.queryCanceled,
      });

    const rows = await rebuild(client, job, request.params);
    const durationMs = Date.now() - startedMs;
    await querySqlFile(client, 'scheduler/finish_run.sql', [runId, 'succeeded', rows, null]);
    log.info('', {
      status: 'succeeded',
      rows,
      duration_ms: durationMs,
      ...context,
    });
    return { runId, status: 'succeeded', rows, durationMs };
  } catch (error) {
    const durationMs = Date.now() - startedMs;
    if (error instanceof Skipped) {
      log.warn(error.message, {
        status: 'skipped',
        duration_ms: durationMs,
        ...context,
      });
      return { runId, status: 'skipped', durationMs, error: error.message };
    }
    broken = isConnectionError(error) || leased?.lost === true;
    const message = explainFailure(error, job, request.signal);
    if (claimed && leased !== undefined && !broken) {
      await querySqlFile(leased.client, 'scheduler/finish_run.sql', [runId, 'failed', null, message]).catch(() => {
        broken = true;
      });
    }
    log.error('', {
      status: 'failed',
      duration_ms: durationMs,
      ...context,
      error: message,
    });
    return { runId, status: 'failed', durationMs, error: message };
  } finally {
    request.signal?.removeEventListener('abort', cancel);
    if (leased !== undefined) {
      if (locked && !broken && !leased.lost) {
        await leased.client.query('SELECT pg_advisory_unlock(hashtext($1))', [`job:${job.name}`]).catch(() => {
          broken = true;
        });
      }
      // A connection that died, or whose lock could not be released, must not be reused: closing
      // it releases the lock on the server.
      leased.release(broken);
    }
  }
}
