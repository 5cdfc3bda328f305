import { appendFileSync, closeSync, mkdirSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import Transport from 'winston-transport';
import { ConfigError, describeError } from './errors';

/**
 * cron.log with rotation by size: cron.log, cron.log.1 (the previous), … cron.log.<maxFiles-1>.
 *
 * Lines are appended synchronously. The scheduler writes a few lines a minute, so this costs
 * nothing, and a line is on disk the moment it is logged: a kill or a crash loses none of them.
 * (winston's own File transport buffers, and loses the lines being rotated when the process
 * exits during a rotation.)
 *
 * Several processes append to one file (the scheduler, a manual `npm run job`, under Compose
 * from different containers): each line is one write to a file opened with O_APPEND, so lines
 * never interleave; the size is read from the file, not counted, since others write too; and
 * one process at a time rotates, under a lock file, after checking that nobody else just did.
 */

/** A lock older than this was left by a process killed while it rotated (which takes a moment). */
const STALE_LOCK_MS = 10_000;

export class RotatingFileTransport extends Transport {
  private readonly lockFile: string;

  constructor(
    private readonly file: string,
    private readonly maxSizeBytes: number,
    private readonly maxFiles: number,
  ) {
    super();
    this.lockFile = `${file}.lock`;
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      appendFileSync(file, '');
    } catch (error) {
      throw new ConfigError(
        `cannot write the log file CRON_LOG=${file}: ${describeError(error)}; point CRON_LOG at a writable path ` +
          `(under Compose the image's entry point makes the ./logs mount writable: start the scheduler service as root, as docker-compose.yml does)`,
      );
    }
  }

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    const line = `${String(info[Symbol.for('message')])}\n`;
    const bytes = Buffer.byteLength(line);
    // The console copy of the line still goes out; say per failure why the file has not.
    try {
      if (this.isFullFor(bytes)) this.rotate(bytes);
    } catch (error) {
      process.stderr.write(`cannot rotate ${this.file}: ${describeError(error)}\n`);
    }
    try {
      appendFileSync(this.file, line);
    } catch (error) {
      process.stderr.write(`cannot append to ${this.file}: ${describeError(error)}\n`);
    }
    next();
  }

  private isFullFor(bytes: number): boolean {
    let size: number;
    try {
      size = statSync(this.file).size;
    } catch {
      return false; // another process has just rotated it: the append starts the new file
    }
    return size > 0 && size + bytes > this.maxSizeBytes;
  }

  private rotate(bytes: number): void {
    let lock: number;
    try {
      lock = openSync(this.lockFile, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Another process is rotating: this line goes to the file it rotates or to the new one.
      const held = statSync(this.lockFile, { throwIfNoEntry: false });
      if (held !== undefined && Date.now() - held.mtimeMs > STALE_LOCK_MS) rmSync(this.lockFile, { force: true });
      return;
    }
    try {
      // Between our look at the size and the lock, another process may have rotated it.
      if (!this.isFullFor(bytes)) return;
      const numbered = (n: number): string => `${this.file}.${n}`;
      rmSync(numbered(this.maxFiles - 1), { force: true });
      for (let n = this.maxFiles - 2; n >= 0; n -= 1) {
        try {
          renameSync(n === 0 ? this.file : numbered(n), numbered(n + 1));
        } catch (error) {
          // That generation does not exist (yet).
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
      }
      if (this.maxFiles === 1) rmSync(this.file, { force: true });
    } finally {
      closeSync(lock);
      rmSync(this.lockFile, { force: true });
    }
  }
}
