import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  type WriteStream,
} from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import type { DuckDBBlobValue } from '@duckdb/node-api';
import { DuckDb, literal, literalList } from '../lake/duckdb';
import type { Manifest } from '../events/manifest';
import { queryBenchSql } from './benchSql';
import { runDuckdbSql, runEventGenerator, runLake } from './commands';
import { attempt, runAlone, runPairs, type Side } from './pairs';
import type { BenchDatabase } from './postgres';
import type {
  BenchContext,
  LakeAnswer,
  LakeCompactionPart,
  LakeIngestCounts,
  LakeIngestPart,
  LakeQueryPart,
  LakeResult,
} from './results';

/**
 * Item 10, the event lake (docs/lake.md), three parts over one generated day of events:
 * (a) `npm run lake -- ingest <file>` — validation, quarantine, dedupe, catalog — against DuckDB's
 *     own single COPY … PARTITION_BY of the same file, which validates nothing
 *     (bench/sql/lake_duckdb_copy.sql, run by bench/duckdbCopy.ts with DuckDB's defaults);
 * (b) `npm run lake -- query` of one type over 3 hours on the lake of (a), against the same
 *     question with DuckDB straight over the NDJSON file (bench/sql/lake_duckdb_query.sql);
 * (c) an hour of one type ingested as 20 small files, then `npm run lake -- compact`: one file after.
 * Every command is a process of its own, A, B, A, B …; each lake ingest gets a fresh lake folder
 * and a fresh catalog database, and its counts are checked against the generator's manifest.
 */

/** The generated day: fixed, so that the same BENCH_LAKE_EVENTS gives the same file on any day. */
export const LAKE_DAY = '2026-11-01';
/** The query's 3 hours of that day (UTC): from 09:00, where the day curve is above its mean. */
export const QUERY_FROM_HOUR = 9;
export const QUERY_HOURS = 3;
/** The compacted hour: small files of the busiest type, one ingest each. */
export const SMALL_FILES = 20;
export const COMPACTION_HOUR = 5;
const HOUR_MS = 3_600_000;

/** The generator's rates (its defaults), to know its line count before it runs (round(N × rate) each). */
const RATES = [0.01, 0.001, 0.0001];

/** About an hour of the busiest type in a day of `events`: a quarter of the day's events over 24 hours. */
export function compactionEvents(events: number): number {
  return Math.max(SMALL_FILES * 10, Math.round(events / 100));
}

function readManifest(folder: string): Manifest {
  return JSON.parse(readFileSync(path.join(folder, 'manifest.json'), 'utf8')) as Manifest;
}

/** The generator writes a file per arrival hour: one file of the day, in order, as the ingest takes it. */
async function concatenate(folder: string, manifest: Manifest, file: string): Promise<void> {
  const out = createWriteStream(file);
  for (const entry of manifest.files) {
    for await (const chunk of createReadStream(path.join(folder, entry.path))) {
      if (!out.write(chunk)) await once(out, 'drain');
    }
    rmSync(path.join(folder, entry.path));
  }
  await closed(out);
}

function closed(out: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

/** Files and bytes under a folder (DuckDB's partitioned output). */
function folderSize(folder: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    files += 1;
    bytes += statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return { files, bytes };
}

/** The rows of duckdbCopy.js's CSV output (a header, then values without quotes here). */
export function csvRows(stdout: string): Record<string, string>[] {
  // The lake's --format csv ends its lines with CRLF (RFC 4180), duckdbCopy.js with LF.
  const [header, ...lines] = stdout.trim().split(/\r?\n/);
  const columns = (header ?? '').split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((value, i) => [columns[i], value])));
}

export function answerOf(stdout: string, who: string): LakeAnswer {
  const row = csvRows(stdout)[0];
  const answer = { events: Number(row?.events), distinctIds: Number(row?.distinct_ids) };
  if (!Number.isInteger(answer.events) || !Number.isInteger(answer.distinctIds)) {
    throw new Error(`${who} answered ${JSON.stringify(stdout.trim())}, not events and distinct_ids`);
  }
  return answer;
}

const sameAnswer = (a: LakeAnswer, b: LakeAnswer): boolean => a.events === b.events && a.distinctIds === b.distinctIds;

const sortedEntries = (counts: Record<string, number>): string =>
  JSON.stringify(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));

interface IngestRow {
  status: string;
  lines_read: number;
  events_written: number;
  quarantined: number;
  duplicates: number;
  blank_lines: number;
  quarantine_reasons: Record<string, number> | null;
  events_in_files: number;
  files: number;
  bytes: number;
}

/** The phases_ms of the ingest's JSON log line ("source ingested …"). */
function phasesOf(stdout: string): Record<string, number> {
  for (const line of stdout.split('\n')) {
    if (!line.includes('"phases_ms"')) continue;
    const fields = JSON.parse(line) as { phases_ms?: string };
    if (fields.phases_ms !== undefined) return JSON.parse(fields.phases_ms) as Record<string, number>;
  }
  return {};
}

/** The one ingest of the day's file, its counts held to the manifest's (the generator's own account). */
async function checkedIngest(db: BenchDatabase, manifest: Manifest, stdout: string): Promise<LakeIngestCounts> {
  const rows = (await queryBenchSql<IngestRow>(db.pool, 'lake_ingests.sql')).rows;
  const row = rows[0];
  if (rows.length !== 1 || row?.status !== 'succeeded') {
    throw new Error(
      `expected one succeeded ingest in lake_ingests, found ${JSON.stringify(rows.map((r) => r.status))}`,
    );
  }
  const t = manifest.totals;
  const reasons = Object.fromEntries(Object.entries(t.malformed_by_reason).filter(([, count]) => count > 0));
  const problems = [
    ['lines read', row.lines_read, t.lines],
    ['events written', row.events_written, t.distinct_event_ids],
    ['events in its files', row.events_in_files, t.distinct_event_ids],
    ['quarantined', row.quarantined, t.malformed],
    ['duplicates', row.duplicates, t.duplicates],
    ['blank lines', row.blank_lines, t.blank],
    [
      'events + quarantined + duplicates + blank',
      row.events_written + row.quarantined + row.duplicates + row.blank_lines,
      row.lines_read,
    ],
  ]
    .filter(([, found, expected]) => found !== expected)
    .map(([what, found, expected]) => `${what} ${found}, expected ${expected}`);
  if (sortedEntries(row.quarantine_reasons ?? {}) !== sortedEntries(reasons)) {
    problems.push(`quarantine reasons ${JSON.stringify(row.quarantine_reasons)}, expected ${JSON.stringify(reasons)}`);
  }
  if (problems.length > 0) throw new Error(`the lake's ingest does not match the manifest: ${problems.join('; ')}`);
  return {
    linesRead: row.lines_read,
    eventsWritten: row.events_written,
    quarantined: row.quarantined,
    duplicates: row.duplicates,
    blankLines: row.blank_lines,
    files: row.files,
    bytes: row.bytes,
    phasesMs: phasesOf(stdout),
  };
}

export interface Lake {
  db: BenchDatabase;
  folder: string;
  temp: string;
}

interface Day {
  file: string;
  manifest: Manifest;
}

/** A lake folder, its temporary folder and a catalog database of its own, all new. */
export async function freshLake(ctx: BenchContext, workDir: string, label: string): Promise<Lake> {
  const folder = path.join(workDir, label);
  const temp = path.join(workDir, `${label}-tmp`);
  mkdirSync(temp, { recursive: true });
  return { db: await ctx.server.createDatabase(label.replace(/-/g, '_')), folder, temp };
}

async function compareIngest(ctx: BenchContext, workDir: string, day: Day, part: LakeIngestPart): Promise<Lake> {
  const name = `lake ingest ${day.manifest.totals.lines.toLocaleString('en-US')} lines`;
  const out = path.join(workDir, 'duckdb-out');
  let lake: Lake | undefined;
  let run = 0;
  const duckdb: Side = {
    label: 'DuckDB COPY … PARTITION_BY',
    prepare: async () => rmSync(out, { recursive: true, force: true }),
    run: async () => {
      const sample = await runDuckdbSql('lake_duckdb_copy.sql', { file: day.file, out }, workDir);
      part.duckdbRows = Number(csvRows(sample.stdout)[0]?.Count);
      ({ files: part.duckdbFiles, bytes: part.duckdbBytes } = folderSize(out));
      rmSync(out, { recursive: true, force: true });
      return { wallMs: sample.wallMs, peakRssBytes: sample.peakRssBytes };
    },
  };
  const ingest: Side = {
    label: 'npm run lake -- ingest',
    // Not timed: the previous lake and its catalog go; the last one stays for the query.
    prepare: async () => {
      if (lake !== undefined) rmSync(lake.folder, { recursive: true, force: true });
      run += 1;
      lake = await freshLake(ctx, workDir, `lake-ingest-${run}`);
    },
    run: async () => {
      const sample = await runLake(lake!.db, lake!.folder, lake!.temp, ['ingest', day.file]);
      part.lakeRuns.push(await checkedIngest(lake!.db, day.manifest, sample.stdout));
      return { wallMs: sample.wallMs, peakRssBytes: sample.peakRssBytes };
    },
  };
  await runPairs(name, duckdb, ingest, ctx.settings.pairs, ctx.progress, { a: part.duckdb, b: part.lake });
  return lake!;
}

/** The raw lines of the lake's quarantine, byte for byte, one a line: what the lake did not take. */
async function writeQuarantinedLines(lake: Lake, file: string): Promise<void> {
  const paths = (await queryBenchSql<{ path: string }>(lake.db.pool, 'lake_quarantine_paths.sql')).rows;
  const out = createWriteStream(file);
  if (paths.length > 0) {
    const duck = await DuckDb.open({ memoryLimitMb: 512, threads: 1, spillDir: path.join(lake.temp, 'spill') });
    try {
      const files = literalList(paths.map((row) => path.join(lake.folder, row.path)));
      const reader = await duck.connection.runAndReadAll(
        `SELECT raw FROM read_parquet(${files}) ORDER BY ingest_id, line`,
      );
      for (const [raw] of reader.getRows()) {
        out.write((raw as DuckDBBlobValue).bytes);
        out.write('\n');
      }
    } finally {
      duck.close();
    }
  }
  await closed(out);
}

/** One type in the middle of the ranks: busier than half the types, quieter than the other half. */
function midFrequencyType(manifest: Manifest): { type: string; events: number } {
  const byRank = [...manifest.types].sort((a, b) => a.rank - b.rank);
  const middle = byRank[Math.floor(byRank.length / 2)]!;
  return { type: middle.type, events: middle.events };
}

const isoUtc = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('.000Z', '+00');

async function compareQuery(
  ctx: BenchContext,
  workDir: string,
  day: Day,
  lake: Lake,
  part: LakeQueryPart,
): Promise<void> {
  const fromMs = Date.parse(`${LAKE_DAY}T00:00:00Z`) + QUERY_FROM_HOUR * HOUR_MS;
  const toMs = fromMs + QUERY_HOURS * HOUR_MS;
  const values = { file: day.file, type: part.type, from_ms: String(fromMs), to_ms: String(toMs) };
  const sql =
    `SELECT count(*) AS events, count(DISTINCT id) AS distinct_ids FROM events WHERE type = ${literal(part.type)} ` +
    `AND created_at >= '${isoUtc(fromMs)}' AND created_at < '${isoUtc(toMs)}'`;
  const keep = (who: 'duckdbAnswer' | 'lakeAnswer', answer: LakeAnswer): void => {
    const before = part[who];
    if (before !== undefined && !sameAnswer(before, answer)) {
      throw new Error(`${who}: ${JSON.stringify(answer)} this time, ${JSON.stringify(before)} before`);
    }
    part[who] = answer;
  };
  const duckdb: Side = {
    label: 'DuckDB over the NDJSON file',
    run: async () => {
      const sample = await runDuckdbSql('lake_duckdb_query.sql', values, workDir);
      keep('duckdbAnswer', answerOf(sample.stdout, 'DuckDB'));
      return { wallMs: sample.wallMs, peakRssBytes: sample.peakRssBytes };
    },
  };
  const query: Side = {
    label: 'npm run lake -- query',
    run: async () => {
      const sample = await runLake(lake.db, lake.folder, lake.temp, ['query', sql, '--format', 'csv']);
      keep('lakeAnswer', answerOf(sample.stdout, 'the lake'));
      return { wallMs: sample.wallMs, peakRssBytes: sample.peakRssBytes };
    },
  };
  const name = `lake query ${part.type} ${QUERY_HOURS} h`;
  await runPairs(name, duckdb, query, ctx.settings.pairs, ctx.progress, { a: part.duckdb, b: part.lake });
  // Not timed: the same DuckDB query over the lines the lake quarantined. The raw file holds every
  // event the lake wrote, its duplicate deliveries (same id) and those lines, whose ids are their
  // own: DuckDB's count of distinct ids must be the lake's plus theirs, exactly.
  const quarantined = path.join(workDir, 'quarantined.ndjson');
  await writeQuarantinedLines(lake, quarantined);
  part.quarantinedAnswer = answerOf(
    (await runDuckdbSql('lake_duckdb_query.sql', { ...values, file: quarantined }, workDir)).stdout,
    'DuckDB over the quarantined lines',
  );
  const [raw, lakeAnswer, extra] = [part.duckdbAnswer!, part.lakeAnswer!, part.quarantinedAnswer];
  if (lakeAnswer.events !== lakeAnswer.distinctIds) {
    throw new Error(`the lake has ${lakeAnswer.events} events of ${lakeAnswer.distinctIds} ids: an event twice`);
  }
  if (raw.distinctIds !== lakeAnswer.distinctIds + extra.distinctIds) {
    throw new Error(
      `the answers differ: DuckDB over the file counts ${raw.distinctIds} distinct ids, the lake ${lakeAnswer.distinctIds} ` +
        `and its quarantined lines ${extra.distinctIds}`,
    );
  }
}

async function compareCompaction(ctx: BenchContext, workDir: string, part: LakeCompactionPart): Promise<void> {
  const source = path.join(workDir, 'small-files');
  const lines = part.events + RATES.reduce((sum, rate) => sum + Math.round(part.events * rate), 0);
  ctx.progress(
    `lake compaction: generating ${part.events.toLocaleString('en-US')} events of one hour in ${SMALL_FILES} files`,
  );
  await runEventGenerator([
    ...['--out', source, '--events', String(part.events), '--types', '1', '--hours', '1', '--late', '0'],
    ...['--start', `${LAKE_DAY}T${String(COMPACTION_HOUR).padStart(2, '0')}`],
    ...['--lines-per-file', String(Math.ceil(lines / SMALL_FILES))],
  ]);
  const manifest = readManifest(source);
  part.type = manifest.types[0]!.type;
  part.sourceFiles = manifest.files.length;
  const state = async (db: BenchDatabase) =>
    (
      await queryBenchSql<{
        live_files: number;
        live_rows: number;
        compactions: number;
        files_in: number;
        bytes_in: number;
        bytes_out: number;
      }>(db.pool, 'lake_partition_state.sql', [part.type, part.date, part.hour])
    ).rows[0]!;
  let lake: Lake | undefined;
  let run = 0;
  const compact: Side = {
    label: 'npm run lake -- compact',
    // Not timed for the judgement: a fresh lake, the small files ingested into it, one ingest each.
    prepare: async () => {
      if (lake !== undefined) rmSync(lake.folder, { recursive: true, force: true });
      run += 1;
      lake = await freshLake(ctx, workDir, `lake-compact-${run}`);
      const ingest = await runLake(lake.db, lake.folder, lake.temp, ['ingest', source]);
      part.ingests.push({ wallMs: ingest.wallMs, peakRssBytes: ingest.peakRssBytes });
      const before = await state(lake.db);
      if (before.live_files !== part.sourceFiles) {
        throw new Error(`${part.sourceFiles} small files made ${before.live_files} files of the hour, not one each`);
      }
      part.filesBefore.push(before.live_files);
    },
    run: async () => {
      const sample = await runLake(lake!.db, lake!.folder, lake!.temp, ['compact']);
      const after = await state(lake!.db);
      const written = (await queryBenchSql<IngestRow>(lake!.db.pool, 'lake_ingests.sql')).rows.reduce(
        (sum, row) => sum + row.events_written,
        0,
      );
      if (after.live_rows !== written || after.files_in !== part.filesBefore.at(-1)) {
        throw new Error(
          `after compaction the hour holds ${after.live_rows} events of the ${written} ingested, from ${after.files_in} files`,
        );
      }
      part.filesAfter.push(after.live_files);
      part.rows = after.live_rows;
      part.bytesIn = after.bytes_in;
      part.bytesOut = after.bytes_out;
      return { wallMs: sample.wallMs, peakRssBytes: sample.peakRssBytes };
    },
  };
  await runAlone('lake compaction', compact, ctx.settings.pairs, ctx.progress, part.compact);
}

export async function compareLake(ctx: BenchContext, workDir: string): Promise<LakeResult> {
  mkdirSync(workDir, { recursive: true });
  const events = ctx.settings.lakeEvents;
  const generated = path.join(workDir, 'generated');
  ctx.progress(`lake: generating ${events.toLocaleString('en-US')} events of ${LAKE_DAY}`);
  const generation = await runEventGenerator(['--out', generated, '--events', String(events), '--start', LAKE_DAY]);
  const manifest = readManifest(generated);
  const file = path.join(workDir, `events-${LAKE_DAY}.ndjson`);
  await concatenate(generated, manifest, file);
  const mid = midFrequencyType(manifest);
  const result: LakeResult = {
    events,
    lines: manifest.totals.lines,
    fileBytes: statSync(file).size,
    generateMs: generation.wallMs,
    ingest: { duckdb: [], lake: [], lakeRuns: [] },
    query: {
      type: mid.type,
      typeEvents: mid.events,
      from: new Date(Date.parse(`${LAKE_DAY}T00:00:00Z`) + QUERY_FROM_HOUR * HOUR_MS).toISOString(),
      to: new Date(Date.parse(`${LAKE_DAY}T00:00:00Z`) + (QUERY_FROM_HOUR + QUERY_HOURS) * HOUR_MS).toISOString(),
      duckdb: [],
      lake: [],
    },
    compaction: {
      type: '',
      date: LAKE_DAY,
      hour: COMPACTION_HOUR,
      events: compactionEvents(events),
      sourceFiles: 0,
      ingests: [],
      compact: [],
      filesBefore: [],
      filesAfter: [],
    },
  };
  const day = { file, manifest };
  let lake: Lake | undefined;
  await attempt(ctx, result.ingest, 'lake ingest', async () => {
    lake = await compareIngest(ctx, workDir, day, result.ingest);
  });
  await attempt(ctx, result.query, 'lake query', async () => {
    if (lake === undefined || result.ingest.error !== undefined) throw new Error('no lake to query: the ingest failed');
    await compareQuery(ctx, workDir, day, lake, result.query);
  });
  await attempt(ctx, result.compaction, 'lake compaction', () => compareCompaction(ctx, workDir, result.compaction));
  return result;
}
