import { createReadStream, readFileSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { QueryResult, QueryResultRow } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { withClient, type Pool } from '../lib/db';
import { projectRoot } from '../lib/sqlFiles';

/** The benchmark's own SQL lives in bench/sql/, files a person can paste into psql like the rest. */

export function benchSqlPath(name: string): string {
  return path.join(projectRoot, 'bench', 'sql', name);
}

export function queryBenchSql<R extends QueryResultRow = QueryResultRow>(
  pool: Pool,
  name: string,
  params: unknown[] = [],
): Promise<QueryResult<R>> {
  return pool.query<R>(readFileSync(benchSqlPath(name), 'utf8'), params);
}

/** Not timed: the previous run's dirty pages written out, so that the next run does not pay for them. */
export async function checkpoint(db: { pool: Pool }): Promise<void> {
  // CHECKPOINT needs superuser or pg_checkpoint; on a server where we have neither, go without.
  await db.pool.query('CHECKPOINT').catch(() => undefined);
}

/**
 * Setup, not measured: a loans file straight into `loans` with COPY, no validation, no psql
 * needed. For the databases of the job comparisons, whose loans must be there before timing starts.
 */
export async function copyFileIntoLoans(pool: Pool, file: string): Promise<void> {
  await withClient(pool, async (client) => {
    const copy = client.query(
      copyFrom(
        'COPY loans (repayment_date, number_of_loans, defaults, liquidations) FROM STDIN WITH (FORMAT csv, HEADER true)',
      ),
    );
    await pipeline(createReadStream(file), copy);
  });
}
