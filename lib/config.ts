import path from 'node:path';
import { validateDetailed } from 'node-cron';
import { runningServerConnection } from './embeddedPostgres';
import { ConfigError, describeError } from './errors';
import { projectRoot } from './sqlFiles';

/**
 * Every setting of the stack, read from the environment and validated in this one place. A
 * wrong value fails at start-up with one message that names every bad variable at once.
 * docs/operations.md, "Configuration", lists the same variables (test/docs.test.ts checks it).
 */

export interface DatabaseConfig {
  /** DATABASE_URL when set, which then wins over the PG* variables (the fields below are read from it). */
  connectionString?: string;
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  /** Where these settings came from, for the first log line of every command. */
  origin?: string;
}

export type LogFormat = 'text' | 'json';
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface Config {
  database: DatabaseConfig;
  dbWaitTimeoutMs: number;
  cronSchedule: string;
  cronTimezone: string;
  cronLogPath: string;
  logFormat: LogFormat;
  logLevel: LogLevel;
  logMaxSizeBytes: number;
  logMaxFiles: number;
  shutdownTimeoutMs: number;
  jobTimeoutMs: number;
  /** Parameters of the scheduled rolling-average job for this deployment. */
  rollingAverage: { windowDays: number; includeCurrentDay: boolean };
  /** WORKFLOW_<NAME>_<PARAM> variables: parameters of workflows for this deployment, checked against each workflow when it runs. */
  workflowParams: Record<string, string>;
  /** dataDir is absolute: resolved from the project folder, so that every command finds the same one. */
  embedded: { dataDir: string; port: number; password: string };
}

type Env = Record<string, string | undefined>;

class Reader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  string(name: string, fallback: string): string {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? fallback : value.trim();
  }

  optional(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === '' ? undefined : value;
  }

  integer(name: string, fallback: number, min: number, max: number, unit = ''): number {
    const raw = this.env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const value = Number(raw.trim());
    if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
      this.problems.push(`${name}=${JSON.stringify(raw)}: expected a whole number${unit} from ${min} to ${max}`);
      return fallback;
    }
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.string(name, String(fallback)).toLowerCase();
    if (raw !== 'true' && raw !== 'false') {
      this.problems.push(`${name}=${JSON.stringify(this.env[name])}: expected true or false`);
      return fallback;
    }
    return raw === 'true';
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const value = this.string(name, fallback).toLowerCase();
    if (!(allowed as readonly string[]).includes(value)) {
      this.problems.push(`${name}=${JSON.stringify(this.env[name])}: expected one of ${allowed.join(', ')}`);
      return fallback;
    }
    return value as T;
  }
}

/** The variables that choose the database besides DATABASE_URL. */
const PG_VARIABLES = ['PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE'] as const;

// Host names that reach a server on this machine, where the embedded server of `npm start` listens.
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1']);

/**
 * DATABASE_URL, else the PG* variables, else the defaults; and the embedded server of this
 * checkout (npm start, data in embeddedDir) when it runs and nothing says otherwise (issue 2):
 * with no variable set, or with PG* variables that point at it (this machine, its port) but name
 * no database, which would otherwise be `postgres` instead of its `analytics`.
 */
function readDatabase(read: Reader, embeddedDir: string): DatabaseConfig {
  const given = PG_VARIABLES.filter((name) => read.optional(name) !== undefined);
  const user = read.string('PGUSER', 'postgres');
  const config: DatabaseConfig = {
    host: read.string('PGHOST', 'localhost'),
    port: read.integer('PGPORT', 5432, 1, 65535),
    user,
    database: read.string('PGDATABASE', user),
    origin:
      given.length === 0
        ? 'the defaults (no DATABASE_URL or PG* variable is set, and no embedded server of this checkout runs)'
        : `the PG* variables (${given.join(', ')}; defaults for the rest)`,
  };
  const password = read.optional('PGPASSWORD');
  if (password !== undefined) config.password = password;
  const url = read.optional('DATABASE_URL');
  if (url !== undefined) return readDatabaseUrl(read, url, config);
  if (given.includes('PGDATABASE')) return config;

  let embedded: ReturnType<typeof runningServerConnection>;
  try {
    embedded = runningServerConnection(embeddedDir);
  } catch (error) {
    read.problems.push(describeError(error));
    return config;
  }
  if (embedded === undefined) return config;
  const ours = embedded.database;
  if (given.length === 0) return { ...ours, origin: `the embedded server of this checkout (${embedded.file})` };
  if (!LOCAL_HOSTS.has(config.host) || config.port !== ours.port) return config;
  const taken = ['database'];
  config.database = ours.database;
  if (!given.includes('PGUSER')) {
    taken.push('user');
    config.user = ours.user;
  }
  // Its password is the password of its user only.
  if (!given.includes('PGPASSWORD') && config.user === ours.user) {
    taken.push('password');
    config.password = ours.password;
  }
  const settings = taken.length === 1 ? taken[0] : `${taken.slice(0, -1).join(', ')} and ${taken.at(-1)}`;
  config.origin =
    `the PG* variables (${given.join(', ')}), which point at the embedded server of this checkout: ` +
    `${settings} from ${embedded.file}`;
  return config;
}

/** The settings of DATABASE_URL; what it leaves out comes from the PG* variables or the defaults, where pg looks too. */
function readDatabaseUrl(read: Reader, url: string, pg: DatabaseConfig): DatabaseConfig {
  let parsed: URL | undefined;
  try {
    parsed = /^postgres(ql)?:\/\//.test(url) ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined) {
    read.problems.push('DATABASE_URL: expected a postgres:// or postgresql:// URL');
    return pg;
  }
  const user = decodeURIComponent(parsed.username) || pg.user;
  const config: DatabaseConfig = {
    connectionString: url,
    host: parsed.hostname || pg.host,
    port: parsed.port === '' ? pg.port : Number(parsed.port),
    user,
    database: decodeURIComponent(parsed.pathname.slice(1)) || read.string('PGDATABASE', user),
    origin: 'DATABASE_URL',
  };
  const password = parsed.password === '' ? pg.password : decodeURIComponent(parsed.password);
  if (password !== undefined) config.password = password;
  return config;
}

function readCronSchedule(read: Reader): string {
  const schedule = read.string('CRON_SCHEDULE', '* * * * *');
  const check = validateDetailed(schedule);
  if (!check.valid) {
    const why = check.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    read.problems.push(
      `CRON_SCHEDULE=${JSON.stringify(schedule)}: not a cron expression (${why}); expected 5 fields, or 6 with seconds first, e.g. "* * * * *"`,
    );
  }
  return schedule;
}

function readTimezone(read: Reader): string {
  const zone = read.string('CRON_TIMEZONE', 'UTC');
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    read.problems.push(`CRON_TIMEZONE=${JSON.stringify(zone)}: not an IANA time zone such as UTC or Europe/Paris`);
  }
  return zone;
}

export function readConfig(env: Env = process.env): Config {
  const read = new Reader(env);
  const embedded = {
    dataDir: path.resolve(projectRoot, read.string('EMBEDDED_PG_DIR', '.pgdata')),
    port: read.integer('EMBEDDED_PG_PORT', 54320, 1, 65535),
    password: read.string('EMBEDDED_PG_PASSWORD', 'postgres'),
  };
  const config: Config = {
    database: readDatabase(read, embedded.dataDir),
    dbWaitTimeoutMs: read.integer('DB_WAIT_TIMEOUT', 60, 0, 86400, ' of seconds') * 1000,
    cronSchedule: readCronSchedule(read),
    cronTimezone: readTimezone(read),
    cronLogPath: read.string('CRON_LOG', 'logs/cron.log'),
    logFormat: read.oneOf('LOG_FORMAT', 'text', ['text', 'json'] as const),
    logLevel: read.oneOf('LOG_LEVEL', 'info', ['error', 'warn', 'info', 'debug'] as const),
    logMaxSizeBytes: read.integer('LOG_MAX_SIZE_MB', 10, 1, 10240, ' of MB') * 1024 * 1024,
    logMaxFiles: read.integer('LOG_MAX_FILES', 5, 1, 1000),
    shutdownTimeoutMs: read.integer('SHUTDOWN_TIMEOUT', 8, 0, 3600, ' of seconds') * 1000,
    jobTimeoutMs: read.integer('JOB_TIMEOUT', 50, 1, 86400, ' of seconds') * 1000,
    rollingAverage: {
      windowDays: read.integer('ROLLING_AVG_WINDOW_DAYS', 7, 1, 3660),
      includeCurrentDay: read.boolean('ROLLING_AVG_INCLUDE_CURRENT_DAY', true),
    },
    workflowParams: Object.fromEntries(
      Object.entries(env).filter(
        (entry): entry is [string, string] => entry[0].startsWith('WORKFLOW_') && entry[1] !== undefined,
      ),
    ),
    embedded,
  };
  if (read.problems.length > 0) {
    throw new ConfigError(`invalid configuration: ${read.problems.join('; ')}`);
  }
  return config;
}

function formatUrl(db: DatabaseConfig, secret: string | undefined): string {
  const password = secret === undefined ? '' : `:${secret}`;
  return `postgresql://${encodeURIComponent(db.user)}${password}@${db.host}:${db.port}/${encodeURIComponent(db.database)}`;
}

/** A connection string safe to print: the password, wherever it came from, is masked. */
export function describeDatabase(db: DatabaseConfig): string {
  if (db.connectionString !== undefined) {
    try {
      const url = new URL(db.connectionString);
      if (url.password !== '') url.password = '*****';
      return url.toString();
    } catch {
      return 'DATABASE_URL (unparsable, not shown)';
    }
  }
  return formatUrl(db, db.password === undefined ? undefined : '*****');
}

/** The connection URL with its password: for the banner of npm start, never for a log line. */
export function connectionUrl(db: DatabaseConfig): string {
  return formatUrl(db, db.password === undefined ? undefined : encodeURIComponent(db.password));
}

/** The first log line of every command: which database, as whom, and where that came from; never the password. */
export function describeConnection(db: DatabaseConfig): Record<string, string | number> {
  return {
    host: db.host,
    port: db.port,
    database: db.database,
    user: db.user,
    ...(db.origin === undefined ? {} : { from: db.origin }),
  };
}
