import type { PoolClient } from '../lib/db';
import { querySqlFile } from '../lib/sqlFiles';
import { exportedDates, readCatalogExports, type ExportedFile } from './catalogExport';
import type { LakeStore } from './lakeStore';
import type { EventsFilter, QueryPlan } from './queryPlan';

/**
 * The files a plan reads (docs/lake-query.md, "Pruning"): from the catalog (lake_files), or,
 * without PostgreSQL, from the catalog exports in the lake (lake/catalogExport.ts). Both apply the
 * same test, in SQL (sql/lake/query_files.sql) and here (matches).
 */

export interface PlannedFile {
  path: string;
  bytes: number;
}

export interface PlannedFiles {
  events: PlannedFile[];
  quarantine: PlannedFile[];
  /** The live events files the plan chose from. */
  total: { files: number; bytes: number };
  /** Where the plan came from, for the log: "catalog", or the exports read. */
  source: string;
}

interface FileRow {
  path: string;
  bytes: string;
}

function byPath(files: Iterable<PlannedFile>): PlannedFile[] {
  return [...new Map([...files].map((file) => [file.path, file])).values()].sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0,
  );
}

/** From lake_files; run it in one snapshot (the commands' read-only transaction) for a consistent total. */
export async function filesFromCatalog(client: PoolClient, plan: QueryPlan): Promise<PlannedFiles> {
  const events: PlannedFile[] = [];
  for (const filter of plan.events) {
    const { rows } = await querySqlFile<FileRow>(client, 'lake/query_files.sql', [
      filter.types ?? null,
      filter.typePrefixes ?? null,
      filter.fromMs === undefined ? null : new Date(filter.fromMs),
      filter.toMs === undefined ? null : new Date(filter.toMs),
      filter.fromDate ?? null,
      filter.toDate ?? null,
      filter.hours ?? null,
    ]);
    events.push(...rows.map((row) => ({ path: row.path, bytes: Number(row.bytes) })));
  }
  const quarantine = plan.quarantine
    ? (await querySqlFile<FileRow>(client, 'lake/quarantine_files.sql')).rows.map((row) => ({
        path: row.path,
        bytes: Number(row.bytes),
      }))
    : [];
  const { rows } = await querySqlFile<{ files: string; bytes: string }>(client, 'lake/live_events_total.sql');
  return {
    events: byPath(events),
    quarantine,
    total: { files: Number(rows[0]!.files), bytes: Number(rows[0]!.bytes) },
    source: 'catalog',
  };
}

/** Whether an exported events file can hold rows the filter lets through: query_files.sql's test. */
export function matches(file: ExportedFile, filter: EventsFilter): boolean {
  const { type, hour, minCreatedAtMs, maxCreatedAtMs } = file;
  return (
    (filter.types === undefined || filter.types.includes(type!)) &&
    (filter.typePrefixes === undefined || filter.typePrefixes.every((prefix) => type!.startsWith(prefix))) &&
    (filter.fromMs === undefined || maxCreatedAtMs! >= filter.fromMs) &&
    (filter.toMs === undefined || minCreatedAtMs! <= filter.toMs) &&
    (filter.fromDate === undefined || file.date >= filter.fromDate) &&
    (filter.toDate === undefined || file.date <= filter.toDate) &&
    (filter.hours === undefined || filter.hours.includes(hour!))
  );
}

/** The dates whose exports a plan needs: all of them unless every reading is bounded by date (or created_at). */
function neededDates(plan: QueryPlan, available: readonly string[]): string[] {
  if (plan.quarantine) return [...available];
  return available.filter((date) =>
    plan.events.some(
      (filter) =>
        (filter.fromDate === undefined || date >= filter.fromDate) &&
        (filter.toDate === undefined || date <= filter.toDate),
    ),
  );
}

/** From the catalog exports: one listing of _catalog/, then the exports of the dates the plan needs. */
export async function filesFromExports(
  lake: LakeStore,
  plan: QueryPlan,
  folder: string,
  signal?: AbortSignal,
): Promise<PlannedFiles> {
  const dates = neededDates(plan, await exportedDates(lake, signal));
  const files = await readCatalogExports(lake, dates, folder, signal);
  const live = files.filter((file) => file.content === 'events');
  const planned = (file: ExportedFile): PlannedFile => ({ path: file.path, bytes: file.bytes });
  return {
    events: byPath(live.filter((file) => plan.events.some((filter) => matches(file, filter))).map(planned)),
    quarantine: files.filter((file) => file.content === 'quarantine').map(planned),
    total: { files: live.length, bytes: live.reduce((sum, file) => sum + file.bytes, 0) },
    source: `catalog exports of ${dates.length} date${dates.length === 1 ? '' : 's'}`,
  };
}
