import path from 'node:path';
import { describeConnection, describeDatabase, readConfig } from '../lib/config';
import { ConfigError } from '../lib/errors';
import { projectRoot } from '../lib/sqlFiles';
import { tempDir } from './support/files';

// A data folder where no embedded server runs, whether or not `npm start` runs in this checkout.
const noServer = { EMBEDDED_PG_DIR: tempDir('no-server-') };

describe('readConfig', () => {
  test('has a default for everything', () => {
    const config = readConfig(noServer);
    expect(config.database).toEqual({
      host: 'localhost',
      port: 5432,
      user: 'postgres',
      database: 'postgres',
      origin: 'the defaults (no DATABASE_URL or PG* variable is set, and no embedded server of this checkout runs)',
    });
    expect(config.cronSchedule).toBe('* * * * *');
    expect(config.cronLogPath).toBe('logs/cron.log');
    expect(config.dbWaitTimeoutMs).toBe(60_000);
    expect(config.logFormat).toBe('text');
  });

  test('reads the libpq variables, and PGDATABASE defaults to the user', () => {
    const config = readConfig({ PGHOST: 'db', PGPORT: '6543', PGUSER: 'analytics', PGPASSWORD: 's3cret' });
    expect(config.database).toEqual({
      host: 'db',
      port: 6543,
      user: 'analytics',
      password: 's3cret',
      database: 'analytics',
      origin: 'the PG* variables (PGHOST, PGPORT, PGUSER, PGPASSWORD; defaults for the rest)',
    });
  });

  test('reads DATABASE_URL into the same settings, filling what it leaves out from PG*', () => {
    expect(readConfig({ DATABASE_URL: 'postgres://u:p%40ss@db:6000/x', PGHOST: 'ignored' }).database).toEqual({
      connectionString: 'postgres://u:p%40ss@db:6000/x',
      host: 'db',
      port: 6000,
      user: 'u',
      password: 'p@ss',
      database: 'x',
      origin: 'DATABASE_URL',
    });
    expect(readConfig({ DATABASE_URL: 'postgresql://db', PGUSER: 'me', PGPASSWORD: 'pw' }).database).toMatchObject({
      host: 'db',
      port: 5432,
      user: 'me',
      password: 'pw',
      database: 'me',
    });
  });

  test('resolves EMBEDDED_PG_DIR from the project folder, not the current one', () => {
    expect(readConfig(noServer).embedded.dataDir).toBe(noServer.EMBEDDED_PG_DIR);
    expect(readConfig({}).embedded.dataDir).toBe(path.join(projectRoot, '.pgdata'));
    expect(readConfig({ EMBEDDED_PG_DIR: 'x/pg' }).embedded.dataDir).toBe(path.join(projectRoot, 'x', 'pg'));
  });

  test('reads the parameters of the scheduled rolling average', () => {
    expect(readConfig({}).rollingAverage).toEqual({ windowDays: 7, includeCurrentDay: true });
    const config = readConfig({ ROLLING_AVG_WINDOW_DAYS: '3', ROLLING_AVG_INCLUDE_CURRENT_DAY: 'false' });
    expect(config.rollingAverage).toEqual({ windowDays: 3, includeCurrentDay: false });
    expect(() => readConfig({ ROLLING_AVG_WINDOW_DAYS: '0', ROLLING_AVG_INCLUDE_CURRENT_DAY: 'no' })).toThrow(
      /ROLLING_AVG_WINDOW_DAYS="0": expected a whole number from 1 to 3660; ROLLING_AVG_INCLUDE_CURRENT_DAY="no": expected true or false/,
    );
  });

  test('accepts a 6-field schedule with seconds', () => {
    expect(readConfig({ CRON_SCHEDULE: '*/10 * * * * *' }).cronSchedule).toBe('*/10 * * * * *');
  });

  test('reports every bad variable in one message', () => {
    let error: unknown;
    try {
      readConfig({
        PGPORT: 'abc',
        CRON_SCHEDULE: 'every minute',
        LOG_FORMAT: 'xml',
        DB_WAIT_TIMEOUT: '-1',
        DATABASE_URL: 'mysql://x',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of ['PGPORT', 'CRON_SCHEDULE', 'LOG_FORMAT', 'DB_WAIT_TIMEOUT', 'DATABASE_URL']) {
      expect(message).toContain(name);
    }
  });

  test("the dashboard's settings: defaults, and basic auth with both variables or neither", () => {
    expect(readConfig(noServer).web).toEqual({ host: '127.0.0.1', port: 8090, refreshSeconds: 30 });
    expect(readConfig({ ...noServer, WEB_USER: 'ann', WEB_PASSWORD: 's3cret', WEB_PORT: '9000' }).web).toEqual({
      host: '127.0.0.1',
      port: 9000,
      auth: { user: 'ann', password: 's3cret' },
      refreshSeconds: 30,
    });
    expect(() => readConfig({ ...noServer, WEB_USER: 'ann' })).toThrow(
      'WEB_USER and WEB_PASSWORD: set both (basic auth for the dashboard) or neither',
    );
    expect(() => readConfig({ ...noServer, WEB_PASSWORD: 'x', WEB_REFRESH_SECONDS: 'often' })).toThrow(
      /WEB_USER and WEB_PASSWORD.*WEB_REFRESH_SECONDS="often": expected a whole number of seconds from 0 to 3600/,
    );
  });
});

describe('describeDatabase', () => {
  test('masks the password of PG* settings', () => {
    const text = describeDatabase(readConfig({ PGHOST: 'db', PGUSER: 'u', PGPASSWORD: 'hunter2' }).database);
    expect(text).toBe('postgresql://u:*****@db:5432/u');
  });

  test('the first line of a command names host, port, database, user and where they came from, never the password', () => {
    const fromUrl = readConfig({ DATABASE_URL: 'postgres://u:hunter2@db:5432/x' }).database;
    expect(describeConnection(fromUrl)).toEqual({
      host: 'db',
      port: 5432,
      database: 'x',
      user: 'u',
      from: 'DATABASE_URL',
    });
    const fromPg = readConfig({ ...noServer, PGHOST: 'db', PGUSER: 'u', PGPASSWORD: 'hunter2' }).database;
    expect(JSON.stringify(describeConnection(fromPg))).not.toContain('hunter2');
  });

  test('masks the password of DATABASE_URL', () => {
    const text = describeDatabase(readConfig({ DATABASE_URL: 'postgres://u:hunter2@db:5432/x' }).database);
    expect(text).not.toContain('hunter2');
    expect(text).toContain('u:*****@db:5432/x');
  });
});
