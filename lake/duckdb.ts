import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { readSql } from '../lib/sqlFiles';

/**
 * DuckDB for the lake's work (sql/lake/duckdb/*.sql): Parquet writing and reading, and JSON. Each
 * piece of work opens its own database, in memory or in a file of its temporary folder, with the
 * memory limit and threads of LAKE_MEMORY_MB and LAKE_THREADS and a spill folder beside it, so
 * that its memory stays bounded whatever the size of the data; closing it frees everything.
 *
 * File paths cannot be bound parameters of COPY or read_parquet, so the .sql files name them as
 * {{name}} and literal() quotes them here, once; every other value is a bound parameter ($1 …).
 */

export interface DuckDbOptions {
  /** A database file (absent: in memory). */
  file?: string;
  memoryLimitMb: number;
  threads: number;
  /** Where DuckDB spills what does not fit in memory. */
  spillDir: string;
}

/** A SQL string literal: the only way a path enters the text of a statement. */
export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A DuckDB list of string literals, e.g. the files of a read_parquet. */
export function literalList(values: readonly string[]): string {
  return `[${values.map(literal).join(', ')}]`;
}

/** The first line of a DuckDB error, and the lines that explain it, without the echo of the statement. */
export function duckDbProblem(error: unknown): string {
  // Duck-typed, not instanceof: DuckDB's errors come from the addon's realm.
  const candidate = (error as { message?: unknown } | null)?.message;
  const message = typeof candidate === 'string' ? candidate : String(error);
  const lines = message.split('\n');
  const echo = lines.findIndex((line) => /^LINE \d+:/.test(line));
  return (echo === -1 ? lines : lines.slice(0, echo))
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ');
}

export class DuckDb {
  private readonly others: DuckDBConnection[] = [];

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
  ) {}

  /** A second connection to the same database, for work that runs while this one appends. */
  async connect(): Promise<DuckDBConnection> {
    const connection = await this.instance.connect();
    await connection.run("SET TimeZone = 'UTC'");
    this.others.push(connection);
    return connection;
  }

  static async open(options: DuckDbOptions): Promise<DuckDb> {
    const instance = await DuckDBInstance.create(options.file ?? ':memory:', {
      memory_limit: `${options.memoryLimitMb}MB`,
      threads: String(options.threads),
      temp_directory: options.spillDir,
      // Rows keep no order the lake relies on; without it DuckDB needs less memory to write.
      preserve_insertion_order: 'false',
      // The lake reads only what the stack gives it; no extension may be fetched behind its back.
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      // Its cache of the files read is for reading them again in the same database, which the
      // lake's work never does; it held ~20 KB per file, 430 MB over the 20,000 small files of
      // an hour a stream's flushes had written, and reading them took half as long again.
      enable_external_file_cache: 'false',
    });
    const connection = await instance.connect();
    // TIMESTAMPTZ values print and convert in UTC, whatever the machine's zone.
    await connection.run("SET TimeZone = 'UTC'");
    return new DuckDb(instance, connection);
  }

  /** The text of sql/lake/duckdb/<name>.sql with its {{placeholders}} filled in. */
  static statement(name: string, literals: Record<string, string> = {}): string {
    return readSql(`lake/duckdb/${name}.sql`).replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
      const value = literals[key];
      if (value === undefined) throw new Error(`sql/lake/duckdb/${name}.sql: no value for {{${key}}}`);
      return value;
    });
  }

  async run(name: string, values: DuckDBValue[] = [], literals: Record<string, string> = {}): Promise<void> {
    await this.connection.run(DuckDb.statement(name, literals), values);
  }

  /** The rows of a statement as plain objects (BIGINT as bigint). */
  async rows<T>(name: string, values: DuckDBValue[] = [], literals: Record<string, string> = {}): Promise<T[]> {
    const reader = await this.connection.runAndReadAll(DuckDb.statement(name, literals), values);
    return reader.getRowObjects() as T[];
  }

  /** The rows of any SQL text, for the query command. */
  async rowsOf(sql: string): Promise<{ columns: string[]; rows: Record<string, unknown>[] }> {
    const reader = await this.connection.runAndReadAll(sql);
    return { columns: reader.columnNames(), rows: reader.getRowObjectsJson() as Record<string, unknown>[] };
  }

  appender(table: string): Promise<DuckDBAppender> {
    return this.connection.createAppender(table);
  }

  close(): void {
    for (const connection of this.others) connection.closeSync();
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
