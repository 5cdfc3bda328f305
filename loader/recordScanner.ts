/**
 * Cuts a stream of CSV bytes into records: a line, or several lines when a quoted field holds
 * line breaks. It counts lines itself, so every record knows the line it starts on, and it only
 * runs the quote-aware state machine on lines that contain a quote: the common line is found by
 * a native search for the next line break. What a quoted record's fields are is left to
 * csv-parse (rowEncoder.ts); this module only decides where records begin and end.
 */

/** Longest record accepted; longer means a broken file, and buffering it would cost unbounded memory. */
export const MAX_RECORD_BYTES = 64 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const COMMA = 0x2c;

/** A problem that makes the whole file unreadable, at a line. */
export class ScanError extends Error {
  constructor(
    readonly line: number,
    problem: string,
  ) {
    super(problem);
  }
}

/**
 * Receives each record: bytes [start, end) of buf without the line break (nor a CR before it),
 * the line it starts on, and whether it contains a quote (then csv-parse must split it). The
 * bytes are only valid during the call: the buffer is reused.
 */
export type RecordSink = (buf: Buffer, start: number, end: number, line: number, hasQuote: boolean) => void;

const enum Quoting {
  FieldStart,
  Unquoted,
  Quoted,
  QuoteInQuoted,
}

export class RecordScanner {
  // The bytes not yet cut into records are at work[0, pending); each chunk is copied after them.
  // One buffer reused for the whole file: a new one per chunk would be garbage outside the
  // JavaScript heap, which the garbage collector lets pile up to tens of megabytes.
  private work = Buffer.allocUnsafe(256 * 1024);
  private pending = 0;
  private line = 1;
  private started = false;
  // Set by quotedRecordEnd: line breaks inside the quoted record it found.
  private innerLines = 0;

  constructor(private readonly sink: RecordSink) {}

  push(chunk: Buffer): void {
    const length = this.pending + chunk.length;
    if (length > this.work.length) {
      const bigger = Buffer.allocUnsafe(Math.max(length, 2 * this.work.length));
      this.work.copy(bigger, 0, 0, this.pending);
      this.work = bigger;
    }
    chunk.copy(this.work, this.pending);
    const buf = this.work.subarray(0, length);
    let pos = 0;
    if (!this.started) {
      if (length < 3) {
        this.pending = length;
        return;
      }
      this.started = true;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3; // UTF-8 byte order mark
    }
    let nextQuote = buf.indexOf(QUOTE, pos);
    while (pos < length) {
      let lineEnd = buf.indexOf(LF, pos);
      if (nextQuote !== -1 && nextQuote < pos) nextQuote = buf.indexOf(QUOTE, pos);
      const hasQuote = nextQuote !== -1 && (lineEnd === -1 || nextQuote < lineEnd);
      this.innerLines = 0;
      if (hasQuote) lineEnd = this.quotedRecordEnd(buf, pos, false);
      if (lineEnd === -1) break;
      this.emit(buf, pos, lineEnd, hasQuote);
      this.line += 1 + this.innerLines;
      pos = lineEnd + 1;
    }
    // The unfinished record may end in the CR of a CRLF whose LF is in the next chunk: not counted.
    const unfinished = length - pos - (length > pos && buf[length - 1] === CR ? 1 : 0);
    if (unfinished > MAX_RECORD_BYTES) this.tooLong(buf.subarray(pos));
    this.work.copy(this.work, 0, pos, length);
    this.pending = length - pos;
  }

  /** The end of the input: the last record may lack a line break. */
  end(): void {
    const buf = this.work.subarray(0, this.pending);
    this.pending = 0;
    if (buf.length === 0) return;
    const hasQuote = buf.indexOf(QUOTE) !== -1;
    if (hasQuote && this.quotedRecordEnd(buf, 0, true) === -1) {
      throw new ScanError(this.line, 'a quoted field is opened here and never closed');
    }
    this.emit(buf, 0, buf.length, hasQuote);
  }

  private emit(buf: Buffer, start: number, lineEnd: number, hasQuote: boolean): void {
    const end = lineEnd > start && buf[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd;
    if (end - start > MAX_RECORD_BYTES) this.tooLong(buf.subarray(start, end));
    this.sink(buf, start, end, this.line, hasQuote);
  }

  private tooLong(record: Buffer): never {
    if (record.indexOf(QUOTE) !== -1 && this.quotedRecordEnd(record, 0, true) === -1) {
      throw new ScanError(this.line, `a quoted field is opened here and not closed within ${MAX_RECORD_BYTES} bytes`);
    }
    throw new ScanError(
      this.line,
      `a record longer than ${MAX_RECORD_BYTES} bytes starts here (is this a CSV file with line breaks?)`,
    );
  }

  /**
   * The line break that ends the record starting at `start`, honouring quotes: -1 when the
   * buffer ends first. At the end of the input (atEnd) it returns buf.length if the record is
   * complete there. A quote opens a quoted field only at the start of a field; elsewhere it is
   * an ordinary character, as with csv-parse's relax_quotes.
   */
  private quotedRecordEnd(buf: Buffer, start: number, atEnd: boolean): number {
    let state = Quoting.FieldStart;
    let lines = 0;
    for (let i = start; i < buf.length; i += 1) {
      const c = buf[i];
      switch (state) {
        case Quoting.Quoted:
          if (c === QUOTE) state = Quoting.QuoteInQuoted;
          else if (c === LF) lines += 1;
          break;
        case Quoting.QuoteInQuoted:
          if (c === QUOTE) state = Quoting.Quoted;
          else if (c === LF) return this.found(i, lines);
          else state = c === COMMA ? Quoting.FieldStart : Quoting.Unquoted;
          break;
        default:
          if (c === LF) return this.found(i, lines);
          if (c === COMMA) state = Quoting.FieldStart;
          else if (c === QUOTE && state === Quoting.FieldStart) state = Quoting.Quoted;
          else state = Quoting.Unquoted;
      }
    }
    return atEnd && state !== Quoting.Quoted ? this.found(buf.length, lines) : -1;
  }

  private found(end: number, lines: number): number {
    this.innerLines = lines;
    return end;
  }
}
