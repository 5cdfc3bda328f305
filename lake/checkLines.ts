import { appendFileSync } from 'node:fs';
import path from 'node:path';
import type { Partition } from './partitions';
import { splitLines, type BadLine } from './sourceLines';
import { MAX_LINE_BYTES, validateEventLine, type QuarantineReason, type ValidationContext } from './validateEvent';

/**
 * The checks of one chunk of lines (lake/validateEvent.ts), as a worker thread runs them
 * (lake/checkWorker.ts): most of an ingest's reading is JSON.parse, which a worker thread per core
 * spreads. Each good line is appended, its number and its bytes as they came, to the file of its
 * partition's bucket (bucketOf), so that DuckDB later writes the lake a few buckets at a time
 * (write_events.sql) without sorting or holding the whole source; the fields are separated by
 * \x1f, which a line that passed JSON.parse cannot contain (JSON allows no raw control character
 * but whitespace). Its number and id also go to the writer's ids file, for the ingest's checks of
 * repeated ids.
 *
 * A line is returned instead, for the main thread to stage by its appender, exactly, when DuckDB's
 * CSV reader would split it (a '\r'), and when DuckDB's JSON reader might see another event in it
 * than JSON.parse did: a key that names the event (data, meta, id, type, attributes, created_at)
 * appears twice, or any backslash, by which a key can be spelt differently (JSON.parse keeps the
 * last of two equal keys, DuckDB the first; stage_lines.sql compares the two readers on those
 * lines). A backslash is also the only way a control character gets into an id, so no id in a
 * file holds the separator.
 */

/** Good lines are spread over this many bucket files by their partition: few enough to keep open, many enough to keep each write small. */
export const BUCKETS = 64;

export interface CheckRequest {
  firstLine: number;
  bytes: Uint8Array;
  context: ValidationContext;
  /** Where the bucket files and ids files go. */
  folder: string;
  /** Which thread writes: names its files, so that no two threads append to one. */
  writer: number;
}

export interface AppendLine {
  line: number;
  id: string;
  type: string;
  createdAtMs: number;
  text: string;
}

export interface Quarantined {
  line: number;
  reason: QuarantineReason;
  detail: string;
  raw: Uint8Array;
}

export interface CheckResult {
  lines: number;
  blank: number;
  /** The partitions (partitionKey) of the good lines written to the bucket files. */
  partitions: string[];
  append: AppendLine[];
  quarantined: Quarantined[];
}

const HOUR_MS = 3600 * 1000;

/** A partition as the checks name it: the type and the hour of created_at (hours since 1970, UTC). */
export function partitionKey(type: string, createdAtMs: number): string {
  return `${type}/${Math.floor(createdAtMs / HOUR_MS)}`;
}

/** The partition a partitionKey names. */
export function partitionOfKey(key: string): Partition {
  const slash = key.lastIndexOf('/');
  const start = new Date(Number(key.slice(slash + 1)) * HOUR_MS);
  return { type: key.slice(0, slash), date: start.toISOString().slice(0, 10), hour: start.getUTCHours() };
}

/** The bucket of a partitionKey: FNV-1a, so that every thread and the main thread agree. */
export function bucketOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % BUCKETS;
}

export function bucketFile(folder: string, bucket: number, writer: number): string {
  return path.join(folder, `bucket-${bucket}-${writer}.tsv`);
}

export function idsFile(folder: string, writer: number): string {
  return path.join(folder, `ids-${writer}.tsv`);
}

// JSON whitespace: a line of only these is blank, counted and skipped.
const BLANK = /^[ \t\r]*$/;
const SEPARATOR = '\u001f';
// The six keys of a valid event: without a backslash each is spelt this way, so a line that
// holds them more than six times in all repeats one (or holds one as a value: care it gets too).
const EVENT_KEYS = /"(?:data|meta|id|type|attributes|created_at)"/g;

/** True when DuckDB's reading of the line might differ from JSON.parse's (see the module's comment). */
function needsCare(line: string): boolean {
  if (line.includes('\r') || line.includes('\\')) return true;
  EVENT_KEYS.lastIndex = 0;
  let keys = 0;
  while (EVENT_KEYS.exec(line) !== null) if (++keys > 6) return true;
  return false;
}

function badDetail(bad: BadLine): string {
  return bad.reason === 'line_too_long'
    ? `the line is ${bad.raw.length} bytes long, more than ${MAX_LINE_BYTES}`
    : 'the line is not valid UTF-8';
}

/** The good lines of one chunk, by bucket, and the partitions they belong to. */
class BucketWriter {
  readonly ids: string[] = [];
  // Per bucket: line number, first byte and end of each line in the chunk, three numbers a line.
  private readonly buckets = new Map<number, number[]>();
  // type → hour → its bucket's lines: no string is built per line to find them.
  private readonly partitions = new Map<string, Map<number, number[]>>();

  add(number: number, id: string, type: string, createdAtMs: number, bytes: { start: number; end: number }): void {
    let hours = this.partitions.get(type);
    if (hours === undefined) {
      hours = new Map();
      this.partitions.set(type, hours);
    }
    const hour = Math.floor(createdAtMs / HOUR_MS);
    let lines = hours.get(hour);
    if (lines === undefined) {
      const bucket = bucketOf(partitionKey(type, createdAtMs));
      lines = this.buckets.get(bucket) ?? [];
      this.buckets.set(bucket, lines);
      hours.set(hour, lines);
    }
    lines.push(number, bytes.start, bytes.end);
    this.ids.push(`${number}${SEPARATOR}${id}\n`);
  }

  /** Appends the lines (their bytes, copied from the chunk) to the writer's files; returns their partitionKeys. */
  write(chunk: Buffer, folder: string, writer: number): string[] {
    for (const [bucket, lines] of this.buckets)
      appendFileSync(bucketFile(folder, bucket, writer), linesFile(chunk, lines));
    if (this.ids.length > 0) appendFileSync(idsFile(folder, writer), this.ids.join(''));
    return [...this.partitions].flatMap(([type, hours]) =>
      [...hours.keys()].map((hour) => partitionKey(type, hour * HOUR_MS)),
    );
  }
}

/** "<line number>\x1f<the line's bytes>\n" for each line of `lines` (see BucketWriter). */
function linesFile(chunk: Buffer, lines: number[]): Buffer {
  let size = 0;
  for (let i = 0; i < lines.length; i += 3) size += String(lines[i]).length + lines[i + 2]! - lines[i + 1]! + 2;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < lines.length; i += 3) {
    at += out.write(String(lines[i]), at, 'latin1');
    out[at++] = 0x1f;
    at += chunk.copy(out, at, lines[i + 1]!, lines[i + 2]!);
    out[at++] = 0x0a;
  }
  return out;
}

export function checkLines(request: CheckRequest): CheckResult {
  const { firstLine, context, folder, writer } = request;
  const bytes = Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength);
  const lines = splitLines(bytes);
  const result: CheckResult = { lines: lines.length, blank: 0, partitions: [], append: [], quarantined: [] };
  const good = new BucketWriter();
  const span = { start: 0, end: 0 };
  for (let i = 0; i < lines.length; i++) {
    // The line's bytes in the chunk: splitLines cut at the same '\n's.
    span.start = i === 0 ? 0 : span.end + 1;
    const newline = bytes.indexOf(0x0a, span.start);
    span.end = newline === -1 ? bytes.length : newline;
    const line = lines[i]!;
    const number = firstLine + i;
    if (typeof line !== 'string') {
      result.quarantined.push({ line: number, reason: line.reason, detail: badDetail(line), raw: line.raw });
      continue;
    }
    if (BLANK.test(line)) {
      result.blank++;
      continue;
    }
    const checked = validateEventLine(line, context);
    if (!checked.ok) {
      result.quarantined.push({ line: number, reason: checked.reason, detail: checked.detail, raw: Buffer.from(line) });
      continue;
    }
    const { id, type, createdAtMs } = checked;
    if (needsCare(line)) result.append.push({ line: number, id, type, createdAtMs, text: line });
    else good.add(number, id, type, createdAtMs, span);
  }
  result.partitions = good.write(bytes, folder, writer);
  return result;
}
