import { setTimeout as sleep } from 'node:timers/promises';
import { createTask, type ScheduledTask } from 'node-cron';
import type { Pool } from '../lib/db';
import type { Logger } from '../lib/logger';
import { newRunId, runWorkflow, type RunOutcome } from './runWorkflow';
import { checkDeploymentParams, resolveParams, type Trigger, type Workflow } from './workflow';

/**
 * Runs each workflow on its cron schedule, and once at start so its tables exist without waiting
 * for the first tick; a workflow without a schedule runs only when asked (npm run job). A tick
 * that finds the previous run of the same workflow still going in this process is skipped and
 * logged; runWorkflow's advisory lock does the same across processes.
 */
/**
 * Connections the scheduler may need at once: per workflow, its lock connection plus one per
 * task that may run at the same time (one for a transaction workflow), and two to spare.
 */
export function poolSizeFor(workflows: readonly Workflow[]): number {
  return 2 + workflows.reduce((sum, w) => sum + 1 + w.concurrency, 0);
}

export class Scheduler {
  private readonly tasks: ScheduledTask[] = [];
  private readonly running = new Map<string, Promise<RunOutcome>>();
  private readonly shutdown = new AbortController();
  private readonly params: Map<string, Record<string, unknown>>;
  private stopping = false;

  /** Parameters come from the deployment (WORKFLOW_* variables); a bad one fails here, at start. */
  constructor(
    private readonly pool: Pool,
    private readonly workflows: readonly Workflow[],
    private readonly logger: Logger,
    deploymentParams: Record<string, string> = {},
  ) {
    checkDeploymentParams(workflows, deploymentParams);
    this.params = new Map(workflows.map((w) => [w.name, resolveParams(w, {}, deploymentParams)]));
  }

  start(): void {
    for (const workflow of this.workflows) {
      if (workflow.schedule === undefined) continue;
      const task = createTask(workflow.schedule, (context) => this.tick(workflow, 'schedule', context.date), {
        name: workflow.name,
        timezone: workflow.timezone,
      });
      task.on('execution:missed', (context) => {
        this.logger.warn('tick missed: the process was busy or asleep at that time', {
          job: workflow.name,
          status: 'skipped',
          scheduled_for: context.date.toISOString(),
        });
      });
      task.start();
      this.tasks.push(task);
      this.logger.info('scheduled', {
        job: workflow.name,
        schedule: workflow.schedule,
        timezone: workflow.timezone,
        next_run: task.getNextRun()?.toISOString(),
      });
      void this.tick(workflow, 'startup');
    }
  }

  /** Runs the workflow now unless it is already running here; resolves when the run ends. */
  tick(workflow: Workflow, trigger: Trigger, scheduledFor?: Date): Promise<RunOutcome> {
    const current = this.running.get(workflow.name);
    if (current !== undefined || this.stopping) {
      const error = this.stopping ? 'the scheduler is shutting down' : 'the previous run is still going';
      const runId = newRunId();
      this.logger.warn(`${error}; this tick is skipped`, {
        job: workflow.name,
        run: runId,
        status: 'skipped',
        trigger,
        ...(scheduledFor !== undefined ? { scheduled_for: scheduledFor.toISOString() } : {}),
      });
      return Promise.resolve({ runId, status: 'skipped', durationMs: 0, error });
    }
    const request = {
      trigger,
      params: this.params.get(workflow.name) ?? resolveParams(workflow),
      signal: this.shutdown.signal,
      // Ticks are claimed per second: replicas whose timers fire a few ms apart claim the same tick.
      ...(scheduledFor !== undefined
        ? { scheduledFor: new Date(Math.floor(scheduledFor.getTime() / 1000) * 1000) }
        : {}),
    };
    const run = runWorkflow(this.pool, workflow, request, this.logger).finally(() =>
      this.running.delete(workflow.name),
    );
    this.running.set(workflow.name, run);
    return run;
  }

  /**
   * Stops scheduling, lets running workflows finish for up to timeoutMs, then cancels them on
   * the server and waits (briefly) for them to record that.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    for (const task of this.tasks) await task.destroy();
    const runs = [...this.running.values()];
    if (runs.length === 0) return;
    this.logger.info('waiting for running jobs', { jobs: [...this.running.keys()].join(','), timeout_ms: timeoutMs });
    const finished = Promise.allSettled(runs).then(() => true);
    if (await Promise.race([finished, sleep(timeoutMs, false)])) return;
    this.shutdown.abort();
    await Promise.race([finished, sleep(2000)]);
  }
}
