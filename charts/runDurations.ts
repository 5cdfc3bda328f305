import { ConfigError } from '../lib/errors';
import { querySqlFile } from '../lib/sqlFiles';
import type { Queryable } from './ratioSeries';

/** One run of a workflow for the durations chart (sql/charts/run_durations.sql). */
export interface RunDuration {
  runId: string;
  /** ISO 8601, UTC. */
  startedAt: string;
  /** Null while the run is still going. */
  durationMs: number | null;
  status: string;
}

/** The last `limit` runs of one workflow, oldest first. */
export async function readRunDurations(db: Queryable, workflow: string, limit = 500): Promise<RunDuration[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new ConfigError(`limit ${limit}: expected a whole number >= 1`);
  const { rows } = await querySqlFile<{
    run_id: string;
    started_at: string;
    duration_ms: number | null;
    status: string;
  }>(db, 'charts/run_durations.sql', [workflow, limit]);
  return rows.map((row) => ({
    runId: row.run_id,
    startedAt: row.started_at,
    durationMs: row.duration_ms,
    status: row.status,
  }));
}
