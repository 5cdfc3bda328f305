import type { Config } from '../../lib/config';
import { openLake } from '../../lake/lakeStore';
import { isDate } from '../../lake/partitions';
import { filesFromCatalog } from '../../lake/queryFiles';
import { defineWorkflow, type ParamSpec } from '../workflow';

/** Empty (the day before the run's logical date) or a day. */
const dayParam: ParamSpec<string> = {
  kind: 'date',
  default: '',
  description:
    'the day (UTC, YYYY-MM-DD) to compute; empty: the day before the logical date (a run on 2026-12-02, or its backfill day, computes 2026-12-01)',
  parse: (raw) =>
    raw === '' || isDate(raw) ? { ok: true, value: raw } : { ok: false, problem: 'expected a YYYY-MM-DD date' },
};

/**
 * event_kpis (docs/lake-query.md, "KPIs"): per event type, one day's events, distinct
 * attributes.user_id, first and last event, from the lake's files of that day (as the catalog
 * lists them) into event_kpis_daily, replacing the day's rows in one transaction. Run again, it
 * counts the events that arrived late since.
 */
export function eventKpis(config: Config) {
  return defineWorkflow({
    name: 'event_kpis',
    description:
      "Per event type, a day's events, distinct users, first and last event, from the lake into event_kpis_daily",
    schedule: config.lake.kpisSchedule,
    timezone: 'UTC',
    concurrency: 1,
    taskTimeoutMs: config.lake.taskTimeoutMs,
    params: { day: dayParam },
    tasks: () => ({
      compute_day: {
        kind: 'function',
        describe:
          "the day's files from the catalog, read an hour at a time by DuckDB, into event_kpis_daily (lake/kpis.ts)",
        async run(ctx) {
          // require, not import: DuckDB's native module is loaded by a run that needs it, not by
          // every `npm run job` (70 ms and 17 MB more to load the workflows, measured).
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const kpisModule = require('../../lake/kpis') as typeof import('../../lake/kpis');
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const { withLakeReader } = require('../../lake/lakeReader') as typeof import('../../lake/lakeReader');
          const { computeDayKpis, dayBefore, dayKpis, dayPlan, replaceDayKpis } = kpisModule;
          const day = ctx.params.day === '' ? dayBefore(ctx.run.logicalDate) : ctx.params.day;
          const files = await filesFromCatalog(ctx.db, dayPlan(day));
          const lake = openLake(config);
          const kpis = await withLakeReader(config, 'kpis', ctx.signal, async (reader) => {
            await computeDayKpis(reader, lake, day, files.events, ctx.signal);
            return dayKpis(reader, day);
          }).finally(() => lake.close());
          await replaceDayKpis(ctx.db, day, kpis, ctx.run.id);
          const events = kpis.reduce((sum, kpi) => sum + kpi.events, 0);
          ctx.log.info(kpis.length === 0 ? 'no events in the lake that day' : 'kpis computed', {
            day,
            types: kpis.length,
            events,
            files: files.events.length,
            bytes: files.events.reduce((sum, file) => sum + file.bytes, 0),
          });
          return { rows: kpis.length, value: { day, types: kpis.length, events } };
        },
      },
    }),
  });
}
