import type { Config } from '../../lib/config';
import { querySqlFile } from '../../lib/sqlFiles';
import { ingestSource } from '../../lake/ingest';
import { logIngest } from '../../lake/ingestSources';
import { openLake } from '../../lake/lakeStore';
import { findSources, type Source } from '../../lake/sources';
import { defineWorkflow, type TaskContext } from '../workflow';

/** The sources of LAKE_INBOX not yet ingested at their current version, in path order. */
async function newSources(config: Config, ctx: Pick<TaskContext, 'db' | 'signal' | 'log'>): Promise<Source[]> {
  const inbox = config.lake.inbox;
  const all = await findSources(config, [inbox], ctx.signal).catch((error: unknown) => {
    // A folder inbox that does not exist (yet) is an empty one; anything else is a failure.
    if (!inbox.startsWith('s3://') && (error as Error).message.endsWith('no such file or folder')) return [];
    throw error;
  });
  const { rows } = await querySqlFile<{ source: string; source_version: string }>(
    ctx.db,
    'lake/ingested_versions.sql',
    [all.map((source) => source.uri)],
  );
  const taken = new Set(rows.map((row) => `${row.source}\n${row.source_version}`));
  return all.filter((source) => !taken.has(`${source.uri}\n${source.version}`));
}

/**
 * lake_ingest (docs/lake.md, "lake_ingest"): every file of LAKE_INBOX that the lake has not
 * taken at its current size and time, into the lake; one task execution per source (item = the
 * source), each with its own timeout and line in task_runs, so that one bad source fails alone
 * and the next run takes it again.
 */
export function lakeIngest(config: Config) {
  return defineWorkflow({
    name: 'lake_ingest',
    description: `New NDJSON files of LAKE_INBOX (${config.lake.inbox}) into the event lake`,
    schedule: config.lake.ingestSchedule,
    timezone: 'UTC',
    concurrency: 1,
    taskTimeoutMs: config.lake.taskTimeoutMs,
    params: {},
    tasks: () => ({
      ingest: {
        kind: 'function',
        describe: 'one source into the lake: checked, quarantined, deduplicated, catalogued (lake/ingest.ts)',
        forEach: async (ctx) => (await newSources(config, ctx)).map((source) => source.uri),
        // A failed ingest leaves nothing visible (its files are orphans until maintenance), so a
        // source is simply ingested again: a passing fault of the object store or the database
        // costs seconds, not the wait for the next run's tick.
        retries: 2,
        async run(ctx) {
          const uri = ctx.item as string;
          const [source] = (await findSources(config, [uri], ctx.signal)).filter((found) => found.uri === uri);
          if (source === undefined) throw new Error(`${uri} is gone from LAKE_INBOX since the run listed it`);
          const lake = openLake(config);
          try {
            const summary = await ingestSource(
              { db: ctx.pool, lake, config, log: ctx.log, runId: ctx.run.id, signal: ctx.signal },
              source,
            );
            logIngest(ctx.log, summary);
            return { rows: summary.eventsWritten, value: summary };
          } finally {
            lake.close();
          }
        },
      },
    }),
  });
}
