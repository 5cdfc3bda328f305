import { withAdsBucket } from '../../ads/adsBucket';
import { isCalendarDay } from '../../ads/archiveKeys';
import { restoreDay } from '../../ads/restoreDay';
import type { Config } from '../../lib/config';
import { ConfigError } from '../../lib/errors';
import { defineWorkflow, param } from '../workflow';

/**
 * ads_restore (docs/ads-archive.md, "Restoring a day"): puts the archived impressions of one
 * shown day back into ads. No schedule: it runs when a person asks, with the day.
 */
export function adsRestore(config: Config) {
  return defineWorkflow({
    name: 'ads_restore',
    description: 'Puts the archived ad impressions of one shown day (UTC) back into ads',
    concurrency: 1,
    taskTimeoutMs: config.jobTimeoutMs,
    params: {
      date: param.string({
        default: '',
        pattern: /^(\d{4}-\d{2}-\d{2})?$/,
        description: 'the shown day (UTC, YYYY-MM-DD) to restore; required',
      }),
    },
    tasks: () => ({
      restore_day: {
        kind: 'function',
        describe: "the day's live archives back into ads, then their objects deleted (ads/restoreDay.ts)",
        async run(ctx) {
          const day = ctx.params.date;
          if (!isCalendarDay(day)) {
            throw new ConfigError(
              `${day === '' ? 'no day given' : `${day} is not a day`}: npm run job -- ads_restore --param date=YYYY-MM-DD`,
            );
          }
          const restored = await withAdsBucket(config, (store) => restoreDay(ctx.db, store, day, ctx.signal));
          ctx.log.info(restored.keys.length === 0 ? 'no live archive of this day: nothing to restore' : 'restored', {
            day,
            archives: restored.keys.join(','),
            archived_rows: restored.archivedRows,
            rows: restored.insertedRows,
          });
          return { rows: restored.insertedRows, value: restored };
        },
      },
    }),
  });
}
