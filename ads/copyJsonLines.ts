import { Transform, type TransformCallback } from 'node:stream';

/**
 * JSON Lines through COPY's text format, both ways, for a COPY of one column that holds JSON
 * text. COPY escapes a backslash as two and control characters as backslash sequences; JSON text
 * has no raw control character (JSON escapes them itself), so in such a column a doubled
 * backslash is the only escape COPY can write. Bytes are handled as bytes: in UTF-8 the bytes of
 * `\` and of a newline never occur inside another character.
 */

const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;

function countNewlines(chunk: Buffer): number {
  let count = 0;
  for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, i + 1)) count += 1;
  return count;
}

/** COPY … TO STDOUT of JSON text → JSON Lines: each `\\` back to `\`, the rows counted. */
export class JsonLinesFromCopy extends Transform {
  /** Rows passed on so far: what the archive compares with the rows COPY reports. */
  rows = 0;
  // A chunk that ended between the two backslashes of one escape.
  private halfEscape = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (chunk.length === 0) return done();
    const pieces: Buffer[] = [];
    let start = 0;
    if (this.halfEscape) {
      if (chunk[0] !== BACKSLASH) return done(this.unexpected(chunk[0]));
      this.halfEscape = false;
      start = 1;
    }
    for (let at = chunk.indexOf(BACKSLASH, start); at !== -1; at = chunk.indexOf(BACKSLASH, start)) {
      // Keep the first backslash of the pair, drop the second.
      pieces.push(chunk.subarray(start, at + 1));
      if (at + 1 === chunk.length) {
        this.halfEscape = true;
        start = chunk.length;
        break;
      }
      if (chunk[at + 1] !== BACKSLASH) return done(this.unexpected(chunk[at + 1]));
      start = at + 2;
    }
    if (start < chunk.length) pieces.push(chunk.subarray(start));
    this.rows += countNewlines(chunk);
    done(null, pieces.length === 1 ? pieces[0] : Buffer.concat(pieces));
  }

  override _flush(done: TransformCallback): void {
    done(this.halfEscape ? new Error('COPY output ended inside an escape: the stream was cut') : null);
  }

  private unexpected(byte: number | undefined): Error {
    const escape = byte === undefined ? '' : String.fromCharCode(byte);
    return new Error(`COPY wrote the escape \\${escape}, which JSON text cannot produce: the column is not JSON text`);
  }
}

/** JSON Lines → COPY … FROM STDIN of one JSON column: each `\` doubled. */
export class JsonLinesToCopy extends Transform {
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const pieces: Buffer[] = [];
    let start = 0;
    for (let at = chunk.indexOf(BACKSLASH); at !== -1; at = chunk.indexOf(BACKSLASH, at + 1)) {
      // The backslash goes out twice: once closing this piece, once opening the next.
      pieces.push(chunk.subarray(start, at + 1));
      start = at;
    }
    pieces.push(chunk.subarray(start));
    done(null, pieces.length === 1 ? pieces[0] : Buffer.concat(pieces));
  }
}
