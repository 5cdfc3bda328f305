import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { projectRoot } from '../lib/sqlFiles';
import type { CheckRequest, CheckResult } from './checkLines';

/**
 * Worker threads that check chunks of lines (lake/checkLines.ts) in parallel, one chunk at a
 * time each. They run the compiled lake/checkWorker.js of dist/, which every npm command and
 * `npm test` build first.
 */

type Reply = { ok: true; result: CheckResult } | { ok: false; error: string };

interface Slot {
  worker: Worker;
  queue: { resolve(result: CheckResult): void; reject(error: Error): void }[];
}

const WORKER = path.join(projectRoot, 'dist', 'lake', 'checkWorker.js');

export class CheckPool {
  private waiters: (() => void)[] = [];

  private constructor(private readonly slots: Slot[]) {}

  /** Resolves when a chunk is done (at once when none is out). */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  static start(threads: number): CheckPool {
    if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: run npm run build`);
    const slots = Array.from({ length: threads }, (): Slot => ({ worker: new Worker(WORKER), queue: [] }));
    const pool = new CheckPool(slots);
    for (const slot of slots) {
      slot.worker.on('message', (reply: Reply) => {
        const waiting = slot.queue.shift();
        if (reply.ok) waiting?.resolve(reply.result);
        else waiting?.reject(new Error(`checking lines: ${reply.error}`));
        pool.wake();
      });
      slot.worker.on('error', (error) => {
        for (const waiting of slot.queue.splice(0)) waiting.reject(error);
        pool.wake();
      });
    }
    return pool;
  }

  /** Chunks waiting or being checked, over all threads. */
  get pending(): number {
    return this.slots.reduce((sum, slot) => sum + slot.queue.length, 0);
  }

  /** Checks a chunk on the least busy thread, which writes its own files (CheckRequest.writer). */
  check(request: Omit<CheckRequest, 'writer'>): Promise<CheckResult> {
    const writer = this.slots.reduce(
      (least, candidate, index) => (candidate.queue.length < this.slots[least]!.queue.length ? index : least),
      0,
    );
    const slot = this.slots[writer]!;
    return new Promise((resolve, reject) => {
      slot.queue.push({ resolve, reject });
      slot.worker.postMessage({ ...request, writer } satisfies CheckRequest);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }
}
