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
 * Lines are written into fixed buffers at once: kept as strings, they would outlive the young
 * generation and grow the JavaScript heap with the number of rejects.
 */

const BLOCK_BYTES = 1024 * 1024;
const IN_MEMORY_BLOCKS = 4;

export class RejectSpool {
  private readonly blocks: Buffer[] = [];
  private block = Buffer.allocUnsafe(BLOCK_BYTES);
  /** Bytes of the current block in use. */
  used = 0;
  private spill?: { dir: string; file: string; fd: number };

  /** parentDir: where the temporary folder is made when memory is not enough. */
  constructor(private readonly parentDir = os.tmpdir()) {}

  /** The temporary file in use, if any. */
  get spillFile(): string | undefined {
    return this.spill?.file;
  }

  add(copyLine: string): void {
    const bytes = Buffer.byteLength(copyLine);
    if (this.used + bytes > BLOCK_BYTES) this.nextBlock();
    if (bytes > BLOCK_BYTES) {
      this.keep(Buffer.from(copyLine));
      return;
    }
    this.used += this.block.write(copyLine, this.used);
  }

  /**
   * Room for up to `bytes` more bytes, for a caller that writes a line in place without making
   * strings: write into the returned buffer from `spool.used`, then call `spool.wrote(count)`.
   */
  room(bytes: number): Buffer {
    if (this.used + bytes > BLOCK_BYTES) this.nextBlock();
    return this.block;
  }

  wrote(bytes: number): void {
    this.used += bytes;
  }

  /** COPYs everything added into load_rejects, on the load's connection. */
  async copyInto(client: PoolClient): Promise<void> {
    this.nextBlock();
    if (this.spill === undefined && this.blocks.length === 0) return;
    const copy = client.query(copyFrom('COPY load_rejects (load_id, line_number, raw_line, reason) FROM STDIN'));
    if (this.spill === undefined) {
      await pipeline(Readable.from(this.blocks), copy);
      return;
    }
    this.writeBlocks();
    closeSync(this.spill.fd);
    this.spill.fd = -1;
    await pipeline(createReadStream(this.spill.file), copy);
  }

  /** Removes the temporary file, if there is one. */
  dispose(): void {
    if (this.spill === undefined) return;
    const { dir, fd } = this.spill;
    this.spill = undefined;
    try {
      if (fd !== -1) closeSync(fd);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private nextBlock(): void {
    if (this.used === 0) return;
    const full = this.block.subarray(0, this.used);
    this.used = 0;
    if (this.spill !== undefined) {
      // Written at once, so the same block takes the next lines: a new megabyte per block piled
      // up as external memory faster than the collector freed it (+40 MB RSS at 6 million rejects).
      writeSync(this.spill.fd, full);
      return;
    }
    this.keep(full);
    this.block = Buffer.allocUnsafe(BLOCK_BYTES);
  }

  private keep(block: Buffer): void {
    this.blocks.push(block);
    if (this.spill !== undefined || this.blocks.length >= IN_MEMORY_BLOCKS) this.writeBlocks();
  }

  private writeBlocks(): void {
    if (this.spill === undefined) {
      const dir = mkdtempSync(path.join(this.parentDir, 'loans-rejects-'));
      const file = path.join(dir, 'load_rejects.copy');
      try {
        this.spill = { dir, file, fd: openSync(file, 'w', 0o600) };
      } catch (error) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
    for (const block of this.blocks) writeSync(this.spill.fd, block);
    this.blocks.length = 0;
  }
}
