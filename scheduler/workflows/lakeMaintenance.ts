import { openLake } from '../../lake/lakeStore';
import { maintainLake } from '../../lake/maintain';
import type { Config } from '../../lib/config';
import { defineWorkflow, param } from '../workflow';

/**
 * lake_maintenance (docs/lake-maintenance.md, "Maintenance"): abandoned ingests marked failed,
 * replaced files past LAKE_FILE_GRACE deleted, orphan and staging files past it deleted
 * (lake/maintain.ts).
 */
export function lakeMaintenance(config: Config) {
  return defineWorkflow({
    name: 'lake_maintenance',
    description: 'Deletes the lake files compaction replaced and the orphans of stopped writers, past LAKE_FILE_GRACE',
    schedule: config.lake.maintenanceSchedule,
    timezone: 'UTC',
    concurrency: 1,
    taskTimeoutMs: config.lake.taskTimeoutMs,
    params: {
      dry_run: param.boolean({ default: false, description: 'count what would be done; change nothing' }),
    },
    tasks: () => ({
      maintain: {
        kind: 'function',
        describe: 'abandoned ingests, replaced files, orphans, staging leftovers (lake/maintain.ts)',
        async run(ctx) {
          const lake = openLake(config);
          try {
            const summary = await maintainLake(
              { db: ctx.pool, lake, config, log: ctx.log, signal: ctx.signal },
              { dryRun: ctx.params.dry_run },
            );
            return { rows: summary.replaced.files + summary.orphans.files + summary.staging.files, value: summary };
          } finally {
            lake.close();
          }
        },
      },
    }),
  });
}
