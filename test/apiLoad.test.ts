import { createHash } from 'node:crypto';
import type { Backup } from '../ads/backups';
import { generateImpressions, type AdImpression } from '../adsApi/impressions';
import { adsBody } from '../adsApi/responseBody';
import { startAdsApi, type AdsApi } from '../adsApi/server';
import { readConfig } from '../lib/config';
import { ConfigError } from '../lib/errors';
import { runWorkflow, type RunOutcome } from '../scheduler/runWorkflow';
import { resolveParams } from '../scheduler/workflow';
import { apiLoad } from '../scheduler/workflows/apiLoad';
import { createTestDatabase, type TestDatabase } from './support/database';
import { captureLogger, type LogEntry } from './support/logs';
import { killStarted, startNode } from './support/processes';
import { startTestS3, type TestS3 } from './support/s3';
import { pgEnvironment } from './support/server';

/**
 * api_load against a real PostgreSQL, a real S3 server (s3rver) and the real ads API: what the
 * API served is what the bucket holds, byte for byte; ads holds its impressions to the
 * microsecond; every failure leaves ads as it was; a stored response replays without a call.
 */

const SEED = 20240501;
// The clock of the API and of the runs: shown_at is within the 28 hours before it.
const NOW = new Date('2024-05-01T12:00:00Z');

let db: TestDatabase;
let s3: TestS3;
let api: AdsApi;

beforeAll(async () => {
  [db, s3, api] = await Promise.all([
    createTestDatabase(),
    startTestS3(),
    startAdsApi({ port: 0, seed: SEED, now: () => NOW }),
  ]);
});
afterAll(async () => {
  killStarted();
  await Promise.all([db?.drop(), s3?.stop(), api?.close()]);
});
beforeEach(async () => {
  await db.pool.query('TRUNCATE ads, ad_rejects, ad_backups, job_runs CASCADE');
  for (const key of await storedKeys()) await s3.store().delete(key);
});

/** api_load calling the test API with these faults (a query string), ADS_API_TIMEOUT in seconds. */
function workflow(faults = '', timeoutSeconds = 5) {
  return apiLoad(
    readConfig({ ...s3.env, ADS_API_URL: `${api.url}${faults}`, ADS_API_TIMEOUT: String(timeoutSeconds) }),
  );
}

async function run(
  faults = '',
  options: { params?: Record<string, string>; scheduledFor?: Date; timeoutSeconds?: number } = {},
): Promise<RunOutcome & { entries: LogEntry[] }> {
  const job = workflow(faults, options.timeoutSeconds);
  const { logger, entries } = captureLogger();
  const outcome = await runWorkflow(
    db.pool,
    job,
    {
      trigger: options.scheduledFor === undefined ? 'manual' : 'backfill',
      ...(options.scheduledFor === undefined ? {} : { scheduledFor: options.scheduledFor }),
      params: resolveParams(job, options.params ?? {}),
      now: () => NOW,
    },
    logger,
  );
  return { ...outcome, entries };
}

const backupOf = (outcome: RunOutcome): Backup => outcome.tasks!.backup!.value as Backup;

async function storedKeys(): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of s3.store().list('backup/')) keys.push(object.key);
  return keys;
}

async function count(table: string): Promise<number> {
  return (await db.pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;
}

async function taskRuns(runId: string): Promise<string[]> {
  const { rows } = await db.pool.query(
    'SELECT task, attempt, status FROM task_runs WHERE run_id = $1 ORDER BY started_at, attempt',
    [runId],
  );
  return rows.map((r) => `${r.task}#${r.attempt}:${r.status}`);
}

/** What the API's generator made for the call that answered last, independently of any request. */
function lastCallImpressions(): AdImpression[] {
  return generateImpressions(SEED, api.calls(), NOW);
}

/** The rows of ads for these impressions, as the API's documentation says they must be (shown_at aside). */
function expectedRows(impressions: readonly AdImpression[], backupKey: string) {
  return impressions
    .map((i) => ({
      ad_id: i.ad_id,
      ad_group: i.ad_group,
      ad_campaign: i.ad_campaign === '__unknown' ? null : i.ad_campaign,
      ad_scheme: i.ad_scheme ?? null,
      backup_key: backupKey,
    }))
    .sort((a, b) => a.ad_id.localeCompare(b.ad_id));
}

async function adsRows() {
  const { rows } = await db.pool.query(
    'SELECT ad_id, ad_group, ad_campaign, ad_scheme, backup_key FROM ads ORDER BY ad_id::text',
  );
  return rows;
}

/**
 * How many of the impressions have no row whose shown_at is, to the microsecond, the API's
 * float rounded by PostgreSQL's own numeric arithmetic (the decimal text, half away from zero).
 */
async function shownAtMismatches(impressions: readonly AdImpression[]): Promise<number> {
  const expected = impressions.map((i) => ({ ad_id: i.ad_id, shown: String(i.shown_at) }));
  const { rows } = await db.pool.query(
    `SELECT count(*)::int AS n
     FROM jsonb_to_recordset($1::jsonb) AS e (ad_id uuid, shown text)
     LEFT JOIN ads a USING (ad_id)
     WHERE a.shown_at IS NULL OR extract(epoch FROM a.shown_at) <> round(e.shown::numeric, 6)`,
    [JSON.stringify(expected)],
  );
  return rows[0].n;
}

async function backupRow(key: string) {
  return (await db.pool.query('SELECT * FROM ad_backups WHERE backup_key = $1', [key])).rows[0];
}

async function expectNothingLoaded(keysBefore: string[]): Promise<void> {
  expect(await storedKeys()).toEqual(keysBefore);
  expect(await count('ads')).toBe(0);
  expect(await count('ad_backups')).toBe(0);
}

test('a run: the bucket holds the bytes the API served, ads its impressions to the microsecond', async () => {
  const outcome = await run();
  expect(outcome).toMatchObject({ status: 'succeeded', rows: 100 });
  const backup = backupOf(outcome);
  const served = lastCallImpressions();

  // The key: the run's start (a manual run), its id, the hash of the bytes.
  const { rows } = await db.pool.query('SELECT started_at FROM job_runs WHERE run_id = $1', [outcome.runId]);
  const started = (rows[0].started_at as Date).toISOString();
  const stamp = `${started.slice(0, 19).replace(/[-:]/g, '')}Z`;
  const body = await s3.store().get(backup.key);
  const sha256 = createHash('sha256').update(body).digest('hex');
  expect(backup.key).toBe(
    `backup/date=${started.slice(0, 10)}/hour=${started.slice(11, 13)}/${stamp}_${outcome.runId}_${sha256.slice(0, 16)}.json`,
  );
  expect(body.toString('utf8')).toBe(JSON.stringify(served));
  expect(await storedKeys()).toEqual([backup.key]);

  expect(await backupRow(backup.key)).toMatchObject({
    run_id: outcome.runId,
    bytes: String(body.length),
    sha256,
    stored_at: NOW,
    impressions: 100,
    rejected: 0,
    loaded_at: expect.any(Date),
    error: null,
  });
  expect(await adsRows()).toEqual(expectedRows(served, backup.key));
  expect(await shownAtMismatches(served)).toBe(0);
  // More digits than a microsecond: the check above is not trivially true.
  expect(served.filter((i) => String(i.shown_at).split('.')[1]!.length > 6).length).toBeGreaterThan(50);
  expect(await count('ad_rejects')).toBe(0);

  const lines = outcome.entries.filter((e) => e.message !== '');
  expect(lines.map((e) => [e.task, e.message])).toEqual([
    ['backup', 'response received'],
    ['backup', 'response backed up'],
    ['load', 'response loaded'],
  ]);
  expect(lines[1]).toMatchObject({ backup_key: backup.key, bytes: body.length, sha256 });
  expect(lines[2]).toMatchObject({ backup_key: backup.key, impressions: 100, rejects: 0, written: 100 });
});

test('two runs of the same tick: two responses, two keys under its hour, neither overwritten', async () => {
  const tick = new Date('2024-05-01T11:00:00Z');
  const first = await run('', { scheduledFor: tick });
  const firstBody = await s3.store().get(backupOf(first).key);
  const second = await run('', { scheduledFor: tick });
  expect([first.status, second.status]).toEqual(['succeeded', 'succeeded']);
  const keys = [backupOf(first).key, backupOf(second).key];
  expect(new Set(keys).size).toBe(2);
  for (const key of keys) expect(key).toMatch(/^backup\/date=2024-05-01\/hour=11\/20240501T110000Z_/);
  expect((await storedKeys()).sort()).toEqual([...keys].sort());
  expect(await s3.store().get(keys[0]!)).toEqual(firstBody);
  expect(await count('ads')).toBe(200);
});

test('S3 down during the backup: the run fails saying so, nothing is inserted; once S3 is back the next run succeeds', async () => {
  const before = await storedKeys();
  const callsBefore = api.calls();
  await s3.stop();
  try {
    const outcome = await run();
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(
      /^backup: the backup of the ads API's response \(\d+ bytes\) was not stored, so nothing was inserted: object store: storing s3:\/\/ad-data\/backup\/.* failed/,
    );
    expect(outcome.tasks!.load).toMatchObject({ status: 'skipped', reason: 'backup failed' });
    // Each attempt called the API again.
    expect(api.calls() - callsBefore).toBe(3);
    expect(await count('ads')).toBe(0);
    expect(await count('ad_backups')).toBe(0);
  } finally {
    await s3.start();
  }
  expect(await storedKeys()).toEqual(before);
  const next = await run();
  expect(next).toMatchObject({ status: 'succeeded', rows: 100 });
  expect(await storedKeys()).toEqual([backupOf(next).key]);
  expect(await count('ads')).toBe(100);
});

test('the API answers 500: the run fails with the status and the body, after its retries; nothing stored or inserted', async () => {
  const before = await storedKeys();
  const outcome = await run('?status=500');
  expect(outcome.status).toBe('failed');
  expect(outcome.error).toBe(
    `backup: the ads API answered 500 Internal Server Error to GET ${api.url}?status=500: ` +
      '{"error":"status 500, as the status parameter asked"}; nothing was stored',
  );
  expect(await taskRuns(outcome.runId)).toEqual([
    'backup#1:retried',
    'backup#2:retried',
    'backup#3:failed',
    'load#0:skipped',
  ]);
  await expectNothingLoaded(before);
});

test('the API fails twice then answers: the retries get the response, which is loaded', async () => {
  const outcome = await run('?fail_first=2');
  expect(outcome).toMatchObject({ status: 'succeeded', rows: 100 });
  expect(await taskRuns(outcome.runId)).toEqual([
    'backup#1:retried',
    'backup#2:retried',
    'backup#3:succeeded',
    'load#1:succeeded',
  ]);
  expect((await s3.store().get(backupOf(outcome).key)).toString()).toBe(JSON.stringify(lastCallImpressions()));
  expect(await adsRows()).toEqual(expectedRows(lastCallImpressions(), backupOf(outcome).key));
});

test('the API slower than ADS_API_TIMEOUT: the run fails as a timeout; nothing stored or inserted', async () => {
  const before = await storedKeys();
  const started = Date.now();
  const outcome = await run('?delay_ms=5000', { timeoutSeconds: 1 });
  expect(outcome.status).toBe('failed');
  expect(outcome.error).toBe(
    `backup: the ads API did not answer GET ${api.url}?delay_ms=5000 within 1 s (ADS_API_TIMEOUT); nothing was stored`,
  );
  // Three attempts of 1 s, 1 s and 2 s apart: not the 15 s of three full answers.
  expect(Date.now() - started).toBeLessThan(9000);
  await expectNothingLoaded(before);
});

describe.each([
  ['malformed', /^the response is not JSON \(Unexpected token .*<html>.*\)$/],
  ['truncated', /^the response is not JSON \(.+\)$/],
  ['object', 'the response is a JSON object, not a JSON array'],
])('a body=%s answer', (shape, problem) => {
  test('is backed up byte for byte, then the run fails: nothing inserted, the error on its ad_backups row', async () => {
    const outcome = await run(`?body=${shape}`);
    expect(outcome.status).toBe('failed');
    const key = backupOf(outcome).key;
    const expected = adsBody(lastCallImpressions(), { delayMs: 0, body: shape as 'malformed' }, NOW);
    expect((await s3.store().get(key)).toString('utf8')).toBe(expected);
    const message = `s3://ad-data/${key}: `;
    const suffix = '; it stays stored, nothing was inserted';
    expect(outcome.error!.startsWith(`load: ${message}`) && outcome.error!.endsWith(suffix)).toBe(true);
    const said = outcome.error!.slice(`load: ${message}`.length, -suffix.length);
    if (typeof problem === 'string') expect(said).toBe(problem);
    else expect(said).toMatch(problem);
    expect(await count('ads')).toBe(0);
    expect(await count('ad_rejects')).toBe(0);
    expect(await backupRow(key)).toMatchObject({
      bytes: String(Buffer.byteLength(expected)),
      impressions: null,
      loaded_at: null,
      error: outcome.error!.slice('load: '.length),
    });
  });
});

describe('a replay of a stored response (backup_key)', () => {
  test('loads it again without calling the API; twice changes nothing', async () => {
    const first = await run();
    const key = backupOf(first).key;
    const snapshot = async () => (await db.pool.query('SELECT * FROM ads ORDER BY ad_id')).rows;
    const before = await snapshot();
    const calls = api.calls();
    for (let i = 0; i < 2; i += 1) {
      const replay = await run('', { params: { backup_key: key } });
      expect(replay).toMatchObject({ status: 'succeeded', rows: 100 });
      expect(replay.tasks!.backup).toMatchObject({ status: 'skipped', reason: 'its condition (when) is false' });
      expect(replay.tasks!.load!.value).toMatchObject({ backup_key: key, impressions: 100, rejected: 0, written: 0 });
      expect(await snapshot()).toEqual(before); // loaded_at included: no row was touched
    }
    expect(api.calls()).toBe(calls);
    expect(await storedKeys()).toEqual([key]);
    expect(await count('ad_backups')).toBe(1);
  });

  test('into a database that lost ads and ad_backups: the rows come back, the backup is recorded again', async () => {
    const first = await run();
    const key = backupOf(first).key;
    const served = lastCallImpressions();
    await db.pool.query('TRUNCATE ads, ad_rejects, ad_backups');
    const replay = await run('', { params: { backup_key: key } });
    expect(replay).toMatchObject({ status: 'succeeded', rows: 100 });
    expect(await adsRows()).toEqual(expectedRows(served, key));
    expect(await shownAtMismatches(served)).toBe(0);
    expect(await backupRow(key)).toMatchObject({ run_id: first.runId, impressions: 100, error: null });
  });

  test('a key with no object is an error naming it; a text that is not a key is refused before the run', async () => {
    const missing = 'backup/date=2024-05-01/hour=12/20240501T120000Z_abc123_0123456789abcdef.json';
    const outcome = await run('', { params: { backup_key: missing } });
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toBe(
      `load: there is no stored response s3://ad-data/${missing}: check backup_key (the stored ones: aws s3 ls s3://ad-data/backup/ --recursive)`,
    );
    expect(() => resolveParams(workflow(), { backup_key: 'backup/../x.json' })).toThrow(
      new ConfigError(
        'workflow api_load: backup_key=backup/../x.json: expected the key of a stored response, ' +
          'backup/date=YYYY-MM-DD/hour=HH/<time>_<run>_<hash>.json (see ad_backups.backup_key)',
      ),
    );
  });

  test('an object changed since it was stored is not loaded', async () => {
    const first = await run();
    const key = backupOf(first).key;
    await db.pool.query('TRUNCATE ads, ad_rejects');
    const original = await s3.store().get(key);
    await s3.store().put(key, Buffer.from(original.toString().replace('"brand"', '"Brand"')));
    const replay = await run('', { params: { backup_key: key } });
    expect(replay.status).toBe('failed');
    expect(replay.error).toMatch(
      /^load: s3:\/\/ad-data\/backup\/.*: its bytes \(sha256 [0-9a-f]{64}\) are not those its key names/,
    );
    expect(await count('ads')).toBe(0);
  });
});

test('bad_every=10: the ten broken impressions are rejects with the rule they break; the other 90 load; a replay adds none', async () => {
  const outcome = await run('?bad_every=10');
  expect(outcome).toMatchObject({ status: 'succeeded', rows: 90 });
  const key = backupOf(outcome).key;
  const body = (await s3.store().get(key)).toString('utf8');
  const served = lastCallImpressions();
  // docs/ads-api.md, "Bad impressions": positions 9, 19, … 99 break rules 0 to 9, in that order.
  const ruleReasons: RegExp[] = [
    /^ad_id: missing$/,
    /^ad_id: "[0-9a-f-]{35}z" is not a UUID$/,
    /^shown_at: missing$/,
    /^shown_at: "\d+\.\d+" \(a string\) is not a number$/,
    /^shown_at: Infinity is not a finite number$/,
    /^shown_at: \d+(\.\d+)? is in the future: later than the arrival of the response \(2024-05-01T12:00:00\.000Z\) plus 5 minutes$/,
    /^ad_campaign: "unknown" \(a string\) is neither an integer nor "__unknown"$/,
    /^ad_campaign: 12\.5 \(a number\) is neither an integer nor "__unknown"$/,
    /^ad_group: 2 \(a number\) is not a string$/,
    /^ad_scheme: "manual" \(a string\) is not an object$/,
  ];
  const every = 10;
  const brokenPositions = served.map((_, p) => p).filter((p) => (p + 1) % every === 0);
  const { rows: rejects } = await db.pool.query(
    'SELECT position, reason, raw FROM ad_rejects WHERE backup_key = $1 ORDER BY position',
    [key],
  );
  expect(rejects.map((r) => r.position)).toEqual(brokenPositions);
  rejects.forEach((reject, k) => {
    const rule = (((reject.position + 1) / every - 1) % ruleReasons.length) as number;
    expect(k).toBe(rule);
    expect(reject.reason).toMatch(ruleReasons[rule]!);
    // The element as the API wrote it: a piece of the body, of the impression at that position.
    expect(body).toContain(reject.raw);
    if (rule !== 0) expect(reject.raw).toContain(served[reject.position]!.ad_id.slice(0, 30));
  });
  expect(rejects[4].raw).toContain('"shown_at":1e400');

  const loaded = served.filter((_, p) => !brokenPositions.includes(p));
  expect(await adsRows()).toEqual(expectedRows(loaded, key));
  expect(await shownAtMismatches(loaded)).toBe(0);
  expect(await backupRow(key)).toMatchObject({ impressions: 90, rejected: 10 });
  expect(outcome.entries.find((e) => e.message.startsWith('response loaded'))).toMatchObject({
    level: 'warn',
    rejects: 10,
  });

  const replay = await run('', { params: { backup_key: key } });
  expect(replay).toMatchObject({ status: 'succeeded', rows: 90 });
  expect(await count('ad_rejects')).toBe(10);
});

test('npm run job -- api_load as a process: a run, then a replay of what it stored', async () => {
  const env = { ...pgEnvironment(db.config), ...s3.env, ADS_API_URL: api.url };
  const first = startNode(['dist/scheduler/cli.js', 'api_load'], env);
  expect(await first.exited).toBe(0);
  expect(first.output()).toMatch(/job=api_load run=[0-9a-f]{12} status=succeeded rows=100 /);
  const key = /backup_key="([^"]+)" .* response backed up/.exec(first.output())?.[1];
  expect(await storedKeys()).toEqual([key]);
  expect(await count('ads')).toBe(100);

  const calls = api.calls();
  const replay = startNode(['dist/scheduler/cli.js', 'api_load', '--param', `backup_key=${key!}`], env);
  expect(await replay.exited).toBe(0);
  expect(replay.output()).toMatch(/ impressions=100 rejects=0 written=0 response loaded$/m);
  expect(api.calls()).toBe(calls);
});
