import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import { MAX_LINE_BYTES } from './validateEvent';

/**
 * The lines of a source: text for each line that is UTF-8 and at most MAX_LINE_BYTES long, the
 * exact bytes for one that is not (its quarantine keeps them as they were). Lines end at '\n'; a '\r' before it stays part of the line, and a last line
 * without '\n' is a line. A chunk is decoded at once when it is all valid UTF-8 (the common
 * case, checked in one pass), line by line only when it is not. A line longer than the
 * limit is held whole in memory, since its quarantine keeps every byte of it.
 */

export interface BadLine {
  reason: 'line_too_long' | 'invalid_utf8';
  raw: Buffer;
}

export interface LineChunk {
  /** 1-based number of the chunk's first line in the source. */
  firstLine: number;
  /** Whole lines, each ending with '\n' but perhaps the last of the source. */
  bytes: Buffer;
  lines: number;
}

function badLine(raw: Buffer): BadLine | undefined {
  if (raw.length > MAX_LINE_BYTES) return { reason: 'line_too_long', raw };
  if (!isUtf8(raw)) return { reason: 'invalid_utf8', raw };
  return undefined;
}

/** The lines of a buffer of lines, each ending with '\n' but perhaps the last. */
export function splitLines(buffer: Buffer): (string | BadLine)[] {
  const lines: (string | BadLine)[] = [];
  let start = 0;
  if (isUtf8(buffer)) {
    const text = buffer.toString('utf8');
    while (start < text.length) {
      let stop = text.indexOf('\n', start);
      if (stop < 0) stop = text.length;
      const line = text.slice(start, stop);
      // Only a line that might be too long has its bytes counted.
      const tooLong = line.length * 3 > MAX_LINE_BYTES && Buffer.byteLength(line) > MAX_LINE_BYTES;
      lines.push(tooLong ? { reason: 'line_too_long', raw: Buffer.from(line, 'utf8') } : line);
      start = stop + 1;
    }
    return lines;
  }
  while (start < buffer.length) {
    let stop = buffer.indexOf(0x0a, start);
    if (stop < 0) stop = buffer.length;
    const raw = buffer.subarray(start, stop);
    lines.push(badLine(raw) ?? raw.toString('utf8'));
    start = stop + 1;
  }
  return lines;
}

function countLines(bytes: Buffer): number {
  let lines = 0;
  for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, at + 1)) lines++;
  return bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a ? lines + 1 : lines;
}

/**
 * A stream of bytes (already decompressed) in chunks of whole lines, numbered: what the checks
 * (lake/checkLines.ts) take, one chunk at a time, in any order.
 */
export async function* sourceChunks(input: Readable, minBytes = 0): AsyncGenerator<LineChunk> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let nextLine = 1;
  const emit = (bytes: Buffer): LineChunk => {
    const chunk = { firstLine: nextLine, bytes, lines: countLines(bytes) };
    nextLine += chunk.lines;
    return chunk;
  };
  for await (const data of input) {
    const bytes = data as Buffer;
    const end = bytes.lastIndexOf(0x0a);
    // Until minBytes have come, or while no line ends: keep gathering.
    if (end < 0 || pendingBytes + end + 1 < minBytes) {
      pending.push(bytes);
      pendingBytes += bytes.length;
      continue;
    }
    const whole =
      pending.length === 0 ? bytes.subarray(0, end + 1) : Buffer.concat([...pending, bytes.subarray(0, end + 1)]);
    pending = end + 1 < bytes.length ? [bytes.subarray(end + 1)] : [];
    pendingBytes = bytes.length - end - 1;
    yield emit(whole);
  }
  if (pending.length > 0) yield emit(Buffer.concat(pending));
}
