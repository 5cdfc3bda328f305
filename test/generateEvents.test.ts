import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ConfigError } from '../lib/errors';
import { generateEvents, type EventOptions } from '../events/generateEvents';
import type { FileEntry, Manifest } from '../events/manifest';
import { writeEventFiles, type WriteOptions } from '../events/writeEventFiles';
import { filesUnder, judge, readLines, type Verdict } from './support/eventRules';
import { tempDir } from './support/files';

/**
 * The event generator through its files: every count of the manifest is checked against a
 * reading of the files made here, line by line, with the rules of test/support/eventRules.ts,
 * never against the generator's own numbers.
 */

const START_MS = Date.UTC(2026, 10, 30);
const HOUR_MS = 3_600_000;
const SAFE_TYPE = /^[a-z0-9][a-z0-9_.-]{0,99}$/;

const OPTIONS: EventOptions = {
  events: 20_000,
  types: 300,
  users: 500,
  seed: 1,
  startMs: START_MS,
  hours: 6,
  malformed: 0.001,
  duplicates: 0.01,
  late: 0.02,
  lateMaxHours: 6,
  blank: 0.0001,
  perType: false,
};

async function generate(
  events: Partial<EventOptions> = {},
  write: Partial<WriteOptions> = {},
): Promise<{ out: string; manifest: Manifest }> {
  const out = path.join(tempDir('events-'), 'out');
  const manifest = await writeEventFiles({ ...OPTIONS, ...events }, { out, gzip: false, ...write });
  return { out, manifest };
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const hourOf = (ms: number): string => new Date(ms).toISOString().slice(0, 13);

interface Line {
  file: string;
  number: number;
  bytes: Buffer;
  verdict: Verdict | undefined;
  event?: { id: string; type: string; createdAt: number; userId?: string; first: boolean };
}

/** Every line of every file of a run, judged; valid events parsed, their first delivery told apart. */
function readRun(out: string, manifest: Manifest): Line[] {
  const seen = new Set<string>();
  const lines: Line[] = [];
  for (const entry of manifest.files) {
    readLines(path.join(out, entry.path)).forEach((bytes, i) => {
      const verdict = judge(bytes, {
        ingestMs: Date.now(),
        ...(entry.type === undefined ? {} : { folderType: entry.type }),
      });
      const line: Line = { file: entry.path, number: i + 1, bytes, verdict };
      if (verdict === undefined) {
        const { data, meta } = JSON.parse(bytes.toString()) as {
          data: { id: string; type: string; attributes: { user_id?: string } };
          meta: { created_at: number };
        };
        line.event = {
          id: data.id,
          type: data.type,
          createdAt: meta.created_at,
          first: !seen.has(data.id),
          ...(data.attributes.user_id === undefined ? {} : { userId: data.attributes.user_id }),
        };
        seen.add(data.id);
      }
      lines.push(line);
    });
  }
  return lines;
}

/** What the manifest must say of each file, from its lines and bytes alone. */
function fileEntriesOf(out: string, manifest: Manifest, lines: readonly Line[]): FileEntry[] {
  return manifest.files.map((listed) => {
    const own = lines.filter((line) => line.file === listed.path);
    const malformed: Record<string, number[]> = {};
    for (const line of own) {
      if (line.verdict !== undefined && line.verdict !== 'blank') (malformed[line.verdict] ??= []).push(line.number);
    }
    const bytes = readFileSync(path.join(out, listed.path));
    const hour = /events-(\d{4}-\d{2}-\d{2}T\d{2})/.exec(listed.path)![1]!;
    return {
      path: listed.path,
      hour,
      ...(listed.type === undefined ? {} : { type: /^raw-event-([^/]+)\//.exec(listed.path)![1] }),
      ...(listed.part === undefined ? {} : { part: Number(/-(\d{4})\.ndjson/.exec(listed.path)![1]) }),
      lines: own.length,
      events: own.filter((line) => line.event?.first === true).length,
      duplicates: own.filter((line) => line.event?.first === false).length,
      blank: own.filter((line) => line.verdict === 'blank').length,
      late: own.filter((line) => line.event?.first === true && hourOf(line.event.createdAt) < hour).length,
      malformed,
      malformed_lines: Object.values(malformed).reduce((sum, numbers) => sum + numbers.length, 0),
      bytes: bytes.length,
      sha256: sha256(bytes),
    } as FileEntry;
  });
}

describe('a run with the default rates', () => {
  let out: string;
  let manifest: Manifest;
  let lines: Line[];
  const firsts = (): NonNullable<Line['event']>[] =>
    lines.flatMap((line) => (line.event?.first === true ? [line.event] : []));

  beforeAll(async () => {
    ({ out, manifest } = await generate());
    lines = readRun(out, manifest);
  });

  test('the files are the manifest’s, one per arrival hour, and the manifest agrees with each, line by line', () => {
    expect(filesUnder(out)).toEqual([...manifest.files.map((file) => file.path), 'manifest.json'].sort());
    expect(manifest.files.map((file) => file.path)).toEqual(
      Array.from({ length: 6 }, (_, hour) => `events-${hourOf(START_MS + hour * HOUR_MS)}.ndjson`),
    );
    expect(manifest.files).toEqual(fileEntriesOf(out, manifest, lines));
  });

  test('--events counts the first deliveries; duplicates, malformed, blank and late lines are their shares of it', () => {
    const count = (verdict: Verdict): number => lines.filter((line) => line.verdict === verdict).length;
    const events = firsts();
    expect(events).toHaveLength(20_000);
    expect(lines.filter((line) => line.event?.first === false)).toHaveLength(200);
    expect(lines.filter((line) => line.verdict !== undefined && line.verdict !== 'blank')).toHaveLength(20);
    expect(count('blank')).toBe(2);
    expect(manifest.files.reduce((sum, file) => sum + file.late, 0)).toBe(400);
    expect(manifest.totals).toMatchObject({
      files: 6,
      lines: lines.length,
      events: 20_000,
      duplicates: 200,
      blank: 2,
      late: 400,
      malformed: 20,
      bytes: manifest.files.reduce((sum, file) => sum + readFileSync(path.join(out, file.path)).length, 0),
      distinct_event_ids: new Set(events.map((event) => event.id)).size,
    });
  });

  test('events per type and per (type, UTC day of created_at) with their distinct user_ids, as the files hold them', () => {
    const perType = new Map<string, number>();
    const perDay = new Map<string, { events: number; users: Set<string> }>();
    for (const event of firsts()) {
      perType.set(event.type, (perType.get(event.type) ?? 0) + 1);
      const key = `${event.type} ${new Date(event.createdAt).toISOString().slice(0, 10)}`;
      const day = perDay.get(key) ?? { events: 0, users: new Set() };
      day.events += 1;
      if (event.userId !== undefined) day.users.add(event.userId);
      perDay.set(key, day);
    }
    expect(Object.fromEntries(manifest.types.filter((t) => t.events > 0).map((t) => [t.type, t.events]))).toEqual(
      Object.fromEntries(perType),
    );
    expect(
      Object.fromEntries(
        manifest.events_by_type_and_date.map((row) => [
          `${row.type} ${row.date}`,
          { events: row.events, users: row.distinct_user_ids },
        ]),
      ),
    ).toEqual(
      Object.fromEntries([...perDay].map(([key, day]) => [key, { events: day.events, users: day.users.size }])),
    );
    // Late events of the first hours were created the day before the span.
    expect(new Set(manifest.events_by_type_and_date.map((row) => row.date))).toEqual(
      new Set(['2026-11-29', '2026-11-30']),
    );
  });

  test('the types are Zipf-skewed: the top 10 of 300 carry 55% to 70% of the events, and most carry a user_id', () => {
    const counts = [...manifest.types.map((type) => type.events)].sort((a, b) => b - a);
    const top10 = counts.slice(0, 10).reduce((sum, count) => sum + count, 0) / 20_000;
    expect(top10).toBeGreaterThan(0.55);
    expect(top10).toBeLessThan(0.7);
    expect(manifest.types[0]).toMatchObject({ type: 'user_created', rank: 1 });
    expect(new Set(firsts().map((event) => event.type)).size).toBeGreaterThan(200);
    expect(firsts().filter((event) => event.userId !== undefined).length / 20_000).toBeGreaterThan(0.7);
    for (const type of manifest.types) expect(type.type).toMatch(SAFE_TYPE);
  });

  test('late events arrive in a later hour’s file than their created hour, at most late-max-hours later', () => {
    const lags = lines.flatMap((line) => {
      if (line.event?.first !== true) return [];
      const arrivalHourMs = Date.parse(`${/events-(.{13})/.exec(line.file)![1]}:00:00Z`);
      return [(arrivalHourMs - Math.floor(line.event.createdAt / HOUR_MS) * HOUR_MS) / HOUR_MS];
    });
    expect(new Set(lags)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6]));
    expect(lags.filter((lag) => lag > 0)).toHaveLength(400);
  });

  test('a duplicate is a byte copy of an earlier line, some in the same file a few lines on, some in a later hour’s', () => {
    const firstLine = new Map<string, Line>();
    let sameFile = 0;
    let laterFile = 0;
    for (const line of lines) {
      if (line.event === undefined) continue;
      const original = firstLine.get(line.event.id);
      if (original === undefined) {
        firstLine.set(line.event.id, line);
        continue;
      }
      expect(line.bytes.equals(original.bytes)).toBe(true);
      if (original.file === line.file) sameFile += 1;
      else {
        expect(original.file < line.file).toBe(true);
        laterFile += 1;
      }
    }
    expect(sameFile + laterFile).toBe(200);
    expect(sameFile).toBeGreaterThan(100);
    expect(laterFile).toBeGreaterThan(20);
  });

  test('meta carries created_at and a service, and on some events trace_id or version', () => {
    const metas = lines.flatMap((line) =>
      line.event?.first === true ? [(JSON.parse(line.bytes.toString()) as { meta: Record<string, unknown> }).meta] : [],
    );
    expect(new Set(metas.map((meta) => meta.service)).size).toBeGreaterThanOrEqual(5);
    const share = (key: string): number => metas.filter((meta) => key in meta).length / metas.length;
    expect(share('trace_id')).toBeGreaterThan(0.25);
    expect(share('trace_id')).toBeLessThan(0.35);
    expect(share('version')).toBeGreaterThan(0.1);
  });

  test('a drifted type changes its attributes from the moment the manifest names on', () => {
    const drifted = manifest.types.filter((type) => type.drift !== null && type.events > 50);
    expect(new Set(drifted.map((type) => type.drift!.change))).toEqual(new Set(['field_added', 'number_to_string']));
    for (const type of drifted) {
      const { change, field, at } = type.drift!;
      const atMs = Date.parse(at);
      expect(atMs).toBeGreaterThan(START_MS);
      expect(atMs).toBeLessThan(START_MS + 6 * HOUR_MS);
      const events = lines.flatMap((line) =>
        line.event?.first === true && line.event.type === type.type
          ? [
              JSON.parse(line.bytes.toString()) as {
                data: { attributes: Record<string, unknown> };
                meta: { created_at: number };
              },
            ]
          : [],
      );
      const before = events
        .filter((event) => event.meta.created_at < atMs)
        .map((event) => event.data.attributes[field]);
      const after = events
        .filter((event) => event.meta.created_at >= atMs)
        .map((event) => event.data.attributes[field]);
      expect(before.length).toBeGreaterThan(0);
      expect(after.length).toBeGreaterThan(0);
      if (change === 'field_added') {
        expect(before.every((value) => value === undefined)).toBe(true);
        expect(after.every((value) => value !== undefined)).toBe(true);
      } else {
        expect(before.every((value) => typeof value === 'number')).toBe(true);
        expect(after.every((value) => typeof value === 'string' && /^\d+(\.\d\d)?$/.test(value))).toBe(true);
      }
    }
  });
});

describe('malformed lines', () => {
  let out: string;
  let manifest: Manifest;
  let lines: Line[];

  beforeAll(async () => {
    ({ out, manifest } = await generate({ events: 20_000, malformed: 0.05, blank: 0.01, perType: true }));
    lines = readRun(out, manifest);
  });

  test('every reason appears, and each tagged line breaks exactly that rule first (the manifest agrees with the files)', () => {
    expect(manifest.files).toEqual(fileEntriesOf(out, manifest, lines));
    expect(manifest.totals.malformed_by_reason).toEqual({
      line_too_long: 1,
      invalid_utf8: 100,
      not_json: 100,
      not_object: 100,
      missing_field: 100,
      wrong_type: 100,
      bad_id: 100,
      created_at_out_of_range: 100,
      unsafe_type: 100,
      type_mismatch: 100,
      duplicate_key: 99,
    });
  });

  test('the one line_too_long is just over a megabyte, and the files stay small', () => {
    const long = lines.filter((line) => line.verdict === 'line_too_long');
    expect(long.map((line) => line.bytes.length)).toEqual([expect.any(Number)]);
    expect(long[0]!.bytes.length).toBeGreaterThan(1_048_576);
    expect(long[0]!.bytes.length).toBeLessThan(1_100_000);
  });

  test('blank lines are empty or whitespace only, of several kinds', () => {
    const blanks = lines.filter((line) => line.verdict === 'blank').map((line) => line.bytes.toString());
    expect(blanks).toHaveLength(200);
    expect(new Set(blanks)).toEqual(new Set(['', '   ', '\r', '\t', ' \t ']));
  });

  test('the malformed lines break each rule in several ways', () => {
    const kinds = (verdict: Verdict): number =>
      new Set(
        lines
          .filter((line) => line.verdict === verdict)
          .map((line) =>
            line.bytes
              .toString('latin1')
              .replace(/[0-9a-f]{8}-[0-9a-f-]{27}|\d{6,}/g, '…')
              .slice(0, 40),
          ),
      ).size;
    for (const verdict of ['not_json', 'not_object', 'missing_field', 'wrong_type', 'unsafe_type'] as const) {
      expect(kinds(verdict)).toBeGreaterThanOrEqual(4);
    }
    const types = lines
      .filter((line) => line.verdict === 'unsafe_type')
      .map((line) => (JSON.parse(line.bytes.toString()) as { data: { type: string } }).data.type);
    expect(types).toEqual(expect.arrayContaining(['', 'ünïcode_created']));
    for (const sample of ['../', '/', '=', '\u0000', '\u200f', '\\', ' ', '\t']) {
      expect(types.some((type) => type.includes(sample))).toBe(true);
    }
    expect(types.some((type) => type.length === 300)).toBe(true);
    expect(types.some((type) => /[A-Z]/.test(type))).toBe(true);
  });

  test('--per-type: only raw-event-<safe type> folders, each holding the events of its type', () => {
    const folders = new Set(filesUnder(out).flatMap((file) => (file.includes('/') ? [file.split('/')[0]!] : [])));
    expect(folders.size).toBeGreaterThan(200);
    for (const folder of folders) expect(folder).toMatch(/^raw-event-[a-z0-9][a-z0-9_.-]{0,99}$/);
    const elsewhere = lines.filter(
      (line) => line.event !== undefined && !line.file.startsWith(`raw-event-${line.event.type}/`),
    );
    expect(elsewhere).toEqual([]);
  });
});

test('the same options and seed give byte-identical files; another seed, others', async () => {
  const digests = async (seed: number): Promise<string[]> => {
    const { out, manifest } = await generate({ seed, malformed: 0.01, perType: true }, { gzip: true });
    return manifest.files.map((file) => `${file.path} ${sha256(readFileSync(path.join(out, file.path)))}`);
  };
  const first = await digests(7);
  expect(await digests(7)).toEqual(first);
  expect(await digests(8)).not.toEqual(first);
});

test('--gzip files decompress to the lines of the same run without it', async () => {
  const plain = await generate({ malformed: 0.01 });
  const zipped = await generate({ malformed: 0.01 }, { gzip: true });
  expect(zipped.manifest.files.map((file) => file.path)).toEqual(plain.manifest.files.map((file) => `${file.path}.gz`));
  for (const file of plain.manifest.files) {
    const unzipped = gunzipSync(readFileSync(path.join(zipped.out, `${file.path}.gz`)));
    expect(unzipped.equals(readFileSync(path.join(plain.out, file.path)))).toBe(true);
  }
  // Without the byte counts and digests, which are of the compressed files, the manifests agree.
  const withoutBytes = ({ files, totals }: Manifest): unknown => ({
    files: files.map(({ path: name, bytes: _bytes, sha256: _sha256, ...rest }) => ({
      ...rest,
      path: name.replace(/\.gz$/, ''),
    })),
    totals: { ...totals, bytes: 0 },
  });
  expect(withoutBytes(zipped.manifest)).toEqual(withoutBytes(plain.manifest));
  expect(zipped.manifest.totals.bytes).toBeLessThan(plain.manifest.totals.bytes / 3);
});

test('--lines-per-file splits each hour into numbered parts that together are the unsplit file', async () => {
  const whole = await generate({ events: 5000 });
  const split = await generate({ events: 5000 }, { linesPerFile: 300 });
  expect(split.manifest.files.every((file) => file.lines <= 300)).toBe(true);
  for (const file of whole.manifest.files) {
    const parts = split.manifest.files.filter((part) => part.hour === file.hour);
    expect(parts.map((part) => part.part)).toEqual(parts.map((_, i) => i + 1));
    expect(parts[0]!.path).toBe(file.path.replace('.ndjson', '-0001.ndjson'));
    const joined = Buffer.concat(parts.map((part) => readFileSync(path.join(split.out, part.path))));
    expect(joined.equals(readFileSync(path.join(whole.out, file.path)))).toBe(true);
  }
  const lines = readRun(split.out, split.manifest);
  expect(split.manifest.files).toEqual(fileEntriesOf(split.out, split.manifest, lines));
});

test('a new run replaces the files of the last one in its folder, and refuses a folder with other files', async () => {
  const { out } = await generate({ events: 2000 }, { gzip: true });
  await writeEventFiles({ ...OPTIONS, events: 2000, perType: true }, { out, gzip: false });
  expect(
    filesUnder(out).every((file) => file === 'manifest.json' || /^raw-event-[^/]+\/[^/]+\.ndjson$/.test(file)),
  ).toBe(true);

  writeFileSync(path.join(out, 'notes.txt'), 'mine');
  const refused = writeEventFiles({ ...OPTIONS, events: 2000 }, { out, gzip: false });
  await expect(refused).rejects.toThrow(ConfigError);
  await expect(refused).rejects.toThrow(`--out ${out}: holds notes.txt, which the event generator did not write`);
  expect(readFileSync(path.join(out, 'notes.txt'), 'utf8')).toBe('mine');

  const other = tempDir('events-');
  mkdirSync(path.join(other, 'raw-event-user_created'));
  writeFileSync(path.join(other, 'raw-event-user_created', 'keep.txt'), 'mine');
  await expect(writeEventFiles({ ...OPTIONS, events: 10 }, { out: other, gzip: false })).rejects.toThrow(
    'holds raw-event-user_created/keep.txt',
  );
});

test('a stop signal ends the run before its manifest is written', async () => {
  const out = path.join(tempDir('events-'), 'out');
  const stop = new AbortController();
  stop.abort('SIGTERM');
  await expect(writeEventFiles(OPTIONS, { out, gzip: false, signal: stop.signal })).rejects.toBe('SIGTERM');
  expect(filesUnder(out)).not.toContain('manifest.json');
});

test('the lines of the generator alone come in the order of their arrival hours, and none holds a newline', () => {
  const lines = [...generateEvents({ ...OPTIONS, events: 5000, malformed: 0.05 })];
  expect(lines).toHaveLength(5000 + 50 + 250 + Math.round(5000 * 0.0001));
  const hours = lines.map((line) => line.hour);
  expect(hours).toEqual([...hours].sort((a, b) => a - b));
  const withNewline = lines.filter((line) =>
    (typeof line.text === 'string' ? line.text : line.text.toString('latin1')).includes('\n'),
  );
  expect(withNewline).toEqual([]);
});
