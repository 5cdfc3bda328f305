import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createPool } from '../lib/db';
import { CONNECTION_FILE, freePort } from '../lib/embeddedPostgres';
import { projectRoot } from '../lib/sqlFiles';
import { HEADER, tempDir, writeFile } from './support/files';
import { killStarted, startNode, stopProcess, waitUntil } from './support/processes';

/**
 * `npm start`: its own PostgreSQL, the load, the scheduler; the banner's lines as pasted; the other
 * commands of the checkout using its database; Ctrl-C; and a restart that keeps the data, and
 * a later load of another file too (issues 2 and 3).
 */

afterAll(killStarted);

/** The banner's line of that label, from the command on: what a person pastes. */
function bannerCommand(output: string, label: string): string {
  const line = output.split('\n').find((l) => l.trimStart().startsWith(`${label}:`));
  if (line === undefined) throw new Error(`no "${label}:" line in the banner:\n${output}`);
  return line.slice(line.indexOf(':') + 1).trim();
}

const firstLine = (output: string): string => output.split('\n')[0]!;

test('npm start: a banner that works as pasted, its database for the other commands, and restarts that keep what was loaded', async () => {
  const dir = tempDir('embedded-');
  // As root the server runs as the 'postgres' user, which must be able to enter this folder.
  chmodSync(dir, 0o755);
  const port = await freePort();
  // Characters that a URL and a shell must both escape.
  const password = `it's a s3cret:@/${randomBytes(3).toString('hex')}`;
  const dataDir = path.join(dir, 'pgdata');
  const connectionFile = path.join(dataDir, CONNECTION_FILE);
  const cronLog = path.join(dir, 'cron.log');
  const s3Dir = path.join(dir, 's3data');
  const sqsDir = path.join(dir, 'sqsdata');
  const env = {
    EMBEDDED_PG_DIR: dataDir,
    EMBEDDED_PG_PORT: String(port),
    EMBEDDED_PG_PASSWORD: password,
    EMBEDDED_S3_DIR: s3Dir,
    EMBEDDED_S3_PORT: String(await freePort()),
    ADS_API_PORT: String(await freePort()),
    EMBEDDED_SQS_DIR: sqsDir,
    EMBEDDED_SQS_PORT: String(await freePort()),
    LAKE_URI: path.join(dir, 'lake'),
    LAKE_INBOX: path.join(dir, 'inbox'),
    EVENTS_FLUSH_MAX_AGE: '1',
    CRON_LOG: cronLog,
  };
  // The rolling average's: api_load, which npm start runs too, may finish first.
  const succeededRuns = (): number =>
    existsSync(cronLog)
      ? (
          readFileSync(cronLog, 'utf8').match(
            / job=default_liquidation_rolling_avg_hist run=[0-9a-f]{12} status=succeeded rows=\d+/g,
          ) ?? []
        ).length
      : 0;
  const outputs: string[] = [];
  const command = async (args: string[], extraEnv: Record<string, string>) => {
    const running = startNode(args, { DB_WAIT_TIMEOUT: '5', ...extraEnv });
    const code = await running.exited;
    outputs.push(running.output());
    return { code, output: running.output() };
  };

  const first = startNode(['dist/embedded/main.js'], env);
  await waitUntil(() => succeededRuns() >= 1 && first.output().includes('  stop:'), 60_000, first);
  expect(first.output()).toMatch(/tail -f .*cron\.log/);
  expect(firstLine(first.output())).toMatch(
    `embedded host=localhost port=${port} database=analytics user=postgres data_dir=${dataDir} starting embedded PostgreSQL`,
  );
  // The first start loads data/loans.csv; the first run writes every day.
  expect(first.output()).toMatch(/status=succeeded rows=620 .* loaded data\/loans\.csv: 620 rows read/);
  expect(readFileSync(cronLog, 'utf8')).toMatch(/ run=[0-9a-f]{12} status=succeeded rows=620 /);
  // api_load's start-up run, against the S3 server and the ads API that npm start runs.
  await waitUntil(
    () => / job=api_load run=[0-9a-f]{12} status=succeeded rows=100 /.test(readFileSync(cronLog, 'utf8')),
    30_000,
    first,
  );

  // The stream: the producer's events reach the lake through the local queue, one line per flush.
  const flushed = /status=succeeded .*events=([1-9]\d*) .*flush committed and deleted/;
  await waitUntil(() => flushed.test(readFileSync(cronLog, 'utf8')), 30_000, first);
  expect(bannerCommand(first.output(), 'event stream')).toMatch(/→ the lake, 20 events\/s: npm run events -- status$/);
  // From another shell, status finds the queue as the commands find the database.
  const status = await command(['dist/events/main.js', 'status'], {
    EMBEDDED_PG_DIR: dataDir,
    EMBEDDED_SQS_DIR: sqsDir,
  });
  expect(status.code).toBe(0);
  expect(status.output).toMatch(/^queue http:\/\/127\.0\.0\.1:\d+\/000000000000\/events at .*: \d+ waiting, /m);
  expect(status.output).toMatch(/^flushes in the last 10 min: [1-9]\d* \(0 failed\)/m);

  // The connection file: the owner's only.
  expect(statSync(connectionFile).mode & 0o777).toBe(0o600);
  expect(JSON.parse(readFileSync(connectionFile, 'utf8'))).toMatchObject({
    host: 'localhost',
    port,
    user: 'postgres',
    password,
    database: 'analytics',
  });

  // The banner's export line, pasted into a shell where nothing else points at the server.
  const exported = bannerCommand(first.output(), 'elsewhere');
  expect(exported).toMatch(/^export DATABASE_URL=/);
  const shell = spawnSync('sh', ['-c', `${exported} && exec node dist/scheduler/cli.js history`], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? '', EMBEDDED_PG_DIR: path.join(dir, 'nothing-here') },
    encoding: 'utf8',
  });
  expect(shell.status).toBe(0);
  expect(firstLine(shell.stdout)).toMatch(
    `job host=localhost port=${port} database=analytics user=postgres from=DATABASE_URL using this database`,
  );
  outputs.push(shell.stdout + shell.stderr);
  // The psql line, where psql is installed.
  const psql = bannerCommand(first.output(), 'psql');
  if (spawnSync('sh', ['-c', 'command -v psql']).status === 0) {
    const asked = spawnSync('sh', ['-c', `${psql} -XAtc 'SELECT current_database()'`], { encoding: 'utf8' });
    expect({ status: asked.status, stdout: asked.stdout, stderr: asked.stderr }).toEqual({
      status: 0,
      stdout: 'analytics\n',
      stderr: '',
    });
  }

  // From another shell, with no variable set: the commands find the server themselves.
  const fixed = writeFile(dir, 'fixed.csv', [HEADER, '2021-08-28,40,3,30']);
  const loaded = await command(['dist/loader/main.js', fixed], { EMBEDDED_PG_DIR: dataDir });
  expect(loaded.code).toBe(0);
  expect(firstLine(loaded.output)).toMatch(
    `loader host=localhost port=${port} database=analytics user=postgres from="the embedded server of this checkout (${connectionFile})" using this database`,
  );
  expect(loaded.output).toMatch(/loaded .*fixed\.csv: 1 rows read, 1 loaded \(0 new, 1 updated/);

  // A job from another shell finds the local S3 server as it finds the database: its backup lands
  // in npm start's bucket folder.
  const apiUrl = `http://127.0.0.1:${env.ADS_API_PORT}/ads`;
  const manual = await command(['dist/scheduler/cli.js', 'api_load'], {
    EMBEDDED_PG_DIR: dataDir,
    EMBEDDED_S3_DIR: s3Dir,
    ADS_API_URL: apiUrl,
  });
  expect(manual.code).toBe(0);
  const manualKey = /backup_key="?(backup\/[^" ]+)/.exec(manual.output)?.[1];
  expect(manualKey).toBeDefined();
  expect(existsSync(path.join(s3Dir, 'buckets', 'ad-data', `${manualKey}._S3rver_object`))).toBe(true);

  // The natural guess of issue 2: the port and the password only. The database is analytics, not postgres.
  const guessed = await command(['dist/lib/migrateMain.js'], {
    EMBEDDED_PG_DIR: dataDir,
    PGPORT: String(port),
    PGPASSWORD: password,
  });
  expect(guessed.code).toBe(0);
  expect(firstLine(guessed.output)).toMatch(
    `migrate host=localhost port=${port} database=analytics user=postgres from="the PG* variables (PGPORT, PGPASSWORD), ` +
      `which point at the embedded server of this checkout: database and user from ${connectionFile}" using this database`,
  );
  expect(guessed.output).toMatch(/the schema is up to date/);
  const server = { host: 'localhost', port, user: 'postgres', password };
  const postgres = createPool({ ...server, database: 'postgres' }, 'test');
  try {
    expect((await postgres.query("SELECT to_regclass('schema_migrations') AS t")).rows[0].t).toBeNull();
  } finally {
    await postgres.end();
  }

  const stopped = await stopProcess(first, 'SIGINT');
  expect(stopped.code).toBe(0);

  // A restart: data/loans.csv did not change since it was loaded, so the corrected day stays.
  const runsBefore = succeededRuns();
  const second = startNode(['dist/embedded/main.js'], env);
  await waitUntil(() => succeededRuns() > runsBefore, 60_000, second);
  expect(second.output()).toMatch(
    /status=skipped rows=0 .* skipped data\/loans\.csv: unchanged since its last load \(load 1, same size and sha256\)/,
  );
  const pool = createPool({ ...server, database: 'analytics' }, 'test');
  try {
    const loads = await pool.query(
      'SELECT load_id::int, file, rows_inserted, rows_updated FROM loads ORDER BY load_id',
    );
    expect(loads.rows).toEqual([
      { load_id: 1, file: 'data/loans.csv', rows_inserted: 620, rows_updated: 0 },
      { load_id: 2, file: fixed, rows_inserted: 0, rows_updated: 1 },
    ]);
    const day = await pool.query("SELECT defaults, liquidations FROM loans WHERE repayment_date = '2021-08-28'");
    expect(day.rows).toEqual([{ defaults: 3, liquidations: 30 }]);
    const published = await pool.query('SELECT count(*)::int AS n FROM default_liquidation_rolling_avg_hist');
    expect(published.rows[0].n).toBe(620);
    // The backups of both starts and of the manual run, each still in the bucket after the restart.
    const backups = await pool.query<{ backup_key: string }>('SELECT backup_key FROM ad_backups ORDER BY stored_at');
    expect(backups.rows.length).toBeGreaterThanOrEqual(2);
    expect(backups.rows.map((row) => row.backup_key)).toContain(manualKey);
    for (const { backup_key: key } of backups.rows) {
      expect(existsSync(path.join(s3Dir, 'buckets', 'ad-data', `${key}._S3rver_object`))).toBe(true);
    }
  } finally {
    await pool.end();
  }
  expect((await stopProcess(second, 'SIGTERM')).code).toBe(0);
  expect(readFileSync(cronLog, 'utf8')).toMatch(/embedded PostgreSQL stopped/);

  // The password is in the banner's two lines, which exist to be pasted, and in no log line.
  const withoutPastedLines = (output: string): string =>
    output
      .split('\n')
      .filter((line) => !/^ {2}(elsewhere|psql):/.test(line))
      .join('\n');
  for (const text of [
    withoutPastedLines(first.output()),
    withoutPastedLines(second.output()),
    readFileSync(cronLog, 'utf8'),
    ...outputs,
  ]) {
    expect(text).not.toContain(password);
    expect(text).not.toContain(encodeURIComponent(password));
  }
});
