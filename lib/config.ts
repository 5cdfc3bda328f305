import os from 'node:os';
import path from 'node:path';
import { validateDetailed } from 'node-cron';
import { runningServerConnection } from './embeddedPostgres';
import { runningLocalS3 } from './localS3';
import { LOCAL_SQS_CREDENTIALS, runningLocalSqs } from './localSqs';
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
  /** The S3-compatible object store every pipeline that keeps files uses (lib/objectStore.ts). */
  s3: S3Config;
  /** The local S3 server of `npm start` (s3rver): its folder (absolute, like embedded.dataDir) and port. */
  embeddedS3: { dataDir: string; port: number };
  /** The ads pipeline (docs/ads.md): its API service, where api_load calls it, its bucket and schedules. */
  ads: AdsConfig;
  /** The event lake (docs/lake.md). */
  lake: LakeConfig;
  /** Events over a queue into the lake (docs/stream.md). */
  stream: StreamConfig;
  /** The local SQS server of `npm start` (fauxqs): its folder (for server.json only) and port. */
  embeddedSqs: { dataDir: string; port: number };
  /** The dashboard (docs/dashboard.md). */
  web: WebConfig;
}

export interface WebConfig {
  /** Where it listens: 127.0.0.1 unless WEB_HOST says otherwise (0.0.0.0 inside its container). */
  host: string;
  port: number;
  /** Basic auth, when WEB_USER and WEB_PASSWORD are both set. */
  auth?: { user: string; password: string };
  /** How often a page refreshes its changing parts in the browser; 0: never. */
  refreshSeconds: number;
}

export interface StreamConfig {
  /** EVENTS_QUEUE_URL, or the local queue of this checkout when npm start runs one; absent: neither. */
  queueUrl?: string;
  /** The queue's name (the URL's last segment) and its dead-letter queue's (EVENTS_DLQ_NAME). */
  queueName: string;
  dlqName: string;
  /** AWS_ENDPOINT_URL_SQS or AWS_ENDPOINT_URL, or the local server's; absent: AWS itself. */
  endpoint?: string;
  region: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Where the queue came from, for the first log line. */
  origin: string;
  /** A consumer flushes its buffer to the lake at this many bytes of events, or when its oldest is this old. */
  flushMaxBytes: number;
  flushMaxAgeMs: number;
  /** Receive calls a consumer keeps open at once. */
  pollers: number;
  /** Given to a queue the stack creates (an existing one keeps its own): redelivery after, and the DLQ after this many receives. */
  visibilityTimeoutS: number;
  maxReceiveCount: number;
  /** The producer `npm start` runs alongside its consumer, in events per second; 0: none. */
  producerRate: number;
}

/** Where the lake's files are: a folder (absolute), or a bucket and a key prefix ('' or ending in '/'). */
export type LakeLocation = { kind: 'folder'; root: string } | { kind: 's3'; bucket: string; prefix: string };

export interface LakeConfig {
  /** LAKE_URI as given, for log lines. */
  uri: string;
  location: LakeLocation;
  /** What lake_ingest takes new files from (LAKE_INBOX): a folder or s3:// prefix, like the ingest command's arguments. */
  inbox: string;
  /** DuckDB's memory limit and threads for the lake's work: what bounds an ingest's memory. */
  memoryLimitMb: number;
  threads: number;
  /** Where DuckDB spills and an ingest stages its files (absolute); a folder lake stages inside its root instead, so files arrive by rename. */
  tempDir: string;
  /** LAKE_CACHE_MB: how much of an S3 lake a consumer keeps copies of under tempDir (0: none). */
  cacheBytes: number;
  /** What compaction aims for. */
  targetFileBytes: number;
  /** How long a file replaced by compaction, or a file no catalog row names, is kept before maintenance deletes it. */
  fileGraceMs: number;
  /** How long one task of a lake workflow may take (an ingest of one source, a compaction, a day of KPIs). */
  taskTimeoutMs: number;
  ingestSchedule: string;
  compactSchedule: string;
  maintenanceSchedule: string;
  kpisSchedule: string;
}

export interface S3Config {
  /** AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL; absent: AWS itself. */
  endpoint?: string;
  region: string;
  /** Absent: the SDK's own chain (profile, instance role, …). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** bucket in the path, not the host name: what local servers need (S3_FORCE_PATH_STYLE). */
  forcePathStyle: boolean;
  /** Where the endpoint came from, for the first log line. */
  origin: string;
}

export interface AdsConfig {
  /** The API service (npm run ads-api): where it listens, and the seed of what it returns (absent: a new one each start, logged). */
  api: { host: string; port: number; seed?: number };
  /** What api_load calls. */
  apiUrl: string;
  apiTimeoutMs: number;
  bucket: string;
  apiLoadSchedule: string;
  archiveSchedule: string;
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

function readCronSchedule(read: Reader, name = 'CRON_SCHEDULE', fallback = '* * * * *'): string {
  const schedule = read.string(name, fallback);
  const check = validateDetailed(schedule);
  if (!check.valid) {
    const why = check.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    read.problems.push(
      `${name}=${JSON.stringify(schedule)}: not a cron expression (${why}); expected 5 fields, or 6 with seconds first, e.g. "${fallback}"`,
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

// S3's rules for a bucket name: 3 to 63 lower-case letters, digits, dots and hyphens, a letter or digit at each end.
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function readUrl(read: Reader, name: string, fallback?: string): string | undefined {
  const value = read.optional(name)?.trim() ?? fallback;
  if (value === undefined) return undefined;
  let ok = false;
  try {
    ok = ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    ok = false;
  }
  if (!ok) read.problems.push(`${name}=${JSON.stringify(value)}: expected an http:// or https:// URL`);
  return value;
}

/**
 * The AWS SDK's own variables; with none naming an endpoint, the local S3 server of this
 * checkout when `npm start` runs one (as for PostgreSQL), else AWS itself.
 */
function readS3(read: Reader, embeddedDir: string): S3Config {
  const region = read.string('AWS_REGION', read.string('AWS_DEFAULT_REGION', 'us-east-1'));
  const accessKeyId = read.optional('AWS_ACCESS_KEY_ID');
  const secretAccessKey = read.optional('AWS_SECRET_ACCESS_KEY');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    read.problems.push('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: set both or neither');
  }
  const given = ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL'].find((name) => read.optional(name) !== undefined);
  let endpoint = given === undefined ? undefined : readUrl(read, given);
  let origin =
    given ?? 'AWS (no AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL is set, and no local S3 server of this checkout runs)';
  let credentials =
    accessKeyId !== undefined && secretAccessKey !== undefined ? { accessKeyId, secretAccessKey } : undefined;
  if (given === undefined) {
    let local: ReturnType<typeof runningLocalS3>;
    try {
      local = runningLocalS3(embeddedDir);
    } catch (error) {
      read.problems.push(describeError(error));
    }
    if (local !== undefined) {
      endpoint = local.endpoint;
      origin = `the local S3 server of this checkout (${local.file})`;
      credentials ??= local.credentials;
    }
  }
  return {
    ...(endpoint === undefined ? {} : { endpoint }),
    region,
    ...(credentials === undefined ? {} : { credentials }),
    forcePathStyle: read.boolean('S3_FORCE_PATH_STYLE', endpoint !== undefined),
    origin,
  };
}

const DEFAULT_QUEUE = 'events';
// Queue names: SQS allows 1 to 80 letters, digits, hyphens and underscores.
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;

function readQueueName(read: Reader, name: string, value: string): string {
  if (!QUEUE_NAME.test(value)) {
    read.problems.push(
      `${name}: ${JSON.stringify(value)} is not an SQS queue name (1 to 80 of A-Z, a-z, 0-9, '-', '_')`,
    );
  }
  return value;
}

/** The local SQS server of this checkout, when npm start runs one; a state file it cannot read is a problem. */
function localSqs(read: Reader, embeddedDir: string): ReturnType<typeof runningLocalSqs> {
  try {
    return runningLocalSqs(embeddedDir);
  } catch (error) {
    read.problems.push(describeError(error));
    return undefined;
  }
}

/**
 * EVENTS_QUEUE_URL and the SDK's variables, as for S3: with no endpoint set, the local SQS
 * server of this checkout when npm start runs one, and its queue named `events` when no URL is
 * given either.
 */
function readStream(read: Reader, s3: S3Config, embeddedDir: string): StreamConfig {
  const givenUrl = read.optional('EVENTS_QUEUE_URL');
  const endpointVariable = ['AWS_ENDPOINT_URL_SQS', 'AWS_ENDPOINT_URL'].find(
    (name) => read.optional(name) !== undefined,
  );
  let endpoint = endpointVariable === undefined ? undefined : readUrl(read, endpointVariable);
  let credentials = s3.credentials;
  let queueUrl = givenUrl === undefined ? undefined : readUrl(read, 'EVENTS_QUEUE_URL');
  let origin =
    givenUrl === undefined
      ? 'nowhere (no EVENTS_QUEUE_URL is set, and no local SQS server of this checkout runs)'
      : 'EVENTS_QUEUE_URL';
  const local = endpointVariable === undefined ? localSqs(read, embeddedDir) : undefined;
  if (local !== undefined) {
    endpoint = local.endpoint;
    // fauxqs takes any key: the S3 one, or one that spares the SDK a search of the machine.
    credentials ??= { ...LOCAL_SQS_CREDENTIALS };
    queueUrl ??= `${local.endpoint}/000000000000/${DEFAULT_QUEUE}`;
    origin = `${givenUrl === undefined ? 'the queue' : 'EVENTS_QUEUE_URL'} on the local SQS server of this checkout (${local.file})`;
  }
  const queueName = readQueueName(
    read,
    'EVENTS_QUEUE_URL',
    queueUrl?.replace(/\/+$/, '').split('/').at(-1) ?? DEFAULT_QUEUE,
  );
  return {
    ...(queueUrl === undefined ? {} : { queueUrl }),
    queueName,
    dlqName: readQueueName(read, 'EVENTS_DLQ_NAME', read.string('EVENTS_DLQ_NAME', `${queueName}-dlq`)),
    ...(endpoint === undefined ? {} : { endpoint }),
    region: s3.region,
    ...(credentials === undefined ? {} : { credentials }),
    origin,
    flushMaxBytes: read.integer('EVENTS_FLUSH_MAX_BYTES', 16 * 1024 * 1024, 1024, 1024 * 1024 * 1024, ' of bytes'),
    flushMaxAgeMs: read.integer('EVENTS_FLUSH_MAX_AGE', 30, 1, 3600, ' of seconds') * 1000,
    pollers: read.integer('EVENTS_POLLERS', 8, 1, 64),
    visibilityTimeoutS: read.integer('EVENTS_VISIBILITY_TIMEOUT', 120, 1, 43200, ' of seconds'),
    maxReceiveCount: read.integer('EVENTS_MAX_RECEIVE_COUNT', 5, 1, 1000),
    producerRate: read.integer('EVENTS_PRODUCER_RATE', 20, 0, 1_000_000, ' of events per second'),
  };
}

/** LAKE_URI and LAKE_INBOX: s3://bucket[/prefix], or a folder (relative to the project). */
function readLakeLocation(read: Reader, name: string, value: string): LakeLocation {
  const s3 = /^s3:\/\/([^/]*)(?:\/(.*))?$/.exec(value);
  if (s3 === null) return { kind: 'folder', root: path.resolve(projectRoot, value) };
  const bucket = s3[1]!;
  if (!BUCKET_NAME.test(bucket) || bucket.includes('..')) {
    read.problems.push(
      `${name}=${JSON.stringify(value)}: expected s3://<bucket>/<prefix> with an S3 bucket name, or a folder`,
    );
  }
  const prefix = (s3[2] ?? '').replace(/\/+$/, '');
  return { kind: 's3', bucket, prefix: prefix === '' ? '' : `${prefix}/` };
}

function readLake(read: Reader): LakeConfig {
  const uri = read.string('LAKE_URI', '.lakedata');
  const inbox = read.string('LAKE_INBOX', 'data/events');
  const inboxLocation = readLakeLocation(read, 'LAKE_INBOX', inbox);
  return {
    uri,
    location: readLakeLocation(read, 'LAKE_URI', uri),
    inbox: inboxLocation.kind === 'folder' ? inboxLocation.root : inbox,
    memoryLimitMb: read.integer('LAKE_MEMORY_MB', 512, 128, 1024 * 1024, ' of MB'),
    threads: read.integer('LAKE_THREADS', 2, 1, 256),
    tempDir: path.resolve(projectRoot, read.string('LAKE_TMP_DIR', os.tmpdir())),
    cacheBytes: read.integer('LAKE_CACHE_MB', 512, 0, 1024 * 1024, ' of MB') * 1024 * 1024,
    targetFileBytes: read.integer('LAKE_TARGET_FILE_MB', 128, 1, 1024 * 1024, ' of MB') * 1024 * 1024,
    fileGraceMs: read.integer('LAKE_FILE_GRACE', 3600, 0, 30 * 86400, ' of seconds') * 1000,
    taskTimeoutMs: read.integer('LAKE_TASK_TIMEOUT', 3600, 1, 7 * 86400, ' of seconds') * 1000,
    ingestSchedule: readCronSchedule(read, 'LAKE_INGEST_SCHEDULE', '*/10 * * * *'),
    compactSchedule: readCronSchedule(read, 'LAKE_COMPACT_SCHEDULE', '5-59/10 * * * *'),
    maintenanceSchedule: readCronSchedule(read, 'LAKE_MAINTENANCE_SCHEDULE', '45 3 * * *'),
    kpisSchedule: readCronSchedule(read, 'EVENT_KPIS_SCHEDULE', '30 1 * * *'),
  };
}

function readAds(read: Reader): AdsConfig {
  const seed =
    read.optional('ADS_API_SEED') === undefined ? undefined : read.integer('ADS_API_SEED', 0, 0, 2 ** 31 - 1);
  const api = {
    host: read.string('ADS_API_HOST', '127.0.0.1'),
    port: read.integer('ADS_API_PORT', 8001, 1, 65535),
    ...(seed === undefined ? {} : { seed }),
  };
  const bucket = read.string('ADS_BUCKET', 'ad-data');
  if (!BUCKET_NAME.test(bucket) || bucket.includes('..')) {
    read.problems.push(
      `ADS_BUCKET=${JSON.stringify(bucket)}: expected an S3 bucket name (3 to 63 of a-z, 0-9, '.', '-', a letter or digit at each end)`,
    );
  }
  return {
    api,
    apiUrl: readUrl(read, 'ADS_API_URL', `http://127.0.0.1:${api.port}/ads`)!,
    apiTimeoutMs: read.integer('ADS_API_TIMEOUT', 10, 1, 3600, ' of seconds') * 1000,
    bucket,
    apiLoadSchedule: readCronSchedule(read, 'API_LOAD_SCHEDULE', '0 * * * *'),
    archiveSchedule: readCronSchedule(read, 'ADS_ARCHIVE_SCHEDULE', '30 0 * * *'),
  };
}

function readWeb(read: Reader): WebConfig {
  const user = read.optional('WEB_USER');
  const password = read.optional('WEB_PASSWORD');
  if ((user === undefined) !== (password === undefined)) {
    read.problems.push('WEB_USER and WEB_PASSWORD: set both (basic auth for the dashboard) or neither');
  }
  return {
    host: read.string('WEB_HOST', '127.0.0.1'),
    port: read.integer('WEB_PORT', 8090, 1, 65535),
    ...(user !== undefined && password !== undefined ? { auth: { user, password } } : {}),
    refreshSeconds: read.integer('WEB_REFRESH_SECONDS', 30, 0, 3600, ' of seconds'),
  };
}

export function readConfig(env: Env = process.env): Config {
  const read = new Reader(env);
  const embedded = {
    dataDir: path.resolve(projectRoot, read.string('EMBEDDED_PG_DIR', '.pgdata')),
    port: read.integer('EMBEDDED_PG_PORT', 54320, 1, 65535),
    password: read.string('EMBEDDED_PG_PASSWORD', 'postgres'),
  };
  const embeddedS3 = {
    dataDir: path.resolve(projectRoot, read.string('EMBEDDED_S3_DIR', '.s3data')),
    port: read.integer('EMBEDDED_S3_PORT', 54330, 1, 65535),
  };
  const embeddedSqs = {
    dataDir: path.resolve(projectRoot, read.string('EMBEDDED_SQS_DIR', '.sqsdata')),
    port: read.integer('EMBEDDED_SQS_PORT', 54340, 1, 65535),
  };
  const s3 = readS3(read, embeddedS3.dataDir);
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
    s3,
    embeddedS3,
    ads: readAds(read),
    lake: readLake(read),
    stream: readStream(read, s3, embeddedSqs.dataDir),
    embeddedSqs,
    web: readWeb(read),
  };
  if (read.problems.length > 0) {
    throw new ConfigError(`invalid configuration: ${read.problems.join('; ')}`);
  }
  return config;
}

/** The buckets the stack writes to: the ads pipeline's, and the lake's when it is on S3. */
export function stackBuckets(config: Config): string[] {
  const lake = config.lake.location;
  return [...new Set([config.ads.bucket, ...(lake.kind === 's3' ? [lake.bucket] : [])])];
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
