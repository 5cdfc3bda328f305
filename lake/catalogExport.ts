import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { inTransaction, lease, type Pool } from '../lib/db';
import { InputError } from '../lib/errors';
import { querySqlFile } from '../lib/sqlFiles';
import type { LakeStore } from './lakeStore';
import {
  CATALOG_EXPORT_PREFIX,
  catalogExportPath,
  isQuarantinePath,
  parseCatalogExportPath,
  parseEventsPath,
} from './partitions';

/**
 * The catalog's live files, one JSON file per date in the lake itself (_catalog/date=<d>.json;
 * docs/lake-query.md, "Without PostgreSQL"), so that the lake can be read where only it is
 * reachable: `npm run lake -- query --from-lake` plans from these instead of lake_files. An export
 * is a copy: a commit is in it only once exportCatalogDays has run for its dates after the commit,
 * and lake maintenance rewrites them all (rewriteCatalogExports) to repair any that were missed.
 */

export interface ExportedFile {
  path: string;
  content: 'events' | 'quarantine';
  /** An events file's partition (from its path) and created_at range, epoch milliseconds. */
  type?: string;
  date: string;
  hour?: number;
  rows: number;
  bytes: number;
  minCreatedAtMs?: number;
  maxCreatedAtMs?: number;
}

interface CatalogRow {
  path: string;
  content: 'events' | 'quarantine';
  event_type: string | null;
  event_hour: number | null;
  rows: string;
  bytes: string;
  min_created_at: Date | null;
  max_created_at: Date | null;
}

/** The JSON of one date's export: format 1. */
function exportText(date: string, rows: readonly CatalogRow[]): string {
  return JSON.stringify({
    format: 1,
    date,
    exported_at: new Date().toISOString(),
    files: rows.map((row) => ({
      path: row.path,
      content: row.content,
      type: row.event_type,
      hour: row.event_hour,
      rows: Number(row.rows),
      bytes: Number(row.bytes),
      min_created_at: row.min_created_at?.toISOString() ?? null,
      max_created_at: row.max_created_at?.toISOString() ?? null,
    })),
  });
}

/**
 * Writes the export of each date from the catalog as it is now: call it after a commit that added
 * or removed files, with the dates of those files. A date without live files loses its export.
 */
export async function exportCatalogDays(
  db: Pool,
  lake: LakeStore,
  dates: readonly string[],
  signal?: AbortSignal,
): Promise<void> {
  const unique = [...new Set(dates)].sort();
  if (unique.length === 0) return;
  const folder = await lake.stagingFolder('catalog-export');
  const leased = await lease(db);
  const { client } = leased;
  try {
    for (const date of unique) {
      signal?.throwIfAborted();
      const target = catalogExportPath(date);
      // Under the date's lock from the read to the write: see lock_catalog_export.sql.
      await inTransaction(client, async () => {
        await querySqlFile(client, 'lake/lock_catalog_export.sql', [date]);
        const { rows } = await querySqlFile<CatalogRow>(client, 'lake/export_files.sql', [date]);
        if (rows.length === 0) {
          await lake.remove(target, signal);
          return;
        }
        const local = path.join(folder, `date=${date}.json`);
        await writeFile(local, exportText(date, rows));
        await lake.publish(local, target, signal);
      });
    }
  } finally {
    leased.release();
    await rm(folder, { recursive: true, force: true });
  }
}

/** Every export written again from the catalog, and those of dates without live files removed (lake maintenance). */
export async function rewriteCatalogExports(db: Pool, lake: LakeStore, signal?: AbortSignal): Promise<number> {
  const { rows } = await querySqlFile<{ event_date: string }>(db, 'lake/live_dates.sql');
  const dates = new Set(rows.map((row) => row.event_date));
  for (const date of await exportedDates(lake, signal)) dates.add(date);
  await exportCatalogDays(db, lake, [...dates], signal);
  return dates.size;
}

/** The dates that have an export: the one listing of the lake that planning without PostgreSQL makes. */
export async function exportedDates(lake: LakeStore, signal?: AbortSignal): Promise<string[]> {
  const dates: string[] = [];
  for await (const file of lake.list(CATALOG_EXPORT_PREFIX, signal)) {
    const date = parseCatalogExportPath(file.path);
    if (date !== undefined) dates.push(date);
  }
  return dates.sort();
}

function problem(where: string, what: string): InputError {
  return new InputError(`${where}: not a catalog export of this lake: ${what}`);
}

function timeMs(value: unknown, where: string): number | undefined {
  if (value === null || value === undefined) return undefined;
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw problem(where, `${JSON.stringify(value)} is not a time`);
  return ms;
}

/** One export's files, each path checked to be a lake path (never one a file made up). */
function parseExport(text: string, date: string, where: string): ExportedFile[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw problem(where, (error as Error).message);
  }
  const body = parsed as { format?: unknown; date?: unknown; files?: unknown };
  if (body.format !== 1 || body.date !== date || !Array.isArray(body.files)) {
    throw problem(where, `expected {"format": 1, "date": "${date}", "files": [...]}`);
  }
  return body.files.map((entry: unknown) => {
    const file = (entry ?? {}) as Record<string, unknown>;
    const filePath = typeof file.path === 'string' ? file.path : '';
    const rows = Number(file.rows);
    const bytes = Number(file.bytes);
    if (!Number.isSafeInteger(rows) || !Number.isSafeInteger(bytes)) {
      throw problem(where, `${JSON.stringify(filePath)} has no rows or bytes`);
    }
    if (file.content === 'quarantine' && isQuarantinePath(filePath)) {
      return { path: filePath, content: 'quarantine', date, rows, bytes };
    }
    const partition = file.content === 'events' ? parseEventsPath(filePath) : undefined;
    if (partition === undefined || partition.date !== date) {
      throw problem(where, `${JSON.stringify(filePath)} is not a lake file of ${date}`);
    }
    const minCreatedAtMs = timeMs(file.min_created_at, where);
    const maxCreatedAtMs = timeMs(file.max_created_at, where);
    if (minCreatedAtMs === undefined || maxCreatedAtMs === undefined) {
      throw problem(where, `${JSON.stringify(filePath)} has no created_at range`);
    }
    return {
      path: filePath,
      content: 'events',
      type: partition.type,
      date,
      hour: partition.hour,
      rows,
      bytes,
      minCreatedAtMs,
      maxCreatedAtMs,
    };
  });
}

/** The files of these dates' exports (local copies of the exports go into folder). */
export async function readCatalogExports(
  lake: LakeStore,
  dates: readonly string[],
  folder: string,
  signal?: AbortSignal,
): Promise<ExportedFile[]> {
  const relativePaths = dates.map(catalogExportPath);
  const local = await lake.localPaths(relativePaths, folder, signal);
  const files: ExportedFile[] = [];
  for (let i = 0; i < dates.length; i++) {
    files.push(...parseExport(await readFile(local[i]!, 'utf8'), dates[i]!, lake.url(relativePaths[i])));
  }
  return files;
}
