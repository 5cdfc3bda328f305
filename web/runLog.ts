import { open } from 'node:fs/promises';

/**
 * A run's lines of cron.log, for the Runs page (docs/dashboard.md, "A run's log lines"). The
 * database keeps a run's error and its tasks' errors (job_runs, task_runs), but its log lines are
 * only in cron.log (CRON_LOG) and its rotated files. They are read from the end backwards, 64 KB
 * at a time, and the reading stops at the first of: a line older than the run's start (less a
 * minute, for clocks that differ between hosts), maxBytes read, maxLines found. A run's lines are
 * written while it runs, so a recent run costs a few reads and an old one at most maxBytes: a log
 * of any size is never read whole.
 */

export interface RunLog {
  /** The file as configured (CRON_LOG). */
  file: string;
  /** Oldest first. */
  lines: string[];
  /** True when a limit stopped the reading before the run's start was reached. */
  truncated: boolean;
  bytesRead: number;
  /** False when no log file exists here (e.g. a dashboard on another host than the scheduler). */
  found: boolean;
}

export interface RunLogLimits {
  maxBytes: number;
  maxLines: number;
}

const CHUNK_BYTES = 64 * 1024;
const CLOCK_SLACK_MS = 60_000;
const DEFAULT_LIMITS: RunLogLimits = { maxBytes: 8 * 1024 * 1024, maxLines: 500 };

/** The time a line was written: the first word of a text line, the timestamp field of a JSON one. */
function lineTime(line: string): number {
  const text = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) /.exec(line);
  const json = text === null ? /"timestamp":"([^"]+)"/.exec(line) : null;
  const iso = text?.[1] ?? json?.[1];
  return iso === undefined ? Number.NaN : Date.parse(iso);
}

function belongsTo(line: string, runId: string): boolean {
  return line.includes(` run=${runId} `) || line.includes(`"run":"${runId}"`);
}

/**
 * Lines of one file, newest first, read backwards. Returns false when reading must stop for
 * this run (a line older than the run was seen, or a limit was reached).
 */
async function scanFile(
  path: string,
  runId: string,
  oldestMs: number,
  limits: RunLogLimits,
  out: { lines: string[]; bytesRead: number; truncated: boolean },
): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    let position = (await handle.stat()).size;
    // The start of the line cut by the previous (later) chunk, as bytes: UTF-8 may be cut too.
    let carry = Buffer.alloc(0);
    while (position > 0) {
      if (out.bytesRead >= limits.maxBytes) {
        out.truncated = true;
        return false;
      }
      const size = Math.min(CHUNK_BYTES, position);
      position -= size;
      const chunk = Buffer.alloc(size);
      await handle.read(chunk, 0, size, position);
      out.bytesRead += size;
      const bytes = Buffer.concat([chunk, carry]);
      // The first line of the chunk may start in the chunk before: keep it for the next read.
      const firstBreak = position === 0 ? -1 : bytes.indexOf(0x0a);
      carry = firstBreak === -1 ? Buffer.alloc(0) : bytes.subarray(0, firstBreak + 1);
      const lines = bytes
        .subarray(firstBreak + 1)
        .toString('utf8')
        .split('\n');
      for (let i = lines.length - 1; i >= 0; i -= 1) {
        const line = lines[i]!.replace(/\r$/, '');
        if (line === '') continue;
        if (belongsTo(line, runId)) {
          out.lines.push(line);
          if (out.lines.length >= limits.maxLines) {
            out.truncated = true;
            return false;
          }
        } else if (lineTime(line) < oldestMs) {
          return false;
        }
      }
    }
    return true;
  } finally {
    await handle.close();
  }
}

/** The files of cron.log, newest first: the current one, then .1, .2, … while they exist. */
const MAX_ROTATED_FILES = 1000;

export async function readRunLog(
  file: string,
  runId: string,
  startedAt: Date,
  limits: RunLogLimits = DEFAULT_LIMITS,
): Promise<RunLog> {
  const out = { lines: [] as string[], bytesRead: 0, truncated: false };
  let found = false;
  for (let index = 0; index <= MAX_ROTATED_FILES; index += 1) {
    const path = index === 0 ? file : `${file}.${index}`;
    let goOn: boolean;
    try {
      goOn = await scanFile(path, runId, startedAt.getTime() - CLOCK_SLACK_MS, limits, out);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') break;
      throw error;
    }
    found = true;
    if (!goOn) break;
  }
  return { file, lines: out.lines.reverse(), truncated: out.truncated, bytesRead: out.bytesRead, found };
}
