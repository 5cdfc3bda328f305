import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { projectRoot } from '../../lib/sqlFiles';
import { tempDir } from './files';

/**
 * Runs the compiled entry points as real processes, the way Compose and npm do: `node dist/…`.
 * `npm test` builds dist/ first (the pretest script).
 */

export interface Running {
  child: ChildProcess;
  output(): string;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

const started: Running[] = [];

/**
 * For afterAll: a failed assertion must not leave a process running (jest would wait for it
 * forever). Each child leads its own process group, so the PostgreSQL server that `npm start`
 * spawned goes with it.
 */
export function killStarted(): void {
  for (const running of started) {
    if (running.child.exitCode !== null || running.child.pid === undefined) continue;
    try {
      process.kill(-running.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export function startNode(args: string[], env: Record<string, string>, options: SpawnOptions = {}): Running {
  const entry = path.join(projectRoot, args[0]!);
  if (!existsSync(entry)) throw new Error(`${args[0]} is missing: run npm run build (npm test does it first)`);
  return startProcess(args, env, options);
}

// Every run of a workflow is logged to CRON_LOG: unless a test says where, not to the project's logs/.
const defaultCronLog = path.join(tempDir('processes-'), 'cron.log');

/** `node <args>` as a child process of its own group, with only the given environment (and PATH). */
export function startProcess(args: string[], env: Record<string, string>, options: SpawnOptions = {}): Running {
  // Only what the test gives, plus PATH: nothing of the developer's own PG* settings leaks in.
  const child = spawn(process.execPath, args, {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? '', CRON_LOG: defaultCronLog, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    ...options,
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const running = { child, output: () => out + err, stdout: () => out, stderr: () => err, exited };
  started.push(running);
  return running;
}

/** Polls until check() is true; fails with what the process printed so far. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  running?: Running,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (running !== undefined && running.child.exitCode !== null) {
      throw new Error(`the process exited (code ${running.child.exitCode}) first; its output:\n${running.output()}`);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `condition not met within ${timeoutMs} ms${running ? `; process output:\n${running.output()}` : ''}`,
      );
    }
    await sleep(100);
  }
}

/** Sends a signal and resolves with the exit code and how long the exit took. */
export async function stopProcess(
  running: Running,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  running.child.kill(signal);
  const patience = new AbortController();
  const code = await Promise.race([
    running.exited,
    // Aborted once the process exited, so that no timer keeps jest waiting.
    sleep(15_000, 'timeout' as const, { signal: patience.signal }).catch(() => null),
  ]);
  patience.abort();
  if (code === 'timeout') {
    running.child.kill('SIGKILL');
    throw new Error(`the process did not exit within 15 s of ${signal}; output:\n${running.output()}`);
  }
  return { code, ms: Date.now() - started };
}

/** Resolves once a loader's COPY is running on the server (application_name 'loader'). */
export async function waitForLoaderCopy(
  db: { query(sql: string): Promise<{ rowCount: number | null }> },
  loader: Running,
): Promise<void> {
  await waitUntil(
    async () =>
      ((
        await db.query(
          "SELECT 1 FROM pg_stat_activity WHERE application_name = 'loader' AND datname = current_database() AND state = 'active' AND query LIKE 'COPY%'",
        )
      ).rowCount ?? 0) > 0,
    30_000,
    loader,
  );
}
