import { writeFileSync } from 'node:fs';
import { splitLines, type BadLine } from './sourceLines';
import { MAX_LINE_BYTES, validateEventLine, type QuarantineReason, type ValidationContext } from './validateEvent';

/**
 * The checks of one chunk of lines (lake/validateEvent.ts), as a worker thread runs them
 * (lake/checkWorker.ts): most of an ingest's time is JSON.parse, which a worker thread per core
 * spreads. The good lines go to a file that DuckDB reads at once (stage_file.sql): one line per
 * event, fields separated by \x1f, which a line that passed JSON.parse cannot contain (JSON allows
 * no raw control character but whitespace). A line with a '\r' (which DuckDB's CSV reader would
 * take for a line break), or whose id or type holds a control character (from a \u escape), is
 * returned instead, for the main thread to stage by its appender, exactly.
 */

export interface CheckRequest {
  firstLine: number;
  bytes: Uint8Array;
  context: ValidationContext;
  /** Where to write the good lines. */
  file: string;
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
  /** Lines in `file`; 0 means no file was written. */
  written: number;
  file: string;
  append: AppendLine[];
  quarantined: Quarantined[];
}

// JSON whitespace: a line of only these is blank, counted and skipped.
const BLANK = /^[ \t\r]*$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f]/;
const SEPARATOR = '\u001f';

function badDetail(bad: BadLine): string {
  return bad.reason === 'line_too_long'
    ? `the line is ${bad.raw.length} bytes long, more than ${MAX_LINE_BYTES}`
    : 'the line is not valid UTF-8';
}

export function checkLines(request: CheckRequest): CheckResult {
  const { firstLine, context, file } = request;
  const bytes = Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength);
  const lines = splitLines(bytes);
  const result: CheckResult = { lines: lines.length, blank: 0, written: 0, file, append: [], quarantined: [] };
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
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
    if (line.includes('\r') || CONTROL.test(id)) {
      result.append.push({ line: number, id, type, createdAtMs, text: line });
      continue;
    }
    out.push(`${number}${SEPARATOR}${id}${SEPARATOR}${type}${SEPARATOR}${createdAtMs}${SEPARATOR}${line}\n`);
  }
  result.written = out.length;
  if (out.length > 0) writeFileSync(file, out.join(''));
  return result;
}
