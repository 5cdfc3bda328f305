import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../lib/sqlFiles';
import { killStarted, startNode } from './support/processes';

/** `--help` and `-h` of every npm command, as processes: usage on stdout, exit 0, nothing read. */

afterAll(() => killStarted());

// The commands as package.json runs them ("node bin/run.js scheduler/cli"), so that a command
// added there without a --help fails here.
const scripts: Record<string, string> = JSON.parse(
  readFileSync(path.join(projectRoot, 'package.json'), 'utf8'),
).scripts;
const commands = Object.entries(scripts).flatMap(([name, line]) => {
  const entry = /^node bin\/run\.js ([\w/]+)$/.exec(line)?.[1];
  return entry === undefined ? [] : [[name, entry] as const];
});

// Every one of these would stop a command that read its configuration (exit 2) or waited for a
// database (exit 4).
const BROKEN_ENVIRONMENT = {
  LOG_FORMAT: 'yaml',
  PGPORT: '1',
  DB_WAIT_TIMEOUT: '0',
  EMBEDDED_PG_PORT: 'none',
  BENCH_PAIRS: 'many',
};

test('every npm command that runs a program goes through the launcher', () => {
  expect(commands.map(([name]) => name).sort()).toEqual([
    'ads-api',
    'bench',
    'chart',
    'create-bucket',
    'events',
    'generate-data',
    'job',
    'lake',
    'load',
    'migrate',
    'scheduler',
    'start',
    'web',
  ]);
});

describe.each(commands)('npm run %s', (name, entry) => {
  test.each(['--help', '-h'])(`%s prints its usage on stdout and exits 0`, async (flag) => {
    const running = startNode([`dist/${entry}.js`, flag], BROKEN_ENVIRONMENT);
    expect(await running.exited).toBe(0);
    expect(running.stderr()).toBe('');
    const usage = running.stdout();
    const invoked = name === 'start' ? 'npm start' : `npm run (-s )?${name}`;
    expect(usage).toMatch(new RegExp(`^usage: ${invoked}`));
    expect(usage).toMatch(/\n\noptions:\n( {2}.*\n)* {2}-h, --help +print this help and exit\n/);
    expect(usage).toMatch(/\n\nenvironment( \(docs\/operations\.md, "Configuration"\):\n {2}[A-Z]|: none read\n)/);
    expect(usage).toMatch(new RegExp(`\\n\\nexamples?:\\n {2}.*${invoked}`));
  });
});

test.each(['ingest', 'query', 'kpis', 'compact', 'maintain'])(
  'npm run lake -- %s --help prints that command usage and exits 0',
  async (command) => {
    const running = startNode(['dist/lake/main.js', command, '--help'], BROKEN_ENVIRONMENT);
    expect(await running.exited).toBe(0);
    expect(running.stderr()).toBe('');
    expect(running.stdout()).toMatch(new RegExp(`^usage: npm run lake -- ${command}`));
    expect(running.stdout()).toMatch(/\n\nenvironment \(docs\/operations\.md, "Configuration"\):\n {2}LAKE_URI/);
  },
);

test('the usage text of a command also ends its usage errors', async () => {
  const running = startNode(['dist/data/generateLoans.js', 'extra'], {});
  expect(await running.exited).toBe(2);
  expect(running.stdout()).toBe('');
  expect(running.stderr()).toBe(
    'generate-data: takes no arguments, got extra; usage: npm run -s generate-data > data/loans.csv\n',
  );
});
