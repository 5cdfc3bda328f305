import type { Writable } from 'node:stream';
import {
  DuckDBDecimalValue,
  DuckDBTypeId,
  JsonDuckDBValueConverter,
  type DuckDBType,
  type DuckDBValue,
  type DuckDBValueConverter,
  type Json,
} from '@duckdb/node-api';

/**
 * A query's result on stdout (docs/lake-query.md, "Formats"), streamed chunk by chunk as DuckDB
 * produces it, so that printing a large result does not hold it in memory: csv (RFC 4180) and
 * json (an array of objects) stream everything; table, which must see its rows to align them,
 * prints at most TABLE_MAX_ROWS and says so when there were more.
 */

export const FORMATS = ['table', 'csv', 'json'] as const;
export type OutputFormat = (typeof FORMATS)[number];

export const TABLE_MAX_ROWS = 10_000;

export interface Columns {
  names: readonly string[];
  /** The names made unique (a, a_1): the keys of a JSON object. */
  keys: readonly string[];
  types: readonly DuckDBType[];
}

/** A result's rows, a chunk at a time. */
export type Chunks = AsyncIterable<DuckDBValue[][]>;

export interface Printed {
  rows: number;
  /** The table format stopped at TABLE_MAX_ROWS. */
  truncated: boolean;
}

const INTEGERS = new Set([
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.UHUGEINT,
]);
const NUMBERS = new Set([...INTEGERS, DuckDBTypeId.FLOAT, DuckDBTypeId.DOUBLE, DuckDBTypeId.DECIMAL]);
// Up to 15 significant digits, a decimal number survives the trip through a double.
const EXACT_DECIMAL_DIGITS = 10n ** 15n;

/**
 * JSON values: as DuckDB's own JSON conversion, except that integers of 64 bits and more, and
 * decimals, are numbers when a JSON reader's double holds them exactly, and strings otherwise.
 */
const toJson: DuckDBValueConverter<Json> = (value, type, converter) => {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof DuckDBDecimalValue) {
    const magnitude = value.value < 0n ? -value.value : value.value;
    return magnitude < EXACT_DECIMAL_DIGITS ? Number(value.toString()) : value.toString();
  }
  return JsonDuckDBValueConverter(value, type, converter);
};

/** DuckDB's text of a value, as its CLI and casts to VARCHAR show it; null stays null. */
function toText(value: DuckDBValue): string | null {
  return value === null ? null : String(value);
}

/** RFC 4180: quoted when it holds a comma, a quote or a line break, quotes doubled; NULL is empty, '' is "". */
function csvField(text: string | null): string {
  if (text === null) return '';
  return text === '' || /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** One line per row in the table: control characters shown as escapes. */
function tableCell(text: string | null): string {
  if (text === null) return 'NULL';
  return text.replace(/\p{Cc}/gu, (c) => ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * Writes to out, waiting when it is full. When its reader has gone (`| head`: EPIPE), the rest
 * is not wanted: the printers stop reading the result and end quietly.
 */
class Output {
  private failure: Error | undefined;

  constructor(private readonly out: Writable) {
    out.on('error', (error: Error) => (this.failure ??= error));
  }

  /** False once the reader has gone. */
  async write(text: string): Promise<boolean> {
    if (this.stopped()) return false;
    if (!this.out.write(text)) await this.drained();
    return !this.stopped();
  }

  private stopped(): boolean {
    if (this.failure !== undefined && (this.failure as NodeJS.ErrnoException).code !== 'EPIPE') throw this.failure;
    return this.failure !== undefined || this.out.destroyed;
  }

  /** Until out takes more, or fails, or closes. */
  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        for (const event of ['drain', 'error', 'close']) this.out.off(event, done);
        resolve();
      };
      for (const event of ['drain', 'error', 'close']) this.out.on(event, done);
    });
  }
}

async function printCsv(columns: Columns, chunks: Chunks, out: Output): Promise<Printed> {
  let rows = 0;
  if (!(await out.write(`${columns.names.map(csvField).join(',')}\r\n`))) return { rows, truncated: false };
  for await (const chunk of chunks) {
    const text = chunk.map((row) => `${row.map((value) => csvField(toText(value))).join(',')}\r\n`).join('');
    if (!(await out.write(text))) break;
    rows += chunk.length;
  }
  return { rows, truncated: false };
}

async function printJson({ keys, types }: Columns, chunks: Chunks, out: Output): Promise<Printed> {
  const objectOf = (row: DuckDBValue[]): Record<string, Json> =>
    Object.fromEntries(row.map((value, i) => [keys[i]!, value === null ? null : toJson(value, types[i]!, toJson)]));
  let rows = 0;
  if (!(await out.write('['))) return { rows, truncated: false };
  for await (const chunk of chunks) {
    const text = chunk.map((row, i) => `${rows + i === 0 ? '\n' : ',\n'}${JSON.stringify(objectOf(row))}`).join('');
    if (!(await out.write(text))) return { rows, truncated: false };
    rows += chunk.length;
  }
  await out.write(rows === 0 ? ']\n' : '\n]\n');
  return { rows, truncated: false };
}

async function printTable({ names, types }: Columns, chunks: Chunks, out: Output): Promise<Printed> {
  const right = types.map((type) => NUMBERS.has(type.typeId));
  const cells: string[][] = [];
  let truncated = false;
  for await (const chunk of chunks) {
    for (const row of chunk) {
      if (cells.length === TABLE_MAX_ROWS) {
        truncated = true;
        break;
      }
      cells.push(row.map((value) => tableCell(toText(value))));
    }
    if (truncated) break;
  }
  const widths = names.map((name, i) => Math.max(name.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: readonly string[], align: boolean): string =>
    row
      .map((cell, i) => (align && right[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join(' | ')
      .trimEnd();
  const text = [
    line(names, false),
    widths.map((width) => '-'.repeat(width)).join('-+-'),
    ...cells.map((row) => line(row, true)),
    truncated
      ? `(the first ${TABLE_MAX_ROWS} rows; --format csv or json prints them all)`
      : `(${cells.length} row${cells.length === 1 ? '' : 's'})`,
  ];
  await out.write(`${text.join('\n')}\n`);
  return { rows: cells.length, truncated };
}

export function printResult(columns: Columns, chunks: Chunks, format: OutputFormat, out: Writable): Promise<Printed> {
  const output = new Output(out);
  if (format === 'csv') return printCsv(columns, chunks, output);
  if (format === 'json') return printJson(columns, chunks, output);
  return printTable(columns, chunks, output);
}
