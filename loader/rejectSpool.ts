import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { PoolClient } from '../lib/db';

/**
 * Holds the rejected lines of a load, as COPY text for load_rejects, until the rows' COPY is
 * over (one connection carries one COPY at a time). A few megabytes stay in memory; beyond that
 * they go to a temporary file, so a file with millions of bad lines costs disk, not memory.
 */

const IN_MEMORY_CHARS = 4 * 1024 * 1024;

export class RejectSpool {
  private pending: string[] = [];
  private pendingChars = 0;
  private spill?: { dir: string; file: string; fd: number };

  /** parentDir: where the temporary folder is made when memory is not enough. */
  constructor(private readonly parentDir = os.tmpdir()) {}

  /** The temporary file in use, if any. */
  get spillFile(): string | undefined {
    return this.spill?.file;
  }

  add(copyLine: string): void {
    this.pending.push(copyLine);
    this.pendingChars += copyLine.length;
    if (this.pendingChars >= IN_MEMORY_CHARS) this.writePending();
  }

  /** COPYs everything added into load_rejects, on the load's connection. */
  async copyInto(client: PoolClient): Promise<void> {
    if (this.spill === undefined && this.pending.length === 0) return;
    const copy = client.query(copyFrom('COPY load_rejects (load_id, line_number, raw_line, reason) FROM STDIN'));
    if (this.spill === undefined) {
      await pipeline(Readable.from([this.pending.join('')]), copy);
      return;
    }
    this.writePending();
    closeSync(this.spill.fd);
    this.spill.fd = -1;
    await pipeline(createReadStream(this.spill.file), copy);
  }

  /** Removes the temporary file, if there is one. */
  dispose(): void {
    if (this.spill === undefined) return;
    if (this.spill.fd !== -1) closeSync(this.spill.fd);
    rmSync(this.spill.dir, { recursive: true, force: true });
    this.spill = undefined;
  }

  private writePending(): void {
    if (this.spill === undefined) {
      const dir = mkdtempSync(path.join(this.parentDir, 'loans-rejects-'));
      const file = path.join(dir, 'load_rejects.copy');
      this.spill = { dir, file, fd: openSync(file, 'w', 0o600) };
    }
    writeSync(this.spill.fd, this.pending.join(''));
    this.pending = [];
    this.pendingChars = 0;
  }
}
