import { Transform, type TransformCallback } from 'node:stream';
import { CsvError } from 'csv-parse';
import { parse as parseCsv } from 'csv-parse/sync';
import { InputError } from '../lib/errors';
import { HeaderError, LOAN_COLUMNS, mapHeader, type HeaderMapping } from './header';
import { RecordScanner, ScanError } from './recordScanner';
import type { RejectSpool } from './rejectSpool';
import { daysSinceYearOne, MAX_DAY_NUMBER, MAX_INTEGER, monthLength, validateRow } from './validateRow';

/**
 * Turns the bytes of a loans CSV file into COPY text: one line per valid row
 * (repayment_date, number_of_loans, defaults, liquidations, load_id), and one line per rejected
 * record, with its line number, raw text and reason, for the reject spool.
 *
 * Two paths give the same result. Most lines are plain ASCII digits, dashes and commas: those are
 * checked and copied byte by byte, without making strings. Any other line (quotes, spaces, signs,
 * bytes beyond ASCII, a bad value) takes the general path: csv-parse for quoted fields,
 * validateRow for the rules and the words of the reason. The fast path refuses only one thing
 * itself, a valid row of a day already seen, because a file of millions of repeated days would
 * otherwise send millions of lines through the general path.
 */

/**
 * The version of the rules by which a file's bytes become rows and rejects (this module, header.ts,
 * validateRow.ts, recordScanner.ts). Recorded with every load; bump it when the rules change, so
 * that a file loaded under the old rules is read again instead of being skipped as unchanged.
 */
export const RULES_VERSION = '2';

export interface RecordCounts {
  /** Data records after the header: loaded + rejected + blank. */
  read: number;
  loaded: number;
  rejected: number;
  blank: number;
}

const OUTPUT_BYTES = 64 * 1024;
const TAB = 0x09;
const COMMA = 0x2c;
const DASH = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
// Bytes that are not UTF-8 are decoded as U+FFFD, the replacement character.
const NOT_UTF8 = '\uFFFD';
const NOT_UTF8_PROBLEM =
  'not valid UTF-8 (the file may be in another encoding, e.g. Latin-1: convert it with iconv -f latin1 -t utf-8)';
const KEPT_REJECTS = 5;
// A CR not followed by LF: the file's lines end with bare CRs (old Mac files), or some do.
const BARE_CR_PROBLEM =
  "contains a bare carriage return (CR, old Mac line ends): lines must end with LF or CRLF; convert them, e.g. tr '\\r' '\\n' < old.csv > new.csv";

const CSV_PROBLEMS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is opened here and never closed',
  CSV_INVALID_CLOSING_QUOTE: 'a closing quote is followed by something other than a comma or a line break',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE:
    'a closing quote is followed by something other than a comma or a line break',
};

/** Escapes a value for COPY's text format. PostgreSQL text cannot hold NUL: it is shown as ␀. */
function copyText(value: string): string {
  return value.replace(/[\\\t\n\r\0]/g, (c) => {
    switch (c) {
      case '\\':
        return '\\\\';
      case '\t':
        return '\\t';
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      default:
        return '\u2400';
    }
  });
}

function repeatReason(date: string, firstLine: number): string {
  return `repayment_date ${date} repeats line ${firstLine}; the first row of a day wins`;
}

// repeatReason in bytes, around the date and the first line; what a reject line adds to the raw line.
const REPEAT_REASON = ['\trepayment_date ', ' repeats line ', '; the first row of a day wins\n'].map((part) =>
  Buffer.from(part),
) as [Buffer, Buffer, Buffer];
const MAX_DIGITS = 20; // of a load id or a line number (bigint)
const DATE_BYTES = 10;
const TABS = 2; // after the load id and after the line number
const MAX_REPEAT_REJECT_OVERHEAD =
  MAX_DIGITS + TABS + MAX_DIGITS + REPEAT_REASON.reduce((sum, part) => sum + part.length, DATE_BYTES + MAX_DIGITS);

/** Writes a non-negative integer in ASCII digits at pos; returns the position after it. */
function writeDigits(buf: Buffer, pos: number, value: number): number {
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits += 1;
  for (let i = pos + digits - 1, rest = value; i >= pos; i -= 1, rest = Math.floor(rest / 10)) {
    buf[i] = DIGIT_0 + (rest % 10);
  }
  return pos + digits;
}

/** A count written as 1 to 10 ASCII digits and at most MAX_INTEGER; -1 for anything else. */
function plainCount(buf: Buffer, start: number, end: number): number {
  if (end - start < 1 || end - start > 10) return -1;
  let value = 0;
  for (let i = start; i < end; i += 1) {
    const digit = buf[i]! - DIGIT_0;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value > MAX_INTEGER ? -1 : value;
}

export class RowEncoder extends Transform {
  header?: HeaderMapping;
  readonly counts: RecordCounts = { read: 0, loaded: 0, rejected: 0, blank: 0 };
  /** The first few rejects, for the message of a --strict failure. */
  readonly firstRejects: string[] = [];
  private readonly scanner = new RecordScanner((buf, start, end, line, hasQuote) =>
    this.record(buf, start, end, line, hasQuote),
  );
  private readonly rowSuffix: Buffer;
  private readonly loadIdText: Buffer;
  private out = Buffer.allocUnsafe(OUTPUT_BYTES);
  private outPos = 0;
  // Line of the first row of each day (0 = not seen yet): 14.6 MB, whatever the file size.
  private firstLineOfDay?: Int32Array;
  // Field positions of repayment_date, number_of_loans, defaults, liquidations in a record.
  private readonly order = new Int32Array(4);
  private readonly fieldStart = new Int32Array(4);
  private readonly fieldEnd = new Int32Array(4);

  constructor(
    private readonly file: string,
    private readonly loadId: number,
    private readonly rejects: Pick<RejectSpool, 'add' | 'room' | 'used' | 'wrote'>,
  ) {
    super();
    this.rowSuffix = Buffer.from(`\t${loadId}\n`);
    this.loadIdText = Buffer.from(`${loadId}\t`);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      this.scanner.push(chunk);
    } catch (error) {
      return done(this.explain(error));
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    try {
      this.scanner.end();
    } catch (error) {
      return done(this.explain(error));
    }
    if (this.header === undefined) {
      return done(
        new InputError(`${this.file}: the file is empty or has only blank lines; expected a header line and rows`),
      );
    }
    if (this.counts.read === this.counts.blank) {
      return done(new InputError(`${this.file}: the file has a header but no rows; nothing to load`));
    }
    this.flushOutput();
    done();
  }

  private explain(error: unknown): Error {
    if (error instanceof ScanError) return new InputError(`${this.file}:${error.line}: ${error.message}`);
    return error instanceof Error ? error : new Error(String(error));
  }

  private record(buf: Buffer, start: number, end: number, line: number, hasQuote: boolean): void {
    if (this.header !== undefined) {
      this.counts.read += 1;
      if (!hasQuote && this.plainRow(buf, start, end, line)) return;
    }
    this.generalRecord(buf.toString('utf8', start, end), line, hasQuote);
  }

  /** The fast path: true if the line is a valid, new day written plainly, and was encoded. */
  private plainRow(buf: Buffer, start: number, end: number, line: number): boolean {
    const { fieldStart, fieldEnd, order } = this;
    let field = 0;
    fieldStart[0] = start;
    for (let i = start; i < end; i += 1) {
      const c = buf[i]!;
      if (c === COMMA) {
        if (field === 3) return false;
        fieldEnd[field] = i;
        field += 1;
        fieldStart[field] = i + 1;
      } else if ((c < DIGIT_0 || c > DIGIT_9) && c !== DASH) {
        return false;
      }
    }
    if (field !== 3) return false;
    fieldEnd[3] = end;

    const dateStart = fieldStart[order[0]!]!;
    if (fieldEnd[order[0]!]! - dateStart !== 10 || buf[dateStart + 4] !== DASH || buf[dateStart + 7] !== DASH) {
      return false;
    }
    const year = plainCount(buf, dateStart, dateStart + 4);
    const month = plainCount(buf, dateStart + 5, dateStart + 7);
    const dayOfMonth = plainCount(buf, dateStart + 8, dateStart + 10);
    if (year < 1 || dayOfMonth < 1 || dayOfMonth > monthLength(year, month)) return false;
    const loans = plainCount(buf, fieldStart[order[1]!]!, fieldEnd[order[1]!]!);
    const defaults = plainCount(buf, fieldStart[order[2]!]!, fieldEnd[order[2]!]!);
    const liquidations = plainCount(buf, fieldStart[order[3]!]!, fieldEnd[order[3]!]!);
    if (loans < 0 || defaults < 0 || liquidations < 0 || defaults + liquidations > loans) return false;
    const firstLineOfDay = this.firstLineOfDay!;
    const day = daysSinceYearOne(year, month, dayOfMonth);
    if (firstLineOfDay[day] !== 0) {
      this.rejectPlainRepeat(buf, start, end, dateStart, firstLineOfDay[day]!, line);
      return true;
    }
    firstLineOfDay[day] = line;
    this.counts.loaded += 1;

    if (OUTPUT_BYTES - this.outPos < end - start + this.rowSuffix.length) this.flushOutput();
    const out = this.out;
    let pos = this.outPos;
    for (let column = 0; column < 4; column += 1) {
      if (column > 0) out[pos++] = TAB;
      const fieldNumber = order[column]!;
      for (let i = fieldStart[fieldNumber]!; i < fieldEnd[fieldNumber]!; i += 1) out[pos++] = buf[i]!;
    }
    this.outPos = pos + this.rowSuffix.copy(out, pos);
    return true;
  }

  /** The general path: any record, with csv-parse's reading of quotes and validateRow's reasons. */
  private generalRecord(text: string, line: number, hasQuote: boolean): void {
    const fields = hasQuote ? this.parseQuoted(text, line) : text.split(',');
    const blank = fields.length === 1 && fields[0]!.trim() === '';
    if (this.header === undefined) {
      if (!blank) this.readHeader(fields, text, line);
      return;
    }
    if (blank) {
      this.counts.blank += 1;
      return;
    }
    if (text.includes(NOT_UTF8)) return this.reject(text, line, `the line is ${NOT_UTF8_PROBLEM}`);
    if (!hasQuote && text.includes('\r')) return this.reject(text, line, BARE_CR_PROBLEM);
    const result = validateRow(fields, this.header);
    if (!result.ok) return this.reject(text, line, result.problem);
    const row = result.value;
    if (this.firstLineOfDay![row.dayNumber] !== 0)
      return this.reject(text, line, repeatReason(row.repaymentDate, this.firstLineOfDay![row.dayNumber]!));
    this.firstLineOfDay![row.dayNumber] = line;
    this.counts.loaded += 1;
    const encoded = `${row.repaymentDate}\t${row.numberOfLoans}\t${row.defaults}\t${row.liquidations}`;
    if (OUTPUT_BYTES - this.outPos < encoded.length + this.rowSuffix.length) this.flushOutput();
    this.outPos += this.out.write(encoded, this.outPos, 'latin1');
    this.outPos += this.rowSuffix.copy(this.out, this.outPos);
  }

  private parseQuoted(text: string, line: number): string[] {
    try {
      const records = parseCsv(text, { relax_quotes: true, relax_column_count: true, record_delimiter: '\n' });
      return records[0] ?? [''];
    } catch (error) {
      if (error instanceof CsvError) throw new ScanError(line, CSV_PROBLEMS[error.code] ?? error.message);
      throw error;
    }
  }

  private readHeader(fields: string[], text: string, line: number): void {
    if (text.includes(NOT_UTF8)) throw new ScanError(line, `the header is ${NOT_UTF8_PROBLEM}`);
    if (text.includes('\r')) throw new ScanError(line, `the header ${BARE_CR_PROBLEM}`);
    try {
      this.header = mapHeader(fields);
    } catch (error) {
      if (error instanceof HeaderError) throw new ScanError(line, error.message);
      throw error;
    }
    LOAN_COLUMNS.forEach((column, i) => (this.order[i] = this.header!.index[column]));
    this.firstLineOfDay = new Int32Array(MAX_DAY_NUMBER + 1);
  }

  /**
   * The reject of a repeated day for a plain line, written straight into the spool: a file of millions of
   * repeated days would otherwise make millions of strings and grow the heap. A plain line has
   * nothing that COPY text needs escaped.
   */
  private rejectPlainRepeat(
    buf: Buffer,
    start: number,
    end: number,
    dateStart: number,
    first: number,
    line: number,
  ): void {
    this.counts.rejected += 1;
    if (this.firstRejects.length < KEPT_REJECTS) {
      const date = buf.toString('latin1', dateStart, dateStart + 10);
      this.firstRejects.push(`line ${line}: ${repeatReason(date, first)}`);
    }
    const spool = this.rejects;
    const block = spool.room(end - start + MAX_REPEAT_REJECT_OVERHEAD);
    let pos = spool.used;
    pos += this.loadIdText.copy(block, pos);
    pos = writeDigits(block, pos, line);
    block[pos++] = TAB;
    pos += buf.copy(block, pos, start, end);
    pos += REPEAT_REASON[0].copy(block, pos);
    pos += buf.copy(block, pos, dateStart, dateStart + 10);
    pos += REPEAT_REASON[1].copy(block, pos);
    pos = writeDigits(block, pos, first);
    pos += REPEAT_REASON[2].copy(block, pos);
    spool.wrote(pos - spool.used);
  }

  private reject(text: string, line: number, reason: string): void {
    this.counts.rejected += 1;
    if (this.firstRejects.length < KEPT_REJECTS) this.firstRejects.push(`line ${line}: ${reason}`);
    this.rejects.add(`${this.loadId}\t${line}\t${copyText(text)}\t${copyText(reason)}\n`);
  }

  private flushOutput(): void {
    if (this.outPos === 0) return;
    this.push(this.out.subarray(0, this.outPos));
    this.out = Buffer.allocUnsafe(OUTPUT_BYTES);
    this.outPos = 0;
  }
}
