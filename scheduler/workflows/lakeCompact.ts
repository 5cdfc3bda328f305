import { compactLake, DEFAULT_MAX_PARTITIONS } from '../../lake/compact';
import { openLake } from '../../lake/lakeStore';
import type { Config } from '../../lib/config';
import { defineWorkflow, param } from '../workflow';

/**
 * lake_compact (docs/lake-maintenance.md, "Compaction"): the lake's partitions that arrived in
 * many small files, rewritten into files near LAKE_TARGET_FILE_MB (lake/compact.ts).
 */
export function lakeCompact(config: Config) {
  return defineWorkflow({
    name: 'lake_compact',
    description:
      'Rewrites the lake partitions (an hour of one type) made of many small files into files near the target size',
    schedule: config.lake.compactSchedule,
    timezone: 'UTC',
    concurrency: 1,
    taskTimeoutMs: config.lake.taskTimeoutMs,
    params: {
      max_partitions: param.integer({
        default: DEFAULT_MAX_PARTITIONS,
        min: 1,
        max: 100_000,
        description:
          'partitions compacted by one run at most, the most fragmented first; the rest wait for the next run',
      }),
    },
    tasks: () => ({
      compact: {
        kind: 'function',
        describe: 'compact the candidate partitions, one transaction each (lake/compact.ts)',
        async run(ctx) {
          const lake = openLake(config);
          try {
            const summary = await compactLake(
              { db: ctx.pool, lake, config, log: ctx.log, runId: ctx.run.id, signal: ctx.signal },
              { maxPartitions: ctx.params.max_partitions },
            );
            if (summary.failed > 0) {
              throw new Error(
                `${summary.failed} of ${summary.candidates} partitions could not be compacted (their files are unchanged); see the lines above`,
              );
            }
            return { rows: summary.compacted.reduce((total, p) => total + p.rows, 0), value: summary };
          } finally {
            lake.close();
          }
        },
      },
    }),
  });
}
