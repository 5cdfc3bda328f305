/**
 * `--help` (or `-h`) of every command, in one shape: what it does, its arguments, the
 * environment it reads, an example. It is answered before any configuration is read, so that it
 * works whatever the environment holds, and it never touches a database.
 */

export interface Usage {
  /** Command lines, e.g. 'npm run load -- [--strict] [--force] [file]'. */
  synopsis: readonly string[];
  /** What the command does, in a few lines. */
  description: string;
  options: readonly (readonly [string, string])[];
  environment: readonly (readonly [string, string])[];
  examples: readonly string[];
}

/** The variables of every command that connects to PostgreSQL. */
export const DATABASE_ENVIRONMENT = [
  ['DATABASE_URL', 'postgres://user:password@host:port/db; wins over the PG* variables'],
  ['PGHOST, PGPORT, PGUSER', 'the server (localhost, 5432, postgres)'],
  ['PGPASSWORD, PGDATABASE', 'password (never logged) and database (the user name)'],
  ['DB_WAIT_TIMEOUT', 'seconds to wait for PostgreSQL at start (60), then exit 4'],
] as const;

/** The variables of every command that reaches the object store (the AWS SDK's own). */
export const S3_ENVIRONMENT = [
  ['AWS_ENDPOINT_URL_S3', 'the S3 server (or AWS_ENDPOINT_URL; unset: the local one of npm start, else AWS)'],
  ['AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY', "its credentials (unset: the SDK's own chain)"],
  ['AWS_REGION', 'its region (us-east-1)'],
  ['S3_FORCE_PATH_STYLE', 'bucket in the path, as local servers need (true when an endpoint is set)'],
] as const;

/** The variables of the ads pipeline's jobs (docs/ads.md). */
export const ADS_ENVIRONMENT = [
  ['ADS_BUCKET', 'the bucket of the backups and archives (ad-data)'],
  ['ADS_API_URL, ADS_API_TIMEOUT', 'what api_load calls (http://127.0.0.1:8001/ads), seconds per call (10)'],
  ['API_LOAD_SCHEDULE, ADS_ARCHIVE_SCHEDULE', 'when api_load (0 * * * *) and ads_archive (30 0 * * *) run'],
] as const;

/** The variables of the event lake's commands and workflows (docs/lake.md). */
export const LAKE_ENVIRONMENT = [
  ['LAKE_URI', 'the lake: a folder (.lakedata) or s3://bucket/prefix'],
  ['LAKE_INBOX', 'where lake_ingest finds new files: a folder (data/events) or s3://bucket/prefix'],
  ['LAKE_MEMORY_MB, LAKE_THREADS', "DuckDB's memory limit (512) and threads (2) for the lake's work"],
  ['LAKE_TMP_DIR', "where the lake's work keeps its DuckDB databases, spill and S3 downloads (the system temp folder)"],
  [
    'LAKE_TARGET_FILE_MB, LAKE_FILE_GRACE',
    'compaction target (128), seconds before replaced or orphan files are deleted (3600)',
  ],
] as const;

/** The variables of every command that reaches the events queue (docs/stream.md). */
export const QUEUE_ENVIRONMENT = [
  ['EVENTS_QUEUE_URL', 'the queue (unset: the one named events on the local server of npm start)'],
  ['AWS_ENDPOINT_URL_SQS', 'the SQS server (or AWS_ENDPOINT_URL; unset: the local one of npm start, else AWS)'],
  ['AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION', "credentials (unset: the SDK's own chain) and region"],
  ['EVENTS_DLQ_NAME', 'its dead-letter queue (<queue>-dlq)'],
] as const;

/** The variables of every command that logs. */
export const LOG_ENVIRONMENT = [
  ['LOG_FORMAT', 'text or json (text)'],
  ['LOG_LEVEL', 'error, warn, info or debug (info)'],
] as const;

/** The variables of every command that writes cron.log. */
export const CRON_LOG_ENVIRONMENT = [
  ['CRON_LOG', 'the log file every run is written to (logs/cron.log)'],
  ['LOG_MAX_SIZE_MB, LOG_MAX_FILES', 'rotate it past this size (10), keeping this many files (5)'],
] as const;

/** The variables of every command that runs workflows. */
export const WORKFLOW_ENVIRONMENT = [
  ['JOB_TIMEOUT', 'seconds any one statement of a run may take (50)'],
  ['ROLLING_AVG_WINDOW_DAYS', 'default window_days of the rolling average (7)'],
  ['ROLLING_AVG_INCLUDE_CURRENT_DAY', 'default include_current_day (true)'],
  ['WORKFLOW_<NAME>_<PARAM>', 'a parameter of a workflow, e.g. WORKFLOW_DAILY_LOAN_TOTALS_DAYS=14'],
] as const;

/** The variables of every command that runs the scheduler. */
export const SCHEDULE_ENVIRONMENT = [
  ['CRON_SCHEDULE, CRON_TIMEZONE', 'when the workflows run (* * * * *, every minute) and in which zone (UTC)'],
  ['SHUTDOWN_TIMEOUT', 'seconds a running job gets to finish after SIGTERM (8)'],
] as const;

export const HELP_OPTION = ['-h, --help', 'print this help and exit'] as const;

/** The synopsis as the first lines of a usage error. */
export function usageLine(synopsis: readonly string[]): string {
  return `usage: ${synopsis.join('\n       ')}`;
}

function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows.map(([name, meaning]) => `  ${name.padEnd(width)}  ${meaning}`);
}

export function formatUsage(usage: Usage): string {
  return [
    usageLine(usage.synopsis),
    '',
    usage.description,
    '',
    'options:',
    ...table([...usage.options, HELP_OPTION]),
    '',
    ...(usage.environment.length === 0
      ? ['environment: none read']
      : ['environment (docs/operations.md, "Configuration"):', ...table(usage.environment)]),
    '',
    usage.examples.length === 1 ? 'example:' : 'examples:',
    ...usage.examples.map((line) => `  ${line}`),
    '',
  ].join('\n');
}

/** Prints the usage on stdout when the arguments ask for it; the caller then stops, exit code 0. */
export function printUsageIfAsked(usage: Usage, args: readonly string[] = process.argv.slice(2)): boolean {
  if (!args.some((arg) => arg === '--help' || arg === '-h')) return false;
  process.stdout.write(formatUsage(usage));
  return true;
}
