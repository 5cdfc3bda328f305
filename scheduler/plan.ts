import type { ConditionContext, Workflow } from './workflow';

/**
 * The plan of a run, touching nothing: the tasks in the order they can run, what each does and
 * waits for, and whether its condition skips it. A condition that reads upstream results can
 * only be decided during the run, and says so.
 */

class NeedsRunTime extends Error {}

export function planWorkflow(
  workflow: Workflow,
  params: Record<string, unknown>,
  run: ConditionContext<unknown>['run'],
  now: () => Date = () => new Date(),
): string[] {
  const upstream = new Proxy(
    {},
    {
      get() {
        throw new NeedsRunTime();
      },
    },
  );
  const lines = [
    `workflow ${workflow.name}: ${workflow.description}`,
    `  schedule: ${workflow.schedule === undefined ? 'none, runs only when asked' : `${workflow.schedule} (${workflow.timezone})`}${workflow.transaction ? '; all tasks in one transaction' : `; up to ${workflow.concurrency} tasks at once`}`,
    `  parameters: ${
      Object.entries(params)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(', ') || 'none'
    }`,
    `  logical date: ${run.logicalDate}`,
    '  tasks, in order:',
  ];
  const skipped = new Set<string>();
  workflow.order.forEach((name, index) => {
    const task = workflow.tasks[name]!;
    let verdict = 'runs';
    const blocked = task.runAfterSkipped === true ? undefined : (task.after ?? []).find((d) => skipped.has(d));
    if (blocked !== undefined) {
      verdict = `SKIPPED (it comes after ${blocked}, which is skipped)`;
      skipped.add(name);
    } else if (task.when !== undefined) {
      try {
        if (task.when({ params, run, now, upstream })) {
          verdict = 'runs (its condition is true)';
        } else {
          verdict = 'SKIPPED (its condition is false)';
          skipped.add(name);
        }
      } catch (error) {
        verdict =
          error instanceof NeedsRunTime
            ? 'runs if its condition, decided at run time, is true'
            : `condition fails: ${String(error)}`;
      }
    }
    const details = [
      task.after !== undefined && task.after.length > 0 ? `after ${task.after.join(', ')}` : undefined,
      task.forEach !== undefined ? 'once per item of a list made at run time' : undefined,
      (task.retries ?? 0) > 0 ? `${task.retries} retries` : undefined,
      `timeout ${task.timeoutMs ?? workflow.taskTimeoutMs} ms`,
    ].filter((d) => d !== undefined);
    lines.push(`  ${index + 1}. ${name} — ${task.describe} [${details.join('; ')}]: ${verdict}`);
  });
  return lines;
}
