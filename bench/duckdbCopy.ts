import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { duckDbProblem, literal } from '../lake/duckdb';

/**
 * `node dist/bench/duckdbCopy.js <sql file> [name=value …]`: one SQL file run by DuckDB as a person
 * would run it, the reference side of the lake comparison (bench/compareLake.ts, item 10). Each
 * {{name}} of the file becomes the string literal of its value (paths, the type and times of a
 * query); the rows of the result go to stdout as CSV with a header. DuckDB keeps its defaults —
 * an in-memory database, no memory limit set (80% of the machine's memory), a thread per core,
 * spilling to .tmp in the working folder — so that what is measured is DuckDB out of the box.
 */

function fill(sql: string, values: Record<string, string>, file: string): string {
  return sql.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`${file}: no value for {{${name}}}: give ${name}=…`);
    return literal(value);
  });
}

const csvField = (value: unknown): string => {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

async function run(args: readonly string[]): Promise<void> {
  const [file, ...pairs] = args;
  if (file === undefined) throw new Error('usage: node dist/bench/duckdbCopy.js <sql file> [name=value …]');
  const values: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`expected name=value, got ${JSON.stringify(pair)}`);
    values[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const sql = fill(readFileSync(file, 'utf8'), values, file);
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(sql);
    const columns = reader.columnNames();
    const lines = [columns.map(csvField).join(',')];
    for (const row of reader.getRowsJson()) lines.push(row.map(csvField).join(','));
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

if (require.main === module) {
  run(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`duckdbCopy: ${duckDbProblem(error)}\n`);
    process.exitCode = 1;
  });
}
