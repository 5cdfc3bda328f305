import { rm } from 'node:fs/promises';
import path from 'node:path';
import { inTransaction, type PoolClient } from '../lib/db';
import { querySqlFile } from '../lib/sqlFiles';
import { createEventsView, type LakeReader } from './lakeReader';
import type { LakeStore } from './lakeStore';
import { parseEventsPath } from './partitions';
import type { PlannedFile } from './queryFiles';
import type { QueryPlan } from './queryPlan';

/**
 * The event KPIs of one day (docs/lake-query.md, "KPIs"), one computation for the event_kpis
 * workflow, which writes them into event_kpis_daily, and for `npm run lake -- kpis`, which prints
 * them from any machine that can read the lake. The day is the UTC date of created_at, so its
 * events are exactly the files of its date partitions, late arrivals included. Those files are
 * read an hour at a time into per-user partial counts (sql/lake/duckdb/kpis_*.sql): an S3 lake's
 * local copies never hold more than one hour of the day, and DuckDB's memory stays within
 * LAKE_MEMORY_MB.
 */

export interface DayKpi {
  eventType: string;
  events: number;
  distinctUsers: number;
  /** DuckDB's text of a TIMESTAMPTZ, e.g. 2026-12-01 00:00:01.5+00. */
  firstEventAt: string;
  lastEventAt: string;
}

/** The files a day's KPIs read: its date partitions. */
export function dayPlan(day: string): QueryPlan {
  return { events: [{ fromDate: day, toDate: day }], quarantine: false, prunedBy: ['date'] };
}

/** The day before a YYYY-MM-DD: event_kpis's default day, the one that ended before its run's logical date. */
export function dayBefore(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}

/** Reads the day's files, an hour at a time, into the reader's kpi_partials; kpis.sql then gives the rows. */
export async function computeDayKpis(
  reader: LakeReader,
  lake: LakeStore,
  day: string,
  files: readonly PlannedFile[],
  signal?: AbortSignal,
): Promise<void> {
  const { duck, folder } = reader;
  await duck.run('kpis_partials');
  const hours = new Map<number, string[]>();
  for (const file of files) {
    const partition = parseEventsPath(file.path);
    if (partition === undefined || partition.date !== day) throw new Error(`${file.path} is not a file of ${day}`);
    const paths = hours.get(partition.hour) ?? [];
    paths.push(file.path);
    hours.set(partition.hour, paths);
  }
  for (const [hour, paths] of [...hours].sort(([a], [b]) => a - b)) {
    signal?.throwIfAborted();
    const downloads = path.join(folder, `hour-${hour}`);
    await createEventsView(duck, await lake.localPaths(paths, downloads, signal));
    await duck.run('kpis_add', [day]);
    await rm(downloads, { recursive: true, force: true });
  }
}

/** The KPIs computeDayKpis built, one per event type. */
export async function dayKpis(reader: LakeReader, day: string): Promise<DayKpi[]> {
  const rows = await reader.duck.rows<{
    event_type: string;
    events: bigint;
    distinct_users: bigint;
    first_event_at: unknown;
    last_event_at: unknown;
  }>('kpis', [day]);
  return rows.map((row) => ({
    eventType: row.event_type,
    events: Number(row.events),
    distinctUsers: Number(row.distinct_users),
    firstEventAt: String(row.first_event_at),
    lastEventAt: String(row.last_event_at),
  }));
}

/** Replaces the day's rows of event_kpis_daily with these, in one transaction. */
export async function replaceDayKpis(
  client: PoolClient,
  day: string,
  kpis: readonly DayKpi[],
  runId: string | null,
): Promise<void> {
  await inTransaction(client, async () => {
    await querySqlFile(client, 'lake/delete_kpis_day.sql', [day]);
    if (kpis.length === 0) return;
    await querySqlFile(client, 'lake/insert_kpis.sql', [
      day,
      kpis.map((k) => k.eventType),
      kpis.map((k) => k.events),
      kpis.map((k) => k.distinctUsers),
      kpis.map((k) => k.firstEventAt),
      kpis.map((k) => k.lastEventAt),
      runId,
    ]);
  });
}
