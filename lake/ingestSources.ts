import { describeError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { ingestSource, type IngestContext, type IngestSummary } from './ingest';
import type { Source } from './sources';

/**
 * Sources one after the other, one log line each; a source that fails is logged and the next
 * one goes on (its ingest is recorded as failed, and nothing of it is visible).
 */
export async function ingestSources(
  ctx: IngestContext,
  sources: readonly Source[],
): Promise<{ summaries: IngestSummary[]; failed: number }> {
  const summaries: IngestSummary[] = [];
  let failed = 0;
  for (const source of sources) {
    ctx.signal?.throwIfAborted();
    try {
      const summary = await ingestSource(ctx, source);
      summaries.push(summary);
      logIngest(ctx.log, summary);
    } catch (error) {
      if (ctx.signal?.aborted === true) throw error;
      failed++;
      ctx.log.error('ingest failed; nothing of it is in the lake', {
        source: source.uri,
        status: 'failed',
        error: describeError(error),
      });
    }
  }
  return { summaries, failed };
}

/** One line for an ingest: what it read, wrote, quarantined and dropped, and where the time went. */
export function logIngest(log: Logger, s: IngestSummary): void {
  if (s.status !== 'succeeded') {
    const why =
      s.status === 'unchanged' ? 'this version of it was ingested before' : 'the same bytes were ingested before';
    log.info(`source skipped: ${why}`, {
      source: s.source,
      status: s.status,
      ingest_id: s.ingestId,
      same_as: s.sameAs,
    });
    return;
  }
  const level = s.quarantined > 0 ? 'warn' : 'info';
  log.log(level, s.quarantined > 0 ? 'source ingested; some lines are in quarantine' : 'source ingested', {
    source: s.source,
    status: s.status,
    ingest_id: s.ingestId,
    lines: s.linesRead,
    events: s.eventsWritten,
    quarantined: s.quarantined,
    duplicates: s.duplicates,
    blank: s.blankLines,
    ...(s.quarantined > 0 ? { reasons: JSON.stringify(s.reasons) } : {}),
    files: s.files,
    bytes: s.bytes,
    duration_ms: s.durationMs,
    ...(s.phasesMs === undefined ? {} : { phases_ms: JSON.stringify(s.phasesMs) }),
    events_per_s: Math.round((s.linesRead * 1000) / Math.max(1, s.durationMs)),
  });
}
