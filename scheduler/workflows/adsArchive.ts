import { withAdsBucket } from '../../ads/adsBucket';
import { archiveDay, type ArchivedDay } from '../../ads/archiveDay';
import { removeDeadArchives } from '../../ads/removeDeadArchives';
import type { Config } from '../../lib/config';
import { querySqlFile } from '../../lib/sqlFiles';
import { defineWorkflow, param, type TaskContext } from '../workflow';

type Params = { readonly older_than_days: number };

/** The shown days to archive, oldest first (sql/ads/days_to_archive.sql). */
async function daysToArchive(ctx: Omit<TaskContext<Params>, 'item'>): Promise<string[]> {
  const { rows } = await querySqlFile<{ shown_date: string }>(ctx.db, 'ads/days_to_archive.sql', [
    ctx.run.logicalDate,
    ctx.params.older_than_days,
  ]);
  return rows.map((row) => row.shown_date);
}

/**
 * ads_archive (docs/ads-archive.md): moves the impressions shown before the logical date minus
 * older_than_days out of PostgreSQL into the bucket, one object per shown day. A fan-out over the
 * days rather than one loop: each day is its own transaction, its own line in task_runs (item =
 * the day) and its own timeout, and a failure stops at that day with the days before it done.
 * Then, when a day was archived, the objects that no live archive records are removed.
 */
export function adsArchive(config: Config) {
  return defineWorkflow({
    name: 'ads_archive',
    description: 'Moves old ad impressions from ads to S3, one gzip JSON Lines object per shown day (UTC)',
    schedule: config.ads.archiveSchedule,
    timezone: 'UTC',
    concurrency: 1,
    taskTimeoutMs: config.jobTimeoutMs,
    params: {
      older_than_days: param.integer({
        default: 1,
        min: 0,
        max: 36_500,
        description:
          'days before the logical date kept in PostgreSQL: on day D, 1 archives the rows shown before D-1 00:00 UTC (yesterday stays)',
      }),
    },
    tasks: () => ({
      archive_day: {
        kind: 'function',
        describe:
          'one shown day: its rows to one verified object, then deleted with its ad_archives row (ads/archiveDay.ts)',
        forEach: daysToArchive,
        async run(ctx) {
          const day = ctx.item as string;
          const archived = await withAdsBucket(config, (store) =>
            archiveDay(ctx.db, store, day, ctx.run.id, ctx.signal),
          );
          if (archived === undefined) {
            ctx.log.info('no rows left to archive', { day });
            return { rows: 0 };
          }
          ctx.log.info('archived', {
            day,
            key: archived.key,
            rows: archived.rows,
            bytes: archived.bytes,
            duration_ms: archived.durationMs,
          });
          return { rows: archived.rows, value: archived };
        },
      },
      remove_dead_objects: {
        kind: 'function',
        describe: 'delete the archive objects no live archive records (ads/removeDeadArchives.ts)',
        after: ['archive_day'],
        // A run that archived nothing leaves the bucket alone (and a stack without S3 never calls it):
        // what it would remove waits for the next run that archives a day.
        when: (ctx) => (ctx.upstream.archive_day as (ArchivedDay | undefined)[]).some((day) => day !== undefined),
        async run(ctx) {
          const dead = await withAdsBucket(config, (store) => removeDeadArchives(ctx.db, store, ctx.signal));
          for (const { key, why } of dead) {
            ctx.log.warn(
              why === 'unrecorded'
                ? 'removed an object no archive records (left by a run stopped before its commit; its rows are in ads)'
                : 'removed the object of a restored archive (its rows are in ads)',
              { key },
            );
          }
          return { value: dead };
        },
      },
    }),
  });
}
