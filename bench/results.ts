import type { BenchServer } from './postgres';
import type { BenchSettings } from './settings';
import type { Sample } from './pairs';

/** What each comparison found, as the report writer gets it. */

export type Outcome<T> =
  | { status: 'measured'; value: T }
  | { status: 'not selected' }
  | { status: 'unavailable'; reason: string }
  | { status: 'failed'; reason: string };

export interface BenchContext {
  settings: BenchSettings;
  server: BenchServer;
  /** One line to stderr, so a person sees what is going on. */
  progress(line: string): void;
  /** Ctrl-C or SIGTERM: stop at once rather than go on to the next size. */
  interrupted: AbortSignal;
  /** A loans file of `rows` data rows, generated once per run. */
  loansFile(rows: number): Promise<string>;
}

export interface LoaderSize {
  rows: number;
  /** Distinct days in the file; fewer than rows when days repeat. */
  distinctDays: number;
  fileBytes: number;
  loader: Sample[];
  /** Undefined when psql cannot load the file (repeated days under the primary key). */
  psql?: Sample[];
  /** The loader's summary line of its last run. */
  summary: string;
  /** Why this size stopped short: the samples before it are kept. */
  error?: string;
}

export interface ReloadResult {
  rows: number;
  first: Sample[];
  reload: Sample[];
  summary: string;
}

export interface JobSize {
  /** Rows asked for; days is what loans could hold. */
  requestedRows: number;
  days: number;
  /** The job's parameters for a full rebuild: `mode=full` when the job has it, else none. */
  fullParams: string[];
  a: Sample[];
  b: Sample[];
  error?: string;
}

/** Changes to the published table's statistics over a span of refreshes. */
export interface UpdateCounts {
  /** Rows updated, and how many of those updates were HOT (same page, no new index entry). */
  rows: number;
  hot: number;
  autovacuums: number;
}

/** Full refreshes one after another on one database, nothing forced between them (item 6). */
export interface BackToBack {
  days: number;
  fullParams: string[];
  /** Every refresh in order; the first one builds the table from empty, each later one rewrites it. */
  runs: Sample[];
  /** pg_total_relation_size of the published table after the first refresh and after the last. */
  publishedBytesAfterFirst?: number;
  publishedBytesAfterLast?: number;
  /** The same result as a fresh CREATE TABLE AS (bench/sql/rebuild_reference.sql), bare and with the primary key. */
  referenceBytes?: number;
  referenceWithKeyBytes?: number;
  /** Over the whole series, from the cumulative statistics: approximate. */
  updates?: UpdateCounts;
  error?: string;
}

/** Full refreshes of data/loans.csv, the real file's shape, after one untimed refresh. */
export interface LoansCsvRefreshes {
  days: number;
  runs: Sample[];
  error?: string;
}

export interface SoakResult {
  backToBack: BackToBack;
  loansCsv: LoansCsvRefreshes;
}

export interface SchedulerProcess {
  schedule: string;
  rssBytes: number[];
  cpuPercent: number;
  runsInWindow: number;
}

export interface SchedulerResult {
  seconds: number;
  idle: SchedulerProcess;
  busy: SchedulerProcess & {
    lateMs: number[];
    expectedRuns: number;
    failedRuns: number;
    missedWarnings: number;
    skippedWarnings: number;
  };
}

/** ads_archive of one shown day against psql's \copy of the same rows through gzip (item 9). */
export interface AdsArchiveResult {
  rows: number;
  /** `psql -c "\copy (…) TO STDOUT" | gzip > file`. */
  psql: Sample[];
  /** `node dist/scheduler/cli.js ads_archive`. */
  archive: Sample[];
  /** `ads_restore` between pairs, to put the rows back: not judged. */
  restore: Sample[];
  /** Sizes of the last gzip file of psql's side and of the last archive object. */
  psqlGzipBytes?: number;
  archiveBytes?: number;
  error?: string;
}

/** The lake ingest's own account of one run: its lake_ingests row and the log line's phases. */
export interface LakeIngestCounts {
  linesRead: number;
  eventsWritten: number;
  quarantined: number;
  duplicates: number;
  blankLines: number;
  files: number;
  bytes: number;
  /** phases_ms of its log line: read, dedupe, lake_dedupe, write, publish, commit. */
  phasesMs: Record<string, number>;
}

/** Item 10 (a): `npm run lake -- ingest <file>` against DuckDB's bare COPY … PARTITION_BY of the same file. */
export interface LakeIngestPart {
  duckdb: Sample[];
  lake: Sample[];
  /** Of each lake ingest, in order. */
  lakeRuns: LakeIngestCounts[];
  /** What DuckDB's COPY wrote, last run: rows (every line it could read, broken ones as NULLs), files, bytes. */
  duckdbRows?: number;
  duckdbFiles?: number;
  duckdbBytes?: number;
  error?: string;
}

/** The answer of one query: count(*) and count(DISTINCT id). */
export interface LakeAnswer {
  events: number;
  distinctIds: number;
}

/** Item 10 (b): one type over 3 hours, `npm run lake -- query` on the lake of (a) against DuckDB over the raw file. */
export interface LakeQueryPart {
  type: string;
  /** The type's valid events over the whole run (manifest). */
  typeEvents: number;
  /** ISO 8601, UTC; from included, to excluded. */
  from: string;
  to: string;
  duckdb: Sample[];
  lake: Sample[];
  duckdbAnswer?: LakeAnswer;
  lakeAnswer?: LakeAnswer;
  /** DuckDB's query over the lines the lake quarantined: what they add to its answer. */
  quarantinedAnswer?: LakeAnswer;
  error?: string;
}

/** Item 10 (c): an hour of one type ingested as many small files, then `npm run lake -- compact`. */
export interface LakeCompactionPart {
  type: string;
  /** YYYY-MM-DD and hour of the partition. */
  date: string;
  hour: number;
  /** Valid events of the generated hour, and its small files (one ingest each). */
  events: number;
  sourceFiles: number;
  /** Every small ingest, untimed for the judgement. */
  ingests: Sample[];
  compact: Sample[];
  /** After each compaction: live events files of the partition (target 1), and what was recorded. */
  filesBefore: number[];
  filesAfter: number[];
  rows?: number;
  bytesIn?: number;
  bytesOut?: number;
  error?: string;
}

export interface LakeResult {
  /** Valid events asked of the generator (BENCH_LAKE_EVENTS) and the lines of its one file. */
  events: number;
  lines: number;
  fileBytes: number;
  generateMs: number;
  ingest: LakeIngestPart;
  query: LakeQueryPart;
  compaction: LakeCompactionPart;
}

/** CPU time of a process over a window, as a share of one core (100 = one core busy throughout). */
export interface CpuShares {
  consumer?: number;
  producer?: number;
  queueServer?: number;
}

/** What the producer's summary line ("events sent") said. */
export interface SendSummary {
  events: number;
  duplicates: number;
  refused: number;
  durationMs: number;
  eventsPerS: number;
}

/**
 * Item 11 (a): `events -- send` at a steady rate and `events -- consume`, each a process, counted
 * independently: what the queue accepted from the producer (a tap between the two), against the
 * lake's files.
 */
export interface StreamSteadyPart {
  rate: number;
  seconds: number;
  /** lake_dedupe of each flush's phases_ms, in the order of the consumer's log lines. */
  dedupeMs: number[];
  /** `lake -- compact` runs during the sending, as the lake_compact workflow's schedule would: when, how long. */
  compactions: { atSecond: number; wallMs: number }[];
  sent?: SendSummary;
  /** Entries of SendMessageBatch the queue server accepted, as the tap saw them: lines, distinct event ids. */
  tapLines?: number;
  tapIds?: number;
  /** The lake's live event files, read by DuckDB: rows, distinct ids. */
  lakeRows?: number;
  lakeIds?: number;
  /** Sent ids not in the lake; ids in the lake never sent; rows beyond one per id. */
  lost?: number;
  unsent?: number;
  duplicated?: number;
  /** Sent events created more than a minute before the tap saw them: left out of the lag. */
  late?: number;
  /** On-time events in the lake whose ingest has no committed flush in stream_flushes: no lag known. */
  lagUnknown?: number;
  /** created_at to the commit of the flush that took the event (stream_flushes.committed_at). */
  lagP50Ms?: number;
  lagP99Ms?: number;
  lagMaxMs?: number;
  /** The same to lake_ingests.finished_at, which is now() of the ingest's transaction: its start. */
  finishedLagP99Ms?: number;
  /** `lake -- query` of count(*) and count(DISTINCT id) over the whole lake. */
  lakeQuery?: LakeAnswer;
  /** The consumer's VmRSS, once a second while the producer sends. */
  rssBytes: number[];
  cpu: CpuShares;
  flushes?: StreamFlushStats;
  /** What the queue held when the producer ended (visible, in flight), how long it took to empty, and what it still held when the bench gave up. */
  backlogAtEnd?: number;
  inFlightAtEnd?: number;
  drainMs?: number;
  leftInQueue?: number;
  /** The consumer's exit code after SIGTERM, once everything was deleted. */
  consumerExit?: number | null;
  error?: string;
}

/** The consumer's own record of its flushes (stream_flushes). */
export interface StreamFlushStats {
  flushes: number;
  failed: number;
  messagesMedian: number;
  durationMedianMs: number;
  durationP99Ms: number;
  durationMaxMs: number;
  /** committed_at - oldest_sent_at. */
  lagMedianMs: number;
  lagMaxMs: number;
}

/** One step of the step-up: the producer at `rate` for `seconds`, the same consumer throughout. */
export interface StreamStep {
  rate: number;
  seconds: number;
  sent: SendSummary;
  /** Messages visible in the queue (sent, not yet received): the largest once-a-second sample, and at the end. */
  maxBacklog: number;
  endBacklog: number;
  /** Messages the consumer took off the queue per second during the step. */
  receivedPerS: number;
  /** From the producer's end until nothing is left in the queue, in flight included; undefined: it did not drain. */
  drainMs?: number;
  cpu: CpuShares;
  keptUp: boolean;
  /** The producer could not send at the rate: the step says nothing of the consumer's limit. */
  producerBound: boolean;
  /** Why the step did not keep up, or why the step-up stopped there. */
  verdict: string;
}

export interface StreamStepPart {
  steps: StreamStep[];
  error?: string;
}

/** Item 11 (c): the queue server's own limit, a bare receive+delete loop with the consumer's pollers. */
export interface StreamRawPart {
  messages: number;
  pollers: number;
  /** The producer queueing them up as fast as it goes: its summary. */
  preloads: SendSummary[];
  /** Messages per second of each drain, first receive to last delete. */
  perSecond: number[];
  drains: Sample[];
  serverCpu: number[];
  error?: string;
}

export interface StreamResult {
  flushMaxAgeS: number;
  flushMaxBytes: number;
  pollers: number;
  steady: StreamSteadyPart;
  steps: StreamStepPart;
  raw: StreamRawPart;
}

/** Item 12: one URL of the dashboard, asked for in turn after the warm-ups. */
export interface WebPageResult {
  /** The page, named as in the report; its HTML URL and its JSON twin are two results. */
  page: string;
  url: string;
  /** From the fetch to the last byte of the body, at the client (keep-alive). */
  clientMs: number[];
  /** The server's own time: its Server-Timing header (app;dur), from the request to the response. */
  serverMs: number[];
  /** The page's statements run by psql with the same values, \timing summed per page view. */
  psqlMs: number[];
  /** Of the last body. */
  bytes: number;
}

/** Item 12: the dashboard, `node dist/web/main.js`, on a seeded database. */
export interface WebResult {
  /** Asked for (BENCH_WEB_RUNS, BENCH_WEB_DAYS). */
  runs: number;
  days: number;
  requests: number;
  warmups: number;
  /** What bench/sql/web_*.sql seeded (bench/sql/web_counts.sql), and how long it took. */
  seeded?: {
    runs: number;
    failedRuns: number;
    workflows: number;
    taskRuns: number;
    days: number;
    daysWithoutRatio: number;
    rollingAverageBytes: number;
    loads: number;
    rejects: number;
    ads: number;
    lakeFiles: number;
    seedMs: number;
  };
  /** The zoomed Loans page's range. */
  zoom?: { from: string; to: string };
  pages: WebPageResult[];
  /** VmHWM of the server process at the end of the section. */
  peakRssBytes?: number;
  error?: string;
}

export interface BenchResults {
  loader: Outcome<LoaderSize[]>;
  reload: Outcome<ReloadResult>;
  rebuild: Outcome<JobSize[]>;
  incremental: Outcome<JobSize[]>;
  soak: Outcome<SoakResult>;
  scheduler: Outcome<SchedulerResult>;
  adsArchive: Outcome<AdsArchiveResult>;
  lake: Outcome<LakeResult>;
  stream: Outcome<StreamResult>;
  web: Outcome<WebResult>;
}
