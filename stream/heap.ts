import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the heap grow past what is live before its next full collection, for a process
 * that consumes the events queue. A consumer holds two buffers of messages (the one being flushed
 * and the one filling), each tens of MB live for half a minute and then dead all at once; with
 * V8's own factor (up to 4x the live size) the heap swelled to ~270 MB committed over ~65 MB live,
 * and the consumer's RSS swung between 400 and 580 MB at 2,000 events/s. With 20% it stayed under
 * 300 MB (docs/stream.md, "Memory"), for more full collections of a small heap.
 */
export const HEAP_GROWING_PERCENT = 20;

/** Sets the factor for this process; V8 reads it at each collection, so it applies from now on. */
export function keepHeapNearLive(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
