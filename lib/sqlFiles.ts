import type { QueryResult, QueryResultRow } from 'pg';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * SQL lives in .sql files under sql/ so that a person can run it by hand; the code only reads
 * them. The project root is found from this file's location, which works both from the sources
 * (tests) and from the compiled dist/ (containers, npm scripts).
 */

function findProjectRoot(start: string): string {
  let dir = start;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}: cannot find the sql/ folder`);
    dir = parent;
  }
  return dir;
}

export const projectRoot = findProjectRoot(__dirname);
export const sqlDir = path.join(projectRoot, 'sql');

const cache = new Map<string, string>();

/** The text of sql/<relativePath>. */
export function readSql(relativePath: string): string {
  let text = cache.get(relativePath);
  if (text === undefined) {
    text = readFileSync(path.join(sqlDir, relativePath), 'utf8');
    cache.set(relativePath, text);
  }
  return text;
}

/** The .sql files of one folder under sql/, sorted by name. */
export function listSqlFiles(relativeDir: string): string[] {
  return readdirSync(path.join(sqlDir, relativeDir))
    .filter((name) => name.endsWith('.sql'))
    .sort();
}

interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

/** Where in the file a PostgreSQL error points, as line:column, from its 1-based character position. */
function locate(text: string, position: unknown): string {
  const offset = Number(position);
  if (!Number.isInteger(offset) || offset < 1) return '';
  const before = text.slice(0, offset - 1).split('\n');
  return `:${before.length}:${before[before.length - 1]!.length + 1}`;
}

/**
 * Runs sql/<relativePath> with bound values. An error names the file and, when PostgreSQL says
 * where, the line and column; its SQLSTATE stays in `code` so callers can still match on it.
 */
export async function querySqlFile<R extends QueryResultRow = QueryResultRow>(
  db: Queryable,
  relativePath: string,
  values?: unknown[],
): Promise<QueryResult<R>> {
  const text = readSql(relativePath);
  try {
    return await db.query<R>(text, values);
  } catch (error) {
    const pgError = error as {
      message?: string;
      code?: string;
      position?: string;
    };
    if (typeof pgError.code !== 'string' || pgError.code.length !== 5) throw error;
    throw Object.assign(
      new Error(`sql/${relativePath}${locate(text, pgError.position)}: ${pgError.message}`, { cause: error }),
      {
        code: pgError.code,
      },
    );
  }
}
