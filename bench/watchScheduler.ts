import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { projectRoot } from '../lib/sqlFiles';
import { copyFileIntoLoans, queryBenchSql } from './benchSql';
import { commandEnv, JOB } from './commands';
import { PROJECT_LOANS_FILE } from './generateData';
import { clockTicksPerSecond, cpuTicks, lastLine, readStatusBytes, startProcess, stopProcess } from './measureProcess';
import type { BenchDatabase } from './postgres';
import type { BenchContext, SchedulerProcess, SchedulerResult } from './results';

/**
 * Item 6: two schedulers (`node dist/scheduler/main.js`) at once, each on its own small database
 * holding data/loans.csv. One idles on a schedule that cannot fire during the watch; the other
 * runs every second. Both are sampled once a second for resident memory and CPU time; the busy
 * one's runs say, from job_runs, how late each started after its scheduled second.
 */

const EVERY_SECOND = '* * * * * *';

/** Once a year, about six months from now: it cannot fire during a watch of minutes. */
export function scheduleThatDoesNotFire(now = new Date()): string {
  return `0 0 1 ${((now.getUTCMonth() + 6) % 12) + 1} *`;
}

interface Watched {
  schedule: string;
  db: BenchDatabase;
  child: ChildProcess;
  cronLog: string;
  output: string[];
  rssBytes: number[];
}

async function startScheduler(ctx: BenchContext, label: string, schedule: string, logDir: string): Promise<Watched> {
  const db = await ctx.server.createDatabase(label);
  await copyFileIntoLoans(db.pool, PROJECT_LOANS_FILE);
  const cronLog = path.join(logDir, `${label}.cron.log`);
  const child = startProcess(process.execPath, [path.join('dist', 'scheduler', 'main.js')], {
    env: commandEnv(db, { CRON_SCHEDULE: schedule, CRON_LOG: cronLog }),
    cwd: projectRoot,
  });
  const output: string[] = [];
  const keep = (chunk: Buffer): void => {
    output.push(chunk.toString());
    output.splice(0, Math.max(0, output.length - 50));
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { schedule, db, child, cronLog, output, rssBytes: [] };
}

/** Resolves once the run the scheduler makes at start has finished, so that the watch measures it idle. */
async function waitForStartupRun(watched: Watched, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (watched.child.exitCode !== null) {
      throw new Error(
        `the scheduler (${watched.schedule}) exited with ${watched.child.exitCode}: ${lastLine(watched.output.join(''))}`,
      );
    }
    const { rows } = await queryBenchSql<{ trigger: string; status: string }>(watched.db.pool, 'run_counts.sql', [JOB]);
    if (rows.some((r) => r.trigger === 'startup' && r.status !== 'running')) return;
    if (Date.now() > deadline)
      throw new Error(`the scheduler (${watched.schedule}) made no start-up run within ${timeoutMs} ms`);
    await sleep(200);
  }
}

async function stopScheduler(watched: Watched): Promise<void> {
  await stopProcess(watched.child);
}

/** Lines of a text cron.log that match, logged within [from, to). */
function countLogLines(file: string, pattern: RegExp, from: Date, to: Date): number {
  if (!existsSync(file)) return 0;
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => {
      const at = Date.parse(line.split(' ')[0] ?? '');
      return pattern.test(line) && at >= from.getTime() && at < to.getTime();
    }).length;
}

export async function watchScheduler(ctx: BenchContext, logDir: string): Promise<SchedulerResult> {
  const seconds = ctx.settings.schedulerSeconds;
  mkdirSync(logDir, { recursive: true });
  const idle = await startScheduler(ctx, 'scheduler_idle', scheduleThatDoesNotFire(), logDir);
  const busy = await startScheduler(ctx, 'scheduler_seconds', EVERY_SECOND, logDir);
  try {
    await Promise.all([waitForStartupRun(idle, 60_000), waitForStartupRun(busy, 60_000)]);
    const ticksPerSecond = clockTicksPerSecond();
    // The window starts on a whole second, the first tick it counts.
    await sleep(1000 - (Date.now() % 1000));
    const windowStart = new Date();
    const cpuStart = [cpuTicks(idle.child.pid!), cpuTicks(busy.child.pid!)];
    ctx.progress(`scheduler: watching both for ${seconds} s (idle: "${idle.schedule}", busy: "${busy.schedule}")`);
    for (let second = 1; second <= seconds; second += 1) {
      await sleep(windowStart.getTime() + second * 1000 - Date.now());
      for (const watched of [idle, busy]) {
        if (watched.child.exitCode !== null) {
          throw new Error(
            `the scheduler (${watched.schedule}) exited during the watch: ${lastLine(watched.output.join(''))}`,
          );
        }
        const rss = readStatusBytes(watched.child.pid!, 'VmRSS');
        if (rss !== undefined) watched.rssBytes.push(rss);
      }
      if (second % 60 === 0) ctx.progress(`scheduler: ${second}/${seconds} s`);
    }
    const cpuEnd = [cpuTicks(idle.child.pid!), cpuTicks(busy.child.pid!)];
    const windowEnd = new Date(windowStart.getTime() + seconds * 1000);
    const cpuPercent = (i: number): number =>
      (((cpuEnd[i] ?? 0) - (cpuStart[i] ?? 0)) / ticksPerSecond / seconds) * 100;
    // A tick at the very end of the window may still be running: let it finish before reading job_runs.
    await sleep(1500);
    await Promise.all([stopScheduler(idle), stopScheduler(busy)]);

    const scheduledIn = async (watched: Watched) =>
      (
        await queryBenchSql<{ late_ms: number; status: string }>(watched.db.pool, 'schedule_lateness.sql', [
          JOB,
          windowStart,
          windowEnd,
        ])
      ).rows;
    const idleRuns = await scheduledIn(idle);
    const busyRuns = await scheduledIn(busy);
    const summarise = (watched: Watched, runs: number, i: number): SchedulerProcess => ({
      schedule: watched.schedule,
      rssBytes: watched.rssBytes,
      cpuPercent: cpuPercent(i),
      runsInWindow: runs,
    });
    return {
      seconds,
      idle: summarise(idle, idleRuns.length, 0),
      busy: {
        ...summarise(busy, busyRuns.length, 1),
        lateMs: busyRuns.map((r) => r.late_ms),
        expectedRuns: seconds,
        failedRuns: busyRuns.filter((r) => r.status !== 'succeeded').length,
        missedWarnings: countLogLines(busy.cronLog, /tick missed/, windowStart, windowEnd),
        skippedWarnings: countLogLines(busy.cronLog, /status=skipped/, windowStart, windowEnd),
      },
    };
  } finally {
    await Promise.all([stopScheduler(idle), stopScheduler(busy)]);
  }
}
