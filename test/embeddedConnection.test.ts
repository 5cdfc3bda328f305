import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describeConnection, readConfig } from '../lib/config';
import { createPool } from '../lib/db';
import { CONNECTION_FILE, freePort, writeConnectionFile } from '../lib/embeddedPostgres';
import { tempDir } from './support/files';
import { RestartableServer } from './support/postgresServer';

/**
 * How readConfig finds the embedded server of this checkout (issue 2), against a real server
 * standing in for the one of `npm start`: its data folder, its postmaster.pid, and the connection
 * file written as npm start writes it. test/embedded.test.ts runs npm start itself.
 */

const dir = tempDir('embedded-connection-');
chmodSync(dir, 0o755); // as root, the server runs as 'postgres'
const dataDir = path.join(dir, 'pgdata');
const file = path.join(dataDir, CONNECTION_FILE);
let server: RestartableServer;

beforeAll(async () => {
  server = new RestartableServer(dataDir, await freePort());
  await server.start();
});
afterAll(async () => {
  await server.stop();
});

const env = (vars: Record<string, string> = {}) => ({ EMBEDDED_PG_DIR: dataDir, ...vars });

test('a running server without its connection file is a one-line configuration error naming the file', () => {
  expect(() => readConfig(env())).toThrow(
    new RegExp(
      `^invalid configuration: a PostgreSQL server \\(pid \\d+\\) runs on .* but ${file} is missing: npm start writes it`,
    ),
  );
});

test('with no variable set, the commands use the server of the connection file, written readable by its owner only', async () => {
  expect(writeConnectionFile(dataDir, server.database)).toBe(file);
  expect(statSync(file).mode & 0o777).toBe(0o600);
  const { database } = readConfig(env());
  expect(database).toEqual({ ...server.database, origin: `the embedded server of this checkout (${file})` });
  const pool = createPool(database, 'test', { max: 1 });
  try {
    expect((await pool.query('SELECT current_database() AS db')).rows[0].db).toBe('postgres');
  } finally {
    await pool.end();
  }
});

test('explicit variables win, and PG* variables pointing at it take what they leave out from the file', () => {
  writeConnectionFile(dataDir, { ...server.database, database: 'analytics' });
  const port = String(server.port);
  // The natural guess of issue 2: the port and the password, no database.
  expect(readConfig(env({ PGPORT: port, PGPASSWORD: 'typed' })).database).toEqual({
    host: 'localhost',
    port: server.port,
    user: 'postgres',
    password: 'typed',
    database: 'analytics',
    origin: `the PG* variables (PGPORT, PGPASSWORD), which point at the embedded server of this checkout: database and user from ${file}`,
  });
  expect(readConfig(env({ PGHOST: '127.0.0.1', PGPORT: port })).database).toMatchObject({
    database: 'analytics',
    password: server.database.password,
    origin: expect.stringMatching(/: database, user and password from /),
  });
  // Another user: the file's password is not theirs.
  expect(readConfig(env({ PGPORT: port, PGUSER: 'alice' })).database).toEqual({
    host: 'localhost',
    port: server.port,
    user: 'alice',
    database: 'analytics',
    origin: expect.stringMatching(/\(PGPORT, PGUSER\), .*: database from /),
  });
  expect(readConfig(env({ PGPORT: port, PGDATABASE: 'postgres' })).database).toMatchObject({
    database: 'postgres',
    origin: 'the PG* variables (PGPORT, PGDATABASE; defaults for the rest)',
  });
  expect(readConfig(env({ PGHOST: 'db.example', PGPORT: port })).database).toMatchObject({
    host: 'db.example',
    database: 'postgres',
  });
  expect(readConfig(env({ PGPORT: String(server.port + 1) })).database.database).toBe('postgres');
  expect(readConfig(env({ DATABASE_URL: 'postgres://u@elsewhere/x' })).database).toMatchObject({
    host: 'elsewhere',
    database: 'x',
    origin: 'DATABASE_URL',
  });
});

test('the line that names the database never holds the password', () => {
  writeConnectionFile(dataDir, { ...server.database, password: 'pw-in-the-file' });
  for (const vars of [{}, { PGPORT: String(server.port) }] as Record<string, string>[]) {
    const line = JSON.stringify(describeConnection(readConfig(env(vars)).database));
    expect(line).toMatch(/"host":"localhost","port":\d+,"database":"postgres","user":"postgres","from":/);
    expect(line).not.toContain('pw-in-the-file');
  }
});

test('a connection file that is unreadable or from an earlier start is refused with what to do', () => {
  writeFileSync(file, '{"port": 5');
  expect(() => readConfig(env())).toThrow(
    new RegExp(`cannot read ${file} \\(.*JSON.*\\): run the command as the user`),
  );
  writeConnectionFile(dataDir, server.database);
  const record = JSON.parse(readFileSync(file, 'utf8')) as { pid: number };
  writeFileSync(file, JSON.stringify({ ...record, pid: record.pid + 1 }));
  expect(() => readConfig(env())).toThrow(
    /connection\.json does not describe the PostgreSQL server running on .* now \(pid \d+\): npm start rewrites it/,
  );
});

test('once the server stopped, its connection file is ignored', async () => {
  writeConnectionFile(dataDir, server.database);
  await server.stop();
  expect(readConfig(env()).database).toMatchObject({ port: 5432, origin: expect.stringMatching(/^the defaults/) });
});
