import { chmodSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createPool } from '../lib/db';
import { tempDir } from './support/files';
import { freePort } from '../lib/embeddedPostgres';
import { killStarted, startNode, stopProcess, waitUntil } from './support/processes';

/** `npm start`: its own PostgreSQL, the load, the scheduler; Ctrl-C; and the data still there next time. */

afterAll(killStarted);

test('npm start runs the stack on an embedded PostgreSQL and keeps the data across restarts', async () => {
  const dir = tempDir('embedded-');
  // As root the server runs as the 'postgres' user, which must be able to enter this folder.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const banner = `psql "postgresql://postgres@localhost:${port}/analytics"`;
  const cronLog = path.join(dir, 'cron.log');
  const env = { EMBEDDED_PG_DIR: path.join(dir, 'pgdata'), EMBEDDED_PG_PORT: String(port), CRON_LOG: cronLog };
  const succeededRuns = (): number =>
    existsSync(cronLog)
      ? (readFileSync(cronLog, 'utf8').match(/ run=[0-9a-f]{12} status=succeeded rows=\d+/g) ?? []).length
      : 0;

  const first = startNode(['dist/embedded/main.js'], env);
  await waitUntil(() => succeededRuns() >= 1 && first.output().includes(banner), 60_000, first);
  expect(first.output()).toContain(`tail -f ${cronLog}`);
  // The first run writes every day; later runs only the days whose numbers changed (none here).
  expect(readFileSync(cronLog, 'utf8')).toMatch(/ run=[0-9a-f]{12} status=succeeded rows=620 /);
  const stopped = await stopProcess(first, 'SIGINT');
  expect(stopped.code).toBe(0);

  const runsBefore = succeededRuns();
  const second = startNode(['dist/embedded/main.js'], env);
  await waitUntil(() => succeededRuns() > runsBefore, 60_000, second);
  const pool = createPool(
    { host: 'localhost', port, user: 'postgres', password: 'postgres', database: 'analytics' },
    'test',
  );
  try {
    const loads = await pool.query('SELECT rows_inserted, rows_unchanged FROM loads ORDER BY load_id');
    // The second start found the first start's data: nothing new to insert.
    expect(loads.rows).toEqual([
      { rows_inserted: 620, rows_unchanged: 0 },
      { rows_inserted: 0, rows_unchanged: 620 },
    ]);
    const published = await pool.query('SELECT count(*)::int AS n FROM default_liquidation_rolling_avg_hist');
    expect(published.rows[0].n).toBe(620);
  } finally {
    await pool.end();
  }
  expect((await stopProcess(second, 'SIGTERM')).code).toBe(0);
  expect(readFileSync(cronLog, 'utf8')).toMatch(/embedded PostgreSQL stopped/);
});
