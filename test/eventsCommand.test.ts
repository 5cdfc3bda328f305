import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseGenerateArgs } from '../events/commands/generate';
import type { Manifest } from '../events/manifest';
import { filesUnder } from './support/eventRules';
import { tempDir } from './support/files';
import { killStarted, startNode } from './support/processes';

/** `npm run events -- generate` as a process (dist/, built by npm test's pretest), and its flags. */

afterAll(() => killStarted());

const ENTRY = 'dist/events/main.js';

async function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const running = startNode([ENTRY, ...args], {});
  const code = await running.exited;
  return { code, stdout: running.stdout(), stderr: running.stderr() };
}

describe('--help', () => {
  test.each([
    ['generate', '--help'],
    ['generate', '-h'],
    ['generate', '--events', '5', '--help'],
  ])('events %s %s prints the usage of generate on stdout and exits 0', async (...args) => {
    const { code, stdout, stderr } = await run(args);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^usage: npm run events -- generate \[options\]\n\n/);
    for (const flag of ['--out', '--events', '--types', '--users', '--seed', '--start', '--hours', '--gzip']) {
      expect(stdout).toContain(`  ${flag}`);
    }
    expect(stdout).toContain('--lines-per-file N');
    expect(stdout.split('\n').length).toBeGreaterThan(20);
  });

  test('events --help lists the commands', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: npm run events -- <generate\|send\|consume\|status> \[options\]\n/);
    expect(stdout).toMatch(/\n {2}generate +Writes a day/);
    for (const name of ['send', 'consume', 'status']) expect(stdout).toMatch(new RegExp(`\\n {2}${name} +\\S`));
  });
});

describe('bad arguments: exit 2 and one line that names the flag', () => {
  test.each([
    [['generate', '--types', '0'], '--types: expected a whole number from 1 to 1000, got "0"'],
    [['generate', '--types', '1001'], '--types: expected a whole number from 1 to 1000, got "1001"'],
    [['generate', '--events', '1e6'], '--events: expected a whole number from 1 to 1000000000, got "1e6"'],
    [['generate', '--malformed', '1.5'], '--malformed: expected a rate from 0 to 1 such as 0.01, got "1.5"'],
    [['generate', '--duplicates', '-0.1'], '--duplicates: expected a rate from 0 to 1 such as 0.01, got "-0.1"'],
    [['generate', '--late', 'often'], '--late: expected a rate from 0 to 1 such as 0.01, got "often"'],
    [
      ['generate', '--start', '2026-02-30'],
      '--start: expected an hour YYYY-MM-DDTHH or a day YYYY-MM-DD (UTC), got "2026-02-30"',
    ],
    [
      ['generate', '--start', '2026-12-01T24'],
      '--start: expected an hour YYYY-MM-DDTHH or a day YYYY-MM-DD (UTC), got "2026-12-01T24"',
    ],
    [['generate', '--start', '2000-01-01T03'], '--start: late events would be created before 2000-01-01'],
    [['generate', '--hours', '169'], '--hours: expected a whole number from 1 to 168, got "169"'],
    [['generate', '--seed', '4294967296'], '--seed: expected a whole number from 0 to 4294967295, got "4294967296"'],
    [['generate', '--seed', '1', '--seed', '2'], '--seed given twice'],
    [['generate', '--out'], '--out needs a value'],
    [['generate', '--lines-per-file', '0'], '--lines-per-file: expected a whole number from 1'],
    [['generate', '--zip'], 'unknown option --zip; npm run events -- generate --help lists the options'],
    [['generate', 'now'], 'unexpected argument "now"'],
    [['fly'], 'events: unknown command "fly"; usage: npm run events -- <generate|send|consume|status> [options]'],
    [[], 'events: no command; usage: npm run events -- <generate|send|consume|status> [options]'],
  ])('%j', async (args, message) => {
    const { code, stdout, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toEqual([expect.stringContaining(message)]);
  });
});

test('a run writes its files and manifest and logs one summary line with the counts and the speed', async () => {
  const out = path.join(tempDir('events-command-'), 'events');
  const { code, stdout, stderr } = await run([
    'generate',
    '--out',
    out,
    '--events',
    '3000',
    '--start',
    '2026-11-30T22',
    '--hours',
    '3',
    '--seed',
    '5',
    '--gzip',
  ]);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
  expect(filesUnder(out)).toEqual([
    'events-2026-11-30T22.ndjson.gz',
    'events-2026-11-30T23.ndjson.gz',
    'events-2026-12-01T00.ndjson.gz',
    'manifest.json',
  ]);
  expect(manifest.options).toEqual({
    out,
    events: 3000,
    types: 300,
    users: 10_000,
    seed: 5,
    start: '2026-11-30T22',
    hours: 3,
    malformed: 0.001,
    duplicates: 0.01,
    late: 0.02,
    late_max_hours: 6,
    blank: 0.0001,
    gzip: true,
    per_type: false,
    lines_per_file: null,
  });
  const summary = stdout.trimEnd().split('\n').at(-1)!;
  const { totals } = manifest;
  expect(summary).toMatch(
    new RegExp(
      `INFO  events generate status=succeeded duration_ms=\\d+ files=3 lines=${totals.lines} events=3000 ` +
        `duplicates=30 malformed=3 late=60 blank=0 bytes=${totals.bytes} lines_per_s=\\d+ events written to `,
    ),
  );
});

describe('parseGenerateArgs', () => {
  const NOW = new Date('2026-12-02T01:30:00Z');

  test('the defaults: a day of events from 00:00 UTC yesterday into data/events', () => {
    expect(parseGenerateArgs([], NOW)).toEqual({
      events: {
        events: 100_000,
        types: 300,
        users: 10_000,
        seed: 1,
        startMs: Date.UTC(2026, 11, 1),
        hours: 24,
        malformed: 0.001,
        duplicates: 0.01,
        late: 0.02,
        lateMaxHours: 6,
        blank: 0.0001,
        perType: false,
      },
      write: { out: 'data/events', gzip: false },
    });
  });

  test('every flag', () => {
    const args = [
      ...['--out', 'x', '--events', '10', '--types', '1000', '--users', '1', '--seed', '0'],
      ...['--start', '2026-01-31T23', '--hours', '168', '--malformed', '1', '--duplicates', '.5'],
      ...['--late', '0', '--late-max-hours', '168', '--blank', '0.25', '--gzip', '--per-type', '--lines-per-file', '7'],
    ];
    expect(parseGenerateArgs(args, NOW)).toEqual({
      events: {
        events: 10,
        types: 1000,
        users: 1,
        seed: 0,
        startMs: Date.UTC(2026, 0, 31, 23),
        hours: 168,
        malformed: 1,
        duplicates: 0.5,
        late: 0,
        lateMaxHours: 168,
        blank: 0.25,
        perType: true,
      },
      write: { out: 'x', gzip: true, linesPerFile: 7 },
    });
  });
});
