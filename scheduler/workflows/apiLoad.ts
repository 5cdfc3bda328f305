import { withAdsBucket } from '../../ads/adsBucket';
import { parseBackupKey } from '../../ads/backupKeys';
import { readBackup, storeBackup, type Backup } from '../../ads/backups';
import { fetchAdsResponse } from '../../ads/fetchResponse';
import { loadResponse } from '../../ads/loadResponse';
import type { Config } from '../../lib/config';
import { querySqlFile } from '../../lib/sqlFiles';
import { defineWorkflow, type ParamSpec, type TaskContext, type TaskResult } from '../workflow';

/**
 * api_load (docs/ads.md, "api_load"): calls the ads API, stores the exact bytes of its response
 * in the bucket and records them, then loads that stored response into ads. With backup_key the
 * call is skipped and the load replays a stored response.
 */

interface Params {
  readonly backup_key: string;
}

/** Empty, or a key backupKey() made: a replay never reads an object it did not name itself. */
const backupKeyParam: ParamSpec<string> = {
  kind: 'string',
  default: '',
  description: 'empty: call the API; a key of backup/: load that stored response again, without calling the API',
  parse: (raw) =>
    raw === '' || parseBackupKey(raw) !== undefined
      ? { ok: true, value: raw }
      : {
          ok: false,
          problem:
            'expected the key of a stored response, backup/date=YYYY-MM-DD/hour=HH/<time>_<run>_<hash>.json (see ad_backups.backup_key)',
        },
};

/** What the run's backups are named after: its tick, or its start (as job_runs recorded them). */
async function logicalTime(ctx: TaskContext<Params>): Promise<Date> {
  const { rows } = await querySqlFile<{ logical_time: Date }>(ctx.db, 'ads/run_logical_time.sql', [ctx.run.id]);
  if (rows[0] === undefined) throw new Error(`run ${ctx.run.id} is not in job_runs: run api_load through runWorkflow`);
  return rows[0].logical_time;
}

async function backUpResponse(ctx: TaskContext<Params>, config: Config): Promise<Backup> {
  const { apiUrl, apiTimeoutMs } = config.ads;
  const { body, durationMs } = await fetchAdsResponse(apiUrl, apiTimeoutMs, ctx.signal);
  const receivedAt = ctx.now();
  ctx.log.info('response received', { api: apiUrl, bytes: body.length, api_ms: durationMs });
  const options = { logicalTime: await logicalTime(ctx), runId: ctx.run.id, receivedAt, signal: ctx.signal };
  const backup = await withAdsBucket(config, (store) => storeBackup(store, ctx.db, body, options));
  ctx.log.info('response backed up', { backup_key: backup.key, bytes: backup.bytes, sha256: backup.sha256 });
  return backup;
}

async function loadStoredResponse(ctx: TaskContext<Params>, config: Config): Promise<TaskResult> {
  const key = ctx.params.backup_key !== '' ? ctx.params.backup_key : (ctx.upstream.backup as Backup).key;
  const summary = await withAdsBucket(config, async (store) => {
    const { backup, body } = await readBackup(store, ctx.db, key, ctx.signal);
    return loadResponse(ctx.db, backup, body, store.url(key));
  });
  const level = summary.rejected > 0 ? 'warn' : 'info';
  ctx.log.log(level, summary.rejected > 0 ? 'response loaded; its rejects are in ad_rejects' : 'response loaded', {
    backup_key: key,
    impressions: summary.impressions,
    rejects: summary.rejected,
    written: summary.written,
  });
  return { rows: summary.impressions, value: { backup_key: key, ...summary } };
}

export function apiLoad(config: Config) {
  return defineWorkflow({
    name: 'api_load',
    description: 'Ad impressions from the ads API: each response stored in S3 (backup/), then loaded into ads',
    schedule: config.ads.apiLoadSchedule,
    timezone: 'UTC',
    concurrency: 1,
    taskTimeoutMs: config.jobTimeoutMs,
    params: { backup_key: backupKeyParam },
    tasks: ({ fn }) => ({
      backup: fn(
        `call ADS_API_URL, store the response in s3://${config.ads.bucket}/backup/`,
        (ctx) => backUpResponse(ctx, config),
        {
          when: (ctx) => ctx.params.backup_key === '',
          // Each attempt is a new call, whose response gets a key of its own.
          retries: 2,
          retryDelayMs: 1000,
          // The call's own timeout, then as long as any task for the backup.
          timeoutMs: config.ads.apiTimeoutMs + config.jobTimeoutMs,
        },
      ),
      load: {
        kind: 'load',
        describe: 'load the stored response (backup_key, else the one just stored) into ads',
        after: ['backup'],
        runAfterSkipped: true,
        run: (ctx) => loadStoredResponse(ctx, config),
      },
    }),
  });
}
