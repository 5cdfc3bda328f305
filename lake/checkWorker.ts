import { parentPort } from 'node:worker_threads';
import { describeError } from '../lib/errors';
import { checkLines, type CheckRequest } from './checkLines';

/** A worker thread of lake/checkPool.ts: checks the chunks it is sent, one at a time. */
parentPort?.on('message', (request: CheckRequest) => {
  try {
    parentPort!.postMessage({ ok: true, result: checkLines(request) });
  } catch (error) {
    parentPort!.postMessage({ ok: false, error: describeError(error) });
  }
});
