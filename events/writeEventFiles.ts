import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { DigestStream } from '../lib/digestStream';
import { ConfigError } from '../lib/errors';
import { EventCounts } from './eventCounts';
import { driftAtMs, eventTypeCatalogue, SAFE_TYPE_NAME } from './eventTypes';
import { generateEvents, HOUR_MS, type EventOptions, type GeneratedLine } from './generateEvents';
import { formatManifest, MANIFEST_FILE, type FileEntry, type Manifest, type ManifestOptions } from './manifest';
import { REASONS, type Reason } from './malformedLines';

/**
 * The generated lines as files (docs/events-generator.md, "Files"): one per arrival hour, or per
 * arrival hour and type in raw-event-<type>/ folders, optionally gzipped and split, written with
 * backpressure; then manifest.json, last, once every file is closed.
 */

export interface WriteOptions {
  out: string;
  gzip: boolean;
  /** Start a new file of the same hour (and type) after this many lines. */
  linesPerFile?: number;
  signal?: AbortSignal;
}

const FILE_NAME = /^events-\d{4}-\d{2}-\d{2}T\d{2}(-\d{4,})?\.ndjson(\.gz)?$/;
const TYPE_FOLDER = /^raw-event-(.*)$/;
/**
 * Lines are encoded into chunks as they come, and a chunk is written once full: of 64 KiB, or
 * smaller when many files are open (--per-type), so that all the chunks being filled stay within
 * 8 MiB. Encoded at once, not gathered as strings: a string waiting in a chunk of one of 1000
 * files outlives the young generation, and such garbage grew the heap to 150 MB.
 */
const CHUNK_BYTES = 1 << 16;
const FILLING_BYTES = 1 << 23;
/** UTF-8 takes at most 3 bytes for each UTF-16 unit of a JavaScript string. */
const MAX_BYTES_PER_UNIT = 3;
/**
 * Measured on these files: a window of 8 KiB (not 32) and memLevel 6 (not 8) compress them as well
 * (21.7% of the bytes against 22.1%), a third faster, in 64 KiB per open file instead of 256 KiB:
 * --per-type keeps one open per type, up to 1000.
 */
const GZIP_OPTIONS = { windowBits: 13, memLevel: 6 };
const NEWLINE = 0x0a;
// How often the loop looks at the stop signal, in lines.
const SIGNAL_EVERY = 4096;

/** YYYY-MM-DDTHH of an arrival hour. */
const hourLabel = (startMs: number, hour: number): string =>
  new Date(startMs + hour * HOUR_MS).toISOString().slice(0, 13);

/**
 * Removes what an earlier run wrote into `out` (its manifest first, so that no manifest ever
 * describes files that are gone), and refuses a folder that holds anything else: a wrong --out
 * must not delete anybody's files.
 */
async function clearEarlierRun(out: string): Promise<void> {
  await mkdir(out, { recursive: true });
  const ours: string[] = [];
  const refuse = (name: string): never => {
    throw new ConfigError(
      `--out ${out}: holds ${name}, which the event generator did not write; give an empty or new folder`,
    );
  };
  for (const entry of await readdir(out, { withFileTypes: true })) {
    const manifest = entry.name === MANIFEST_FILE || entry.name === `${MANIFEST_FILE}.tmp`;
    if (entry.isFile() && (manifest || FILE_NAME.test(entry.name))) {
      ours.push(entry.name);
    } else if (entry.isDirectory() && SAFE_TYPE_NAME.test(TYPE_FOLDER.exec(entry.name)?.[1] ?? '')) {
      for (const inner of await readdir(path.join(out, entry.name), { withFileTypes: true })) {
        if (!inner.isFile() || !FILE_NAME.test(inner.name)) refuse(`${entry.name}/${inner.name}`);
      }
      ours.push(entry.name);
    } else {
      refuse(entry.name);
    }
  }
  await rm(path.join(out, MANIFEST_FILE), { force: true });
  for (const name of ours) await rm(path.join(out, name), { recursive: true, force: true });
}

/** One file being written: lines in, [gzip,] counted and hashed, to disk. */
class EventFile {
  private readonly digest = new DigestStream();
  private readonly head: Writable;
  private readonly done: Promise<void>;
  private chunk: Buffer;
  private used = 0;
  readonly entry: FileEntry;

  constructor(folder: string, entry: Omit<FileEntry, 'bytes' | 'sha256'>, gzip: boolean, chunkBytes: number) {
    this.entry = { ...entry, bytes: 0, sha256: '' };
    this.chunk = Buffer.allocUnsafe(chunkBytes);
    const file = createWriteStream(path.join(folder, entry.path));
    if (gzip) {
      const zip = createGzip(GZIP_OPTIONS);
      this.head = zip;
      this.done = pipeline(zip, this.digest, file);
    } else {
      this.head = this.digest;
      this.done = pipeline(this.digest, file);
    }
    // Awaited by close(); a failure before then also ends a wait for 'drain'.
    this.done.catch(() => undefined);
  }

  /** Resolves when the line may be followed by the next one (undefined: at once). */
  add(line: GeneratedLine, chunkBytes: number): Promise<void> | undefined {
    const entry = this.entry;
    entry.lines += 1;
    if (line.kind === 'event') {
      entry.events += 1;
      if (line.late === true) entry.late += 1;
    } else if (line.kind === 'duplicate') entry.duplicates += 1;
    else if (line.kind === 'blank') entry.blank += 1;
    else {
      entry.malformed_lines += 1;
      (entry.malformed[line.reason!] ??= []).push(entry.lines);
    }
    const { text } = line;
    const most = typeof text === 'string' ? text.length * MAX_BYTES_PER_UNIT + 1 : text.length + 1;
    let ready: Promise<void> | undefined;
    if (this.chunk.length - this.used < most) ready = this.writeChunk(Math.max(chunkBytes, most));
    if (typeof text === 'string') this.used += this.chunk.write(text, this.used);
    else this.used += text.copy(this.chunk, this.used);
    this.chunk[this.used++] = NEWLINE;
    return ready;
  }

  /** Writes the chunk so far, and starts the next one of `nextBytes`. */
  private writeChunk(nextBytes: number): Promise<void> | undefined {
    const full = this.chunk.subarray(0, this.used);
    this.chunk = Buffer.allocUnsafe(nextBytes);
    this.used = 0;
    if (full.length === 0 || this.head.write(full)) return undefined;
    return Promise.race([once(this.head, 'drain').then(() => undefined), this.done]);
  }

  async close(): Promise<FileEntry> {
    await this.writeChunk(0);
    this.head.end();
    await this.done;
    this.entry.bytes = this.digest.bytes;
    this.entry.sha256 = this.digest.sha256();
    // In the validator's order, whatever order they came in.
    const { malformed } = this.entry;
    this.entry.malformed = Object.fromEntries(
      REASONS.flatMap((reason) => (reason in malformed ? [[reason, malformed[reason]]] : [])),
    );
    return this.entry;
  }

  /** On failure or stop: the file stays as far as it got, and no manifest will name it. */
  abandon(): void {
    this.head.destroy();
  }
}

/** Writes the events of `events` into `options.out` and returns the manifest it wrote there. */
export async function writeEventFiles(events: EventOptions, options: WriteOptions): Promise<Manifest> {
  const { out, gzip, linesPerFile, signal } = options;
  await clearEarlierRun(out);
  const counts = new EventCounts(events.users);
  const written: FileEntry[] = [];
  const open = new Map<string, EventFile>();
  // The parts already written of each file of the current hour, under --lines-per-file.
  const parts = new Map<string, number>();
  const folders = new Set<string>();
  const chunkBytes = (files: number = open.size): number => Math.min(CHUNK_BYTES, Math.floor(FILLING_BYTES / files));
  let currentHour = -1;

  const closeAll = async (): Promise<void> => {
    const closing = [...open.values()];
    open.clear();
    written.push(...(await Promise.all(closing.map((file) => file.close()))));
  };
  const openFile = async (line: GeneratedLine): Promise<EventFile> => {
    const key = events.perType ? line.type : '';
    if (events.perType && !SAFE_TYPE_NAME.test(key)) throw new Error(`unsafe folder name raw-event-${key}`);
    const hour = hourLabel(events.startMs, line.hour);
    const part = linesPerFile === undefined ? undefined : (parts.get(key) ?? 0) + 1;
    if (part !== undefined) parts.set(key, part);
    const name = `events-${hour}${part === undefined ? '' : `-${String(part).padStart(4, '0')}`}.ndjson${gzip ? '.gz' : ''}`;
    const relative = events.perType ? `raw-event-${key}/${name}` : name;
    if (events.perType && !folders.has(key)) {
      await mkdir(path.join(out, `raw-event-${key}`), { recursive: true });
      folders.add(key);
    }
    const file = new EventFile(
      out,
      {
        path: relative,
        hour,
        ...(events.perType ? { type: key } : {}),
        ...(part === undefined ? {} : { part }),
        lines: 0,
        events: 0,
        duplicates: 0,
        blank: 0,
        late: 0,
        malformed: {},
        malformed_lines: 0,
      },
      gzip,
      chunkBytes(open.size + 1),
    );
    open.set(key, file);
    return file;
  };

  try {
    let sinceSignalCheck = 0;
    for (const line of generateEvents(events)) {
      if (line.hour !== currentHour) {
        signal?.throwIfAborted();
        await closeAll();
        parts.clear();
        currentHour = line.hour;
      }
      if (++sinceSignalCheck === SIGNAL_EVERY) {
        sinceSignalCheck = 0;
        signal?.throwIfAborted();
      }
      counts.add(line);
      // The open file is found at once: an await for every line would cost more than the line.
      const file = open.get(events.perType ? line.type : '') ?? (await openFile(line));
      const ready = file.add(line, chunkBytes());
      if (ready !== undefined) await ready;
      if (linesPerFile !== undefined && file.entry.lines === linesPerFile) {
        open.delete(events.perType ? line.type : '');
        written.push(await file.close());
      }
    }
    await closeAll();
  } catch (error) {
    for (const file of open.values()) file.abandon();
    throw error;
  }

  const manifest = buildManifest(events, options, written, counts);
  // Renamed into place: a reader never sees half a manifest.
  const temporary = path.join(out, `${MANIFEST_FILE}.tmp`);
  await writeFile(temporary, formatManifest(manifest));
  await rename(temporary, path.join(out, MANIFEST_FILE));
  return manifest;
}

function buildManifest(
  events: EventOptions,
  options: WriteOptions,
  written: FileEntry[],
  counts: EventCounts,
): Manifest {
  const files = written.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const sum = (field: 'lines' | 'events' | 'duplicates' | 'blank' | 'late' | 'malformed_lines' | 'bytes'): number =>
    files.reduce((total, file) => total + file[field], 0);
  const byReason = Object.fromEntries(
    REASONS.map((reason) => [reason, files.reduce((total, file) => total + (file.malformed[reason]?.length ?? 0), 0)]),
  ) as Record<Reason, number>;
  const catalogue = eventTypeCatalogue(events.types);
  const recorded: ManifestOptions = {
    out: options.out,
    events: events.events,
    types: events.types,
    users: events.users,
    seed: events.seed,
    start: hourLabel(events.startMs, 0),
    hours: events.hours,
    malformed: events.malformed,
    duplicates: events.duplicates,
    late: events.late,
    late_max_hours: events.lateMaxHours,
    blank: events.blank,
    gzip: options.gzip,
    per_type: events.perType,
    lines_per_file: options.linesPerFile ?? null,
  };
  return {
    generated_by: 'npm run events -- generate',
    options: recorded,
    span: {
      start: new Date(events.startMs).toISOString(),
      end: new Date(events.startMs + events.hours * HOUR_MS).toISOString(),
    },
    files,
    totals: {
      files: files.length,
      lines: sum('lines'),
      events: sum('events'),
      duplicates: sum('duplicates'),
      blank: sum('blank'),
      late: sum('late'),
      malformed: sum('malformed_lines'),
      malformed_by_reason: byReason,
      bytes: sum('bytes'),
      distinct_event_ids: counts.events,
    },
    types: catalogue.map((type, rank) => {
      const at = driftAtMs(type, events.startMs, events.hours);
      return {
        type: type.name,
        rank: rank + 1,
        service: type.service,
        user_id: type.carriesUserId,
        version: type.sendsVersion,
        fields: type.fields.map((field) => field.name),
        drift:
          type.drift === undefined || at === undefined
            ? null
            : { change: type.drift.change, field: type.drift.field.name, at: new Date(at).toISOString() },
        events: counts.eventsOf(type.name),
      };
    }),
    events_by_type_and_date: counts.byTypeAndDay(catalogue.map((type) => type.name)),
  };
}
