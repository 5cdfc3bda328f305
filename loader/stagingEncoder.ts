import { Transform, type TransformCallback } from 'node:stream';
import { InputError } from '../lib/errors';
import { HeaderError, mapHeader, type HeaderMapping } from './header';
import { MAX_DAY_NUMBER, validateRow } from './validateRow';

/**
 * Turns csv-parse records into lines of COPY text for the loans_staging table: valid rows with
 * their values, rejected rows with the raw line and the reason. One stream carries both, so a
 * single COPY takes everything and nothing has to be held in memory.
 */

export interface CsvRecord {
  record: string[];
  info: { lines: number };
  raw: string;
}

export interface RecordCounts {
  /** Data records after the header: loaded + rejected + blank. */
  read: number;
  loaded: number;
  rejected: number;
  blank: number;
}

const FLUSH_CHARS = 64 * 1024;
// Bytes that are not UTF-8 reach us decoded as U+FFFD, the replacement character.
const NOT_UTF8 = '\uFFFD';
const NOT_UTF8_PROBLEM =
  'not valid UTF-8 (the file may be in another encoding, e.g. Latin-1: convert it with iconv -f latin1 -t utf-8)';
const KEPT_REJECTS = 5;

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

export class StagingEncoder extends Transform {
  header?: HeaderMapping;
  readonly counts: RecordCounts = { read: 0, loaded: 0, rejected: 0, blank: 0 };
  /** The first few rejects, for the message of a --strict failure. */
  readonly firstRejects: string[] = [];
  /** Line on which the last record ended; the next record starts on the line after it. */
  lastLine = 0;
  private buffer = '';
  // Line of the first row seen for each day (0 = not seen): 14.6 MB, whatever the file size.
  private firstLineOfDay?: Int32Array;

  constructor(private readonly file: string) {
    super({ writableObjectMode: true });
  }

  override _transform(csv: CsvRecord, _encoding: BufferEncoding, done: TransformCallback): void {
    const line = this.lastLine + 1;
    this.lastLine = csv.info.lines;
    const blank = csv.record.length === 1 && csv.record[0]!.trim() === '';

    if (this.header === undefined) {
      if (blank) return done();
      if (csv.raw.includes(NOT_UTF8)) {
        return done(new InputError(`${this.file}:${line}: the header is ${NOT_UTF8_PROBLEM}`));
      }
      try {
        this.header = mapHeader(csv.record);
      } catch (error) {
        if (!(error instanceof HeaderError)) throw error;
        return done(new InputError(`${this.file}:${line}: ${error.message}`));
      }
      return done();
    }

    this.counts.read += 1;
    if (blank) {
      this.counts.blank += 1;
      return done();
    }
    const result = validateRow(csv.record, this.header);
    let reason: string | undefined;
    if (csv.raw.includes(NOT_UTF8)) {
      reason = `the line is ${NOT_UTF8_PROBLEM}`;
    } else if (result.ok) {
      const row = result.value;
      this.firstLineOfDay ??= new Int32Array(MAX_DAY_NUMBER + 1);
      const firstLine = this.firstLineOfDay[row.dayNumber]!;
      if (firstLine === 0) {
        this.firstLineOfDay[row.dayNumber] = line;
        this.counts.loaded += 1;
        this.buffer += `${line}\t${row.repaymentDate}\t${row.numberOfLoans}\t${row.defaults}\t${row.liquidations}\t\\N\t\\N\n`;
      } else {
        reason = `repayment_date ${row.repaymentDate} repeats line ${firstLine}; the first row of a day wins`;
      }
    } else {
      reason = result.problem;
    }
    if (reason !== undefined) {
      this.counts.rejected += 1;
      if (this.firstRejects.length < KEPT_REJECTS) this.firstRejects.push(`line ${line}: ${reason}`);
      const raw = csv.raw.replace(/(?:\r\n|\n|\r)$/, '');
      this.buffer += `${line}\t\\N\t\\N\t\\N\t\\N\t${copyText(raw)}\t${copyText(reason)}\n`;
    }
    if (this.buffer.length >= FLUSH_CHARS) {
      this.push(this.buffer);
      this.buffer = '';
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.header === undefined) {
      return done(
        new InputError(`${this.file}: the file is empty or has only blank lines; expected a header line and rows`),
      );
    }
    if (this.counts.read === this.counts.blank) {
      return done(new InputError(`${this.file}: the file has a header but no rows; nothing to load`));
    }
    if (this.buffer !== '') this.push(this.buffer);
    this.buffer = '';
    done();
  }
}
