import { ConfigError } from '../lib/errors';
import { querySqlFile } from '../lib/sqlFiles';
import type { Queryable } from './ratioSeries';

/** Events of one type in one hour, as the lake's catalog counts them (sql/charts/lake_heatmap.sql). */
export interface HeatmapCell {
  type: string;
  /** The hour's start, ISO 8601 UTC: 2026-12-01T13:00:00Z. */
  hour: string;
  events: number;
}

/** The last `hours` hours of the catalog (ending with its newest hour), the `types` busiest types in them. */
export async function readLakeHeatmap(
  db: Queryable,
  { hours = 48, types = 30 }: { hours?: number; types?: number } = {},
): Promise<HeatmapCell[]> {
  for (const [name, value] of [
    ['hours', hours],
    ['types', types],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) throw new ConfigError(`${name} ${value}: expected a whole number >= 1`);
  }
  const { rows } = await querySqlFile<HeatmapCell>(db, 'charts/lake_heatmap.sql', [hours, types]);
  return rows;
}
