import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseGenerateArgs } from '../events/commands/generate';
import { writeEventFiles } from '../events/writeEventFiles';
import type { Manifest } from '../events/manifest';
import { resolveParams, type Workflow } from '../scheduler/workflow';
import { runWorkflow } from '../scheduler/runWorkflow';
import { defineWorkflows } from '../scheduler/workflows';
import { createTestDatabase, type TestDatabase } from './support/database';
import { tempDir } from './support/files';
import { lakeConfig } from './support/lake';
import { captureLogger } from './support/logs';

/**
 * The lake against the event generator: two programs written apart, the generator's manifest
 * the reference. A day of generated events (every kind of malformed line, duplicates, late
 * events), taken in by lake_ingest from its inbox, must give the manifest's counts line for line,
 * and event_kpis the manifest's events and distinct users per type and day.
 */

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db.drop();
});

async function run(workflow: Workflow, params: Record<string, string> = {}): Promise<void> {
  const outcome = await runWorkflow(
    db.pool,
    workflow,
    { trigger: 'manual', params: resolveParams(workflow, params) },
    captureLogger().logger,
  );
  expect(outcome.status).toBe('succeeded');
}

// Per type, every (type, hour) is a file and each file its own ingest: fewer types and hours.
describe.each([
  ['one file per hour', { gzip: false, perType: false, flags: ['--hours', '6'] }],
  ['gzip, one folder per type', { gzip: true, perType: true, flags: ['--types', '12', '--hours', '4'] }],
])('a generated day, %s', (_, shape) => {
  let manifest: Manifest;
  let workflows: Workflow[];

  beforeAll(async () => {
    await db.pool.query('TRUNCATE lake_files, lake_ingests, lake_compactions, event_kpis_daily CASCADE');
    const inbox = path.join(tempDir('generated-'), 'events');
    mkdirSync(inbox);
    // Rates well above the defaults, so that every reason shows up in 10,000 events.
    const rates = ['--malformed', '0.02', '--duplicates', '0.05', '--late', '0.05'];
    const shapeFlags = [...(shape.gzip ? ['--gzip'] : []), ...(shape.perType ? ['--per-type'] : [])];
    const args = parseGenerateArgs([
      ...['--out', inbox, '--events', '10000', '--seed', '11'],
      ...rates,
      ...shapeFlags,
      ...shape.flags,
    ]);
    manifest = await writeEventFiles(args.events, args.write);
    workflows = defineWorkflows(lakeConfig(db, { LAKE_INBOX: inbox }));
    await run(workflows.find((w) => w.name === 'lake_ingest')!);
  }, 120_000);

  test('lines read, events written, quarantined by reason, duplicates and blank lines are the manifest’s', async () => {
    const { rows } = await db.pool.query(
      `SELECT sum(lines_read)::int AS lines, sum(events_written)::int AS events, sum(quarantined)::int AS quarantined,
              sum(duplicates)::int AS duplicates, sum(blank_lines)::int AS blank, count(*)::int AS ingests
       FROM lake_ingests WHERE status = 'succeeded'`,
    );
    const totals = manifest.totals;
    expect(rows[0]).toEqual({
      lines: totals.lines,
      events: totals.distinct_event_ids,
      quarantined: totals.malformed,
      duplicates: totals.duplicates,
      blank: totals.blank,
      ingests: manifest.files.length,
    });
    const { rows: reasons } = await db.pool.query<{ reason: string; n: number }>(
      `SELECT key AS reason, sum(value::int)::int AS n FROM lake_ingests, jsonb_each_text(quarantine_reasons) GROUP BY key`,
    );
    const byReason = Object.fromEntries(reasons.map((row) => [row.reason, row.n]));
    const expected = Object.fromEntries(Object.entries(totals.malformed_by_reason).filter(([, n]) => n > 0));
    expect(byReason).toEqual(expected);
    const { rows: files } = await db.pool.query("SELECT sum(rows)::int AS n FROM lake_files WHERE content = 'events'");
    expect(files[0].n).toBe(totals.distinct_event_ids);
  });

  test('event_kpis gives the manifest’s events and distinct users per type, for each day', async () => {
    const days = [...new Set(manifest.events_by_type_and_date.map((count) => count.date))].sort();
    for (const day of days)
      await run(
        workflows.find((w) => w.name === 'event_kpis')!,
        { day },
      );
    const { rows } = await db.pool.query<{ day: string; event_type: string; events: number; users: number }>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, event_type, events::int, distinct_users::int AS users
       FROM event_kpis_daily`,
    );
    const order = (a: { day: string; event_type: string }, b: { day: string; event_type: string }): number =>
      a.day !== b.day
        ? a.day < b.day
          ? -1
          : 1
        : a.event_type < b.event_type
          ? -1
          : a.event_type > b.event_type
            ? 1
            : 0;
    const expected = manifest.events_by_type_and_date
      .map((count) => ({
        day: count.date,
        event_type: count.type,
        events: count.events,
        users: count.distinct_user_ids,
      }))
      .sort(order);
    expect(rows.sort(order)).toEqual(expected);
  }, 120_000);
});
