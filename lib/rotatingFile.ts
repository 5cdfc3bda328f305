import { appendFileSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
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
 */
export class RotatingFileTransport extends Transport {
  private size: number;

  constructor(
    private readonly file: string,
    private readonly maxSizeBytes: number,
    private readonly maxFiles: number,
  ) {
    super();
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      appendFileSync(file, '');
      this.size = statSync(file).size;
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
    if (this.size > 0 && this.size + bytes > this.maxSizeBytes) this.rotate();
    try {
      appendFileSync(this.file, line);
      this.size += bytes;
    } catch (error) {
      // The console copy of the line still goes out; say once per failure why the file has not.
      process.stderr.write(`cannot append to ${this.file}: ${describeError(error)}\n`);
    }
    next();
  }

  private rotate(): void {
    const numbered = (n: number): string => `${this.file}.${n}`;
    rmSync(numbered(this.maxFiles - 1), { force: true });
    for (let n = this.maxFiles - 2; n >= 1; n -= 1) {
      try {
        renameSync(numbered(n), numbered(n + 1));
      } catch {
        // That generation does not exist yet.
      }
    }
    if (this.maxFiles > 1) renameSync(this.file, numbered(1));
    else rmSync(this.file, { force: true });
    this.size = 0;
  }
}
