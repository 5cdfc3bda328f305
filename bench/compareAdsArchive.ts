import { createReadStream, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { describeError } from '../lib/errors';
import { startLocalS3 } from '../lib/localS3';
import { checkpoint, queryBenchSql } from './benchSql';
import { runAdsJob, runPsqlCopyToGzip } from './commands';
import { runPairs, type Side } from './pairs';
import type { BenchDatabase } from './postgres';
import type { AdsArchiveResult, BenchContext } from './results';

/**
 * Item 9: ads_archive of one shown day of `adsRows` impressions, as a process (its peak memory
 * measured), against what a person types to get the same rows out: psql's \copy of them as JSON
 * through gzip into a file. Both read the same rows; the archive also locks them, uploads them to
 * a local S3 server (s3rver, as under npm start), reads the object back, deletes the rows and
 * records the archive. Between pairs, ads_restore puts the rows back (measured, not judged).
 */

export const ADS_DAY = '2024-05-01';
const NEXT_DAY = '2024-05-02';
const BUCKET = 'ad-data';

/** The rows of the archive, as the archive's COPY writes them (sql/ads/archive_day_copy.sql). */
export const ADS_DAY_QUERY = `SELECT to_json(a) FROM ads a WHERE a.shown_at >= '${ADS_DAY} 00:00:00+00' AND a.shown_at < '${NEXT_DAY} 00:00:00+00'`;

/** Lines of a gzip file, read after the timed run: psql's pipeline reports only gzip's exit status. */
async function gzipLines(file: string): Promise<number> {
  let lines = 0;
  for await (const chunk of createReadStream(file).pipe(createGunzip())) {
    for (let at = (chunk as Buffer).indexOf(10); at !== -1; at = (chunk as Buffer).indexOf(10, at + 1)) lines += 1;
  }
  return lines;
}

async function count(db: BenchDatabase, sql: string): Promise<number> {
  return (await queryBenchSql<{ n: number }>(db.pool, sql)).rows[0]!.n;
}

export async function compareAdsArchive(ctx: BenchContext, workDir: string): Promise<AdsArchiveResult> {
  const rows = ctx.settings.adsRows;
  const result: AdsArchiveResult = { rows, psql: [], archive: [], restore: [] };
  const name = `ads-archive ${rows.toLocaleString('en-US')} rows`;
  mkdirSync(workDir, { recursive: true });
  const s3 = await startLocalS3({ dataDir: path.join(workDir, 's3'), port: 0, buckets: [BUCKET] });
  try {
    const s3Env = {
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      AWS_REGION: 'us-east-1',
      ADS_BUCKET: BUCKET,
      CRON_LOG: path.join(workDir, 'cron.log'),
    };
    const db = await ctx.server.createDatabase('ads_archive');
    ctx.progress(`${name}: generating the day's rows`);
    await queryBenchSql(db.pool, 'ads_day.sql', [ADS_DAY, rows]);
    await db.pool.query('VACUUM ANALYZE ads');
    const file = path.join(workDir, 'psql.jsonl.gz');
    const psql: Side = {
      label: 'psql \\copy | gzip',
      // Not timed: the rows back where the previous archive took them from, the table vacuumed.
      prepare: async () => {
        if ((await count(db, 'ads_count.sql')) === 0) {
          result.restore.push(await runAdsJob(db, 'ads_restore', [`date=${ADS_DAY}`], s3Env));
          await db.pool.query('VACUUM ANALYZE ads');
        }
        await checkpoint(db);
      },
      run: async () => {
        const sample = await runPsqlCopyToGzip(ctx.settings.psql, db, ADS_DAY_QUERY, file);
        const lines = await gzipLines(file);
        if (lines !== rows) throw new Error(`psql | gzip wrote ${lines} lines, not ${rows}`);
        result.psqlGzipBytes = statSync(file).size;
        return sample;
      },
    };
    const archive: Side = {
      label: 'ads_archive',
      prepare: () => checkpoint(db),
      run: async () => {
        const sample = await runAdsJob(db, 'ads_archive', [], s3Env);
        const last = (await queryBenchSql<{ rows: number; bytes: number }>(db.pool, 'last_archive.sql')).rows[0];
        if (last?.rows !== rows || (await count(db, 'ads_count.sql')) !== 0) {
          throw new Error(`ads_archive archived ${last?.rows ?? 0} rows, not ${rows}, or left rows in ads`);
        }
        result.archiveBytes = last.bytes;
        return sample;
      },
    };
    await runPairs(name, psql, archive, ctx.settings.pairs, ctx.progress, { a: result.psql, b: result.archive });
  } catch (error) {
    if (ctx.interrupted.aborted) throw error;
    result.error = describeError(error);
    ctx.progress(`${name}: failed: ${result.error}`);
  } finally {
    await s3.stop();
  }
  return result;
}
