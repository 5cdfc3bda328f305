import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Runs one command the way a person would and measures it from the outside: wall time from
 * spawn to exit, and peak resident memory, read from /proc/<pid>/status (VmHWM, the kernel's
 * own high-water mark) while it runs. No GNU time needed. Only the process itself is measured,
 * not the PostgreSQL backend that does part of its work.
 */

export interface ProcessRun {
  wallMs: number;
  /** VmHWM at the last poll before exit; undefined if the process ended before the first poll. */
  peakRssBytes: number | undefined;
  stdout: string;
  stderr: string;
}

export interface ProcessOptions {
  env: Record<string, string>;
  cwd: string;
  /** Poll interval for VmHWM. */
  pollMs?: number;
  /** Called once the process is spawned: for a caller that samples it meanwhile (its CPU time). */
  onSpawn?: (pid: number) => void;
}

const running = new Set<ChildProcess>();
let refusing = false;

/** For Ctrl-C and the end of the run: nothing the benchmark started may outlive it, and nothing new starts. */
export function killRunningProcesses(): void {
  refusing = true;
  for (const child of running) child.kill('SIGKILL');
}

/** Fields of /proc/<pid>/status in bytes (VmRSS, VmHWM), or undefined once the process is gone. */
export function readStatusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** Clock ticks per second of utime and stime in /proc/<pid>/stat. */
export function clockTicksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** utime + stime of a process, in clock ticks; undefined once it is gone. */
export function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** Keeps the end of a stream: enough for an error message, bounded whatever the process prints. */
export function tail(limit = 64 * 1024): { add(chunk: Buffer): void; text(): string } {
  let text = '';
  return {
    add(chunk) {
      text = (text + chunk.toString()).slice(-limit);
    },
    text: () => text,
  };
}

export function lastLine(text: string): string {
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '')
      .pop() ?? ''
  );
}

/** Spawns a long-running process (the scheduler); the caller stops it. */
export function startProcess(command: string, args: readonly string[], options: ProcessOptions): ChildProcess {
  if (refusing) throw new Error('the benchmark is stopping');
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.on('exit', () => running.delete(child));
  return child;
}

/** SIGTERM, and SIGKILL if it has not exited within graceMs; resolves to its exit code (null when killed). */
export async function stopProcess(child: ChildProcess, graceMs = 15_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  const code = await Promise.race([exited, sleep(graceMs, 'timeout' as const)]);
  if (code !== 'timeout') return code;
  child.kill('SIGKILL');
  await exited;
  return null;
}

/** Runs the command to its end; a non-zero exit is an error that quotes its last line. */
export async function measureProcess(
  command: string,
  args: readonly string[],
  options: ProcessOptions,
): Promise<ProcessRun> {
  const stdout = tail();
  const stderr = tail();
  const started = performance.now();
  const child = startProcess(command, args, options);
  if (child.pid !== undefined) options.onSpawn?.(child.pid);
  child.stdout!.on('data', stdout.add);
  child.stderr!.on('data', stderr.add);
  let peakRssBytes: number | undefined;
  const poll = (): void => {
    if (child.pid !== undefined) peakRssBytes = readStatusBytes(child.pid, 'VmHWM') ?? peakRssBytes;
  };
  const timer = setInterval(poll, options.pollMs ?? 25);
  poll();
  let wallMs = 0;
  child.once('exit', () => (wallMs = performance.now() - started));
  // 'close' comes after 'exit', once the output is drained.
  const { code, signal } = await new Promise<{ code: number | null; signal: string | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode, exitSignal) => resolve({ code: exitCode, signal: exitSignal }));
  }).finally(() => clearInterval(timer));
  if (code !== 0) {
    const why = lastLine(stderr.text()) || lastLine(stdout.text()) || 'no output';
    throw new Error(`${[command, ...args].join(' ')} exited with ${code ?? signal}: ${why}`);
  }
  return { wallMs, peakRssBytes, stdout: stdout.text(), stderr: stderr.text() };
}
