import { readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../lib/sqlFiles';
import winston from 'winston';
import { closeLogger, createLogger } from '../lib/logger';
import { tempDir } from './support/files';

async function writeLines(
  options: Parameters<typeof createLogger>[0],
  write: (logger: ReturnType<typeof createLogger>) => void,
) {
  const logger = createLogger(options);
  // Console output is not what is under test here.
  logger.transports.filter((t) => t instanceof winston.transports.Console).forEach((t) => (t.silent = true));
  write(logger);
  await closeLogger(logger);
}

test('a text line: time, level, component, then job, run, status, rows, duration, other fields, message, error last', async () => {
  const file = path.join(tempDir('log-'), 'cron.log');
  await writeLines({ component: 'scheduler', format: 'text', level: 'info', filePath: file }, (logger) => {
    logger.error('', {
      error: 'connection refused: "db" is down',
      duration_ms: 12,
      status: 'failed',
      run: 'abc123',
      job: 'rollup',
      trigger: 'schedule',
      params: { window_days: 7 },
    });
  });
  const [line, rest] = readFileSync(file, 'utf8').split('\n');
  expect(rest).toBe('');
  expect(line).toMatch(
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ERROR scheduler job=rollup run=abc123 status=failed duration_ms=12 trigger=schedule params=window_days:7 error=connection refused: "db" is down$/,
  );
});

test('LOG_FORMAT=json writes one JSON object per line', async () => {
  const file = path.join(tempDir('log-'), 'cron.log');
  await writeLines({ component: 'scheduler', format: 'json', level: 'info', filePath: file }, (logger) => {
    logger.info('', { job: 'rollup', run: 'r1', status: 'succeeded', rows: 3 });
    logger.warn('skipped', { job: 'rollup', run: 'r2', status: 'skipped' });
  });
  const lines = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(lines).toEqual([
    expect.objectContaining({
      level: 'info',
      component: 'scheduler',
      job: 'rollup',
      run: 'r1',
      status: 'succeeded',
      rows: 3,
    }),
    expect.objectContaining({ level: 'warn', message: 'skipped', run: 'r2', status: 'skipped' }),
  ]);
});

test('LOG_LEVEL=warn silences the success lines, never the failures', async () => {
  const file = path.join(tempDir('log-'), 'cron.log');
  await writeLines({ component: 'scheduler', format: 'text', level: 'warn', filePath: file }, (logger) => {
    logger.info('', { status: 'succeeded' });
    logger.error('', { status: 'failed' });
  });
  expect(readFileSync(file, 'utf8')).toMatch(/^[^\n]*status=failed\n$/);
});

// In a child process that exits as soon as it has logged: nothing may be left unwritten.
test('cron.log is rotated by size and the number of files is bounded', async () => {
  const dir = tempDir('log-');
  const file = path.join(dir, 'cron.log');
  const script = `
    const { createLogger } = require(${JSON.stringify(path.join(projectRoot, 'dist/lib/logger.js'))});
    const logger = createLogger({ component: 'scheduler', format: 'text', level: 'info',
      filePath: ${JSON.stringify(file)}, maxSizeBytes: 2000, maxFiles: 3 });
    logger.transports[0].silent = true;
    for (let i = 0; i < 300; i += 1) logger.info('', { job: 'rollup', run: 'run' + i, status: 'succeeded' });
    process.exit(0);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: 'inherit' });
  expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
  const files = readdirSync(dir);
  expect(files.length).toBeLessThanOrEqual(3);
  expect(files).toContain('cron.log');
  for (const name of files) expect(statSync(path.join(dir, name)).size).toBeLessThanOrEqual(2200);
  // The newest lines are in cron.log itself, the ones before in cron.log.1, cron.log.2; none lost in between.
  expect(files.sort()).toEqual(['cron.log', 'cron.log.1', 'cron.log.2']);
  const lines = ['cron.log.2', 'cron.log.1', 'cron.log'].flatMap((name) =>
    readFileSync(path.join(dir, name), 'utf8').trim().split('\n'),
  );
  const runs = lines.map((line) => Number(/run=run(\d+) /.exec(line)![1]));
  expect(runs).toEqual(Array.from({ length: runs.length }, (_, i) => 300 - runs.length + i));
  expect(runs.at(-1)).toBe(299);
});

// The scheduler and a manual `npm run job` append to one cron.log: each rotates it when it finds
// it full, and neither may lose, repeat or cut the other's lines, or stop on the other's rename.
test('two processes logging to one cron.log as it rotates: every line exactly once, whole', async () => {
  const dir = tempDir('log-');
  const file = path.join(dir, 'cron.log');
  const LINES = 3000;
  const writer = (name: string) => `
    const { createLogger } = require(${JSON.stringify(path.join(projectRoot, 'dist/lib/logger.js'))});
    // Files enough to keep every line: none may go out by the count of files.
    const logger = createLogger({ component: 'scheduler', format: 'text', level: 'info',
      filePath: ${JSON.stringify(file)}, maxSizeBytes: 4000, maxFiles: 1000 });
    logger.transports[0].silent = true;
    for (let i = 0; i < ${LINES}; i += 1) logger.info('', { job: 'rollup', run: '${name}' + i, status: 'succeeded' });
    process.exit(0);`;
  const writers = ['a', 'b'].map((name) => spawn(process.execPath, ['-e', writer(name)], { stdio: 'inherit' }));
  const codes = await Promise.all(writers.map((child) => new Promise((resolve) => child.on('exit', resolve))));
  expect(codes).toEqual([0, 0]);
  const files = readdirSync(dir);
  expect(files.every((name) => /^cron\.log(\.\d+)?$/.test(name))).toBe(true);
  expect(files.length).toBeGreaterThan(20); // it did rotate, many times
  const lines = files.flatMap((name) =>
    readFileSync(path.join(dir, name), 'utf8')
      .split('\n')
      .filter((l) => l !== ''),
  );
  for (const line of lines) expect(line).toMatch(/^\S+Z INFO {2}scheduler job=rollup run=[ab]\d+ status=succeeded$/);
  const runs = lines.map((line) => /run=(\w+)/.exec(line)![1]).sort();
  const expected = ['a', 'b'].flatMap((name) => Array.from({ length: LINES }, (_, i) => `${name}${i}`)).sort();
  expect(runs).toEqual(expected);
});

test('a lock left by a process killed while it rotated holds rotation up only until it is stale', async () => {
  const dir = tempDir('log-');
  const file = path.join(dir, 'cron.log');
  writeFileSync(`${file}.lock`, '');
  const log = (run: string) =>
    writeLines({ component: 'scheduler', format: 'text', level: 'info', filePath: file, maxSizeBytes: 100 }, (logger) =>
      logger.info('', { job: 'rollup', run, status: 'succeeded' }),
    );
  await log('first');
  await log('second'); // full, but the lock is fresh: another process could be rotating
  expect(readdirSync(dir).sort()).toEqual(['cron.log', 'cron.log.lock']);
  const longAgo = new Date(Date.now() - 60_000);
  utimesSync(`${file}.lock`, longAgo, longAgo);
  await log('third'); // removes the stale lock
  await log('fourth'); // rotates
  expect(readdirSync(dir).sort()).toEqual(['cron.log', 'cron.log.1']);
  expect(readFileSync(file, 'utf8')).toMatch(/^[^\n]*run=fourth [^\n]*\n$/);
});

test('a log file that cannot be written is a clear configuration error', () => {
  const notADirectory = path.join(tempDir('log-'), 'plain-file');
  writeFileSync(notADirectory, '');
  expect(() =>
    createLogger({
      component: 'scheduler',
      format: 'text',
      level: 'info',
      filePath: path.join(notADirectory, 'cron.log'),
    }),
  ).toThrow(new RegExp(`cannot write the log file CRON_LOG=${notADirectory}/cron.log: (EEXIST|ENOTDIR)`));
});
