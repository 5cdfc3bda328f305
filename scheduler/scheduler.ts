import { setTimeout as sleep } from 'node:timers/promises';
import { createTask, type ScheduledTask } from 'node-cron';
import type { Pool } from '../lib/db';
import type { Logger } from '../lib/logger';
import { resolveParams, type JobDefinition } from './jobs';
import { newRunId, runJob, type RunOutcome, type Trigger } from './runJob';

/**
 * Runs each job on its cron schedule, and once at start so its table exists without waiting for
 * the first tick. A tick that finds the previous run of the same job still going in this process
 * is skipped and logged; runJob's advisory lock does the same across processes.
 */
export class Scheduler {
  private readonly tasks: ScheduledTask[] = [];
  private readonly running = new Map<string, Promise<RunOutcome>>();
  private readonly shutdown = new AbortController();
  private stopping = false;

  constructor(
    private readonly pool: Pool,
    private readonly jobs: readonly JobDefinition[],
    private readonly logger: Logger,
    private readonly timezone = 'UTC',
  ) {}

  start(): void {
    for (const job of this.jobs) {
      const task = createTask(job.schedule, (context) => this.tick(job, 'schedule', context.date), {
        name: job.name,
        timezone: this.timezone,
      });
      task.on('execution:missed', (context) => {
        this.logger.warn('tick missed: the process was busy or asleep at that time', {
          job: job.name,
          status: 'skipped',
          scheduled_for: context.date.toISOString(),
        });
      });
      task.start();
      this.tasks.push(task);
      this.logger.info('scheduled', {
        job: job.name,
        schedule: job.schedule,
        timezone: this.timezone,
        next_run: task.getNextRun()?.toISOString(),
      });
      void this.tick(job, 'startup');
    }
  }

  /** Runs the job now unless it is already running here; resolves when the run ends. */
  tick(job: JobDefinition, trigger: Trigger, scheduledFor?: Date): Promise<RunOutcome> {
    const current = this.running.get(job.name);
    if (current !== undefined || this.stopping) {
      const error = this.stopping ? 'the scheduler is shutting down' : 'the previous run is still going';
      const runId = newRunId();
      this.logger.warn(`${error}; this tick is skipped`, {
        job: job.name,
        run: runId,
        status: 'skipped',
        trigger,
        ...(scheduledFor !== undefined ? { scheduled_for: scheduledFor.toISOString() } : {}),
      });
      return Promise.resolve({
        runId,
        status: 'skipped',
        durationMs: 0,
        error,
      });
    }
    const request = {
      trigger,
      params: resolveParams(job),
      signal: this.shutdown.signal,
      // Ticks are claimed per second: replicas whose timers fire a few ms apart claim the same tick.
      ...(scheduledFor !== undefined
        ? {
            scheduledFor: new Date(Math.floor(scheduledFor.getTime() / 1000) * 1000),
          }
        : {}),
    };
    const run = runJob(this.pool, job, request, this.logger).finally(() => this.running.delete(job.name));
    this.running.set(job.name, run);
    return run;
  }

  /**
   * Stops scheduling, lets running jobs finish for up to timeoutMs, then cancels them on the
   * server and waits (briefly) for them to record that.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    for (const task of this.tasks) await task.destroy();
    const runs = [...this.running.values()];
    if (runs.length === 0) return;
    this.logger.info('waiting for running jobs', {
      jobs: [...this.running.keys()].join(','),
      timeout_ms: timeoutMs,
    });
    const finished = Promise.allSettled(runs).then(() => true);
    if (await Promise.race([finished, sleep(timeoutMs, false)])) return;
    this.shutdown.abort();
    await Promise.race([finished, sleep(2000)]);
  }
}
