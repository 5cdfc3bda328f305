import path from 'node:path';
import { projectRoot } from '../lib/sqlFiles';
import { benchSqlPath, queryBenchSql } from './benchSql';
import { measureProcess } from './measureProcess';
import type { Sample } from './pairs';
import type { BenchDatabase } from './postgres';

/**
 * The commands under test, exactly as a person runs them: `node dist/…` with DATABASE_URL in
 * the environment, and psql with the database's URL. Each returns what it measured.
 */

export const JOB = 'default_liquidation_rolling_avg_hist';

/**
 * Generous, so that the largest rebuilds are not cut off by the default of 50 s: the benchmark
 * measures how long they take, not whether they fit a minute. Said in the report.
 */
export const JOB_TIMEOUT_SECONDS = 3600;

/** What psql's side of the loader comparison loads: loans' columns and key, no triggers (bench/sql/plain_loans.sql). */
export const PLAIN_LOANS = 'bench_plain_loans';

/** Only what the commands need: nothing of the caller's own PG* settings leaks in (no database: none at all). */
export function commandEnv(db: BenchDatabase | undefined, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    ...(process.env.HOME !== undefined ? { HOME: process.env.HOME } : {}),
    ...(db === undefined ? {} : { DATABASE_URL: db.url }),
    JOB_TIMEOUT: String(JOB_TIMEOUT_SECONDS),
    ...extra,
  };
}

function compiled(entry: string): string {
  return path.join('dist', entry);
}

export interface LoaderRun extends Sample {
  /** The loader's one-line summary ("loaded …: N rows read, …", or "… unchanged since load N …"). */
  summary: string;
}

/** `node dist/loader/main.js <file>`. */
export async function runLoader(db: BenchDatabase, file: string): Promise<LoaderRun> {
  const run = await measureProcess(process.execPath, [compiled('loader/main.js'), file], {
    env: commandEnv(db),
    cwd: projectRoot,
  });
  const summary =
    /(?:loaded .*: \d+ rows read|\S+ and loans are unchanged since load \d+).*$/m.exec(run.stdout)?.[0] ?? '';
  return { wallMs: run.wallMs, peakRssBytes: run.peakRssBytes, summary };
}

/** `psql "<url>" -c "\copy bench_plain_loans FROM '<file>' WITH (FORMAT csv, HEADER true)"`. */
export async function runPsqlCopy(psql: string, db: BenchDatabase, file: string): Promise<Sample> {
  const copy = `\\copy ${PLAIN_LOANS} FROM '${file.replace(/'/g, "''")}' WITH (FORMAT csv, HEADER true)`;
  const run = await measureProcess(psql, [db.url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', copy], {
    env: commandEnv(db),
    cwd: projectRoot,
  });
  return { wallMs: run.wallMs, peakRssBytes: run.peakRssBytes };
}

/** `psql "<url>" -f bench/sql/rebuild_reference.sql`: the bare CREATE TABLE … AS SELECT. */
export async function runPsqlReference(psql: string, db: BenchDatabase): Promise<Sample> {
  const run = await measureProcess(
    psql,
    [db.url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', benchSqlPath('rebuild_reference.sql')],
    { env: commandEnv(db), cwd: projectRoot },
  );
  return { wallMs: run.wallMs, peakRssBytes: run.peakRssBytes };
}

/** The job command line's arguments for a run with these parameters. */
export function jobArgs(params: readonly string[] = []): string[] {
  return [compiled('scheduler/cli.js'), JOB, ...params.flatMap((p) => ['--param', p])];
}

/** `node dist/scheduler/cli.js default_liquidation_rolling_avg_hist [--param …]`, and what job_runs recorded. */
export async function runJob(db: BenchDatabase, params: readonly string[] = []): Promise<Sample> {
  const run = await measureProcess(process.execPath, jobArgs(params), { env: commandEnv(db), cwd: projectRoot });
  const recorded = (
    await queryBenchSql<{ status: string; duration_ms: number | null; error: string | null }>(
      db.pool,
      'last_job_run.sql',
      [JOB],
    )
  ).rows[0];
  if (recorded?.status !== 'succeeded') {
    throw new Error(
      `the job's last run is ${recorded?.status ?? 'missing'}: ${recorded?.error ?? 'no error recorded'}`,
    );
  }
  return { wallMs: run.wallMs, peakRssBytes: run.peakRssBytes, recordedMs: recorded.duration_ms ?? undefined };
}

/**
 * `node dist/scheduler/cli.js <ads_archive | ads_restore> [--param …]` against the bench's S3
 * server (its AWS_* variables in s3Env), and what job_runs recorded.
 */
export async function runAdsJob(
  db: BenchDatabase,
  job: 'ads_archive' | 'ads_restore',
  params: readonly string[],
  s3Env: Record<string, string>,
): Promise<Sample> {
  const run = await measureProcess(
    process.execPath,
    [compiled('scheduler/cli.js'), job, ...params.flatMap((p) => ['--param', p])],
    { env: commandEnv(db, s3Env), cwd: projectRoot },
  );
  const recorded = (
    await queryBenchSql<{ status: string; duration_ms: number | null; error: string | null }>(
      db.pool,
      'last_job_run.sql',
      [job],
    )
  ).rows[0];
  if (recorded?.status !== 'succeeded') {
    throw new Error(`${job}'s last run is ${recorded?.status ?? 'missing'}: ${recorded?.error ?? 'no error recorded'}`);
  }
  return { wallMs: run.wallMs, peakRssBytes: run.peakRssBytes, recordedMs: recorded.duration_ms ?? undefined };
}

/**
 * `psql "<url>" -c "\copy (<query>) TO STDOUT" | gzip > <file>`: what a person types to get the
 * same rows as the archive, through sh as typed. The pipeline's exit status is gzip's, so the
 * caller checks the file.
 */
export async function runPsqlCopyToGzip(psql: string, db: BenchDatabase, query: string, file: string): Promise<Sample> {
  const copy = `\\copy (${query}) TO STDOUT`;
  const run = await measureProcess(
    '/bin/sh',
    ['-c', '"$0" "$1" -X -q -v ON_ERROR_STOP=1 -c "$2" | gzip > "$3"', psql, db.url, copy, file],
    { env: commandEnv(db), cwd: projectRoot },
  );
  // What was polled is the shell's memory, not psql's or gzip's: not worth reporting.
  return { wallMs: run.wallMs, peakRssBytes: undefined };
}

export interface OutputRun extends Sample {
  stdout: string;
}

/**
 * `node dist/bench/duckdbCopy.js bench/sql/<file> name=value …`: DuckDB with its defaults over one
 * SQL file (bench/duckdbCopy.ts). Run in `cwd`, where DuckDB spills (.tmp) if it must.
 */
export async function runDuckdbSql(sqlFile: string, values: Record<string, string>, cwd: string): Promise<OutputRun> {
  const run = await measureProcess(
    process.execPath,
    [
      path.join(projectRoot, compiled('bench/duckdbCopy.js')),
      benchSqlPath(sqlFile),
      ...Object.entries(values).map(([name, value]) => `${name}=${value}`),
    ],
    { env: commandEnv(undefined), cwd },
  );
  return { wallMs: run.wallMs, peakRssBytes: run.peakRssBytes, stdout: run.stdout };
}

/**
 * `node dist/lake/main.js <command> …` with the lake at `lakeFolder` and its catalog in `db`;
 * its log as JSON lines (LOG_FORMAT=json) so that the bench can read the ingest's phases.
 */
export async function runLake(
  db: BenchDatabase,
  lakeFolder: string,
  tempFolder: string,
  args: readonly string[],
): Promise<OutputRun & { stderr: string }> {
  const run = await measureProcess(process.execPath, [compiled('lake/main.js'), ...args], {
    env: commandEnv(db, { LAKE_URI: lakeFolder, LAKE_TMP_DIR: tempFolder, LOG_FORMAT: 'json' }),
    cwd: projectRoot,
  });
  return { wallMs: run.wallMs, peakRssBytes: run.peakRssBytes, stdout: run.stdout, stderr: run.stderr };
}

/** `node dist/events/main.js generate …`: the seeded event generator (docs/events-generator.md). */
export async function runEventGenerator(args: readonly string[]): Promise<Sample> {
  const run = await measureProcess(process.execPath, [compiled('events/main.js'), 'generate', ...args], {
    env: commandEnv(undefined, { LOG_LEVEL: 'warn' }),
    cwd: projectRoot,
  });
  return { wallMs: run.wallMs, peakRssBytes: run.peakRssBytes };
}
