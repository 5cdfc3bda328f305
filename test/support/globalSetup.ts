import { chmodSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readConfig } from '../../lib/config';
import { createPool } from '../../lib/db';
import { freePort, startEmbeddedPostgres, type EmbeddedServer } from '../../lib/embeddedPostgres';
import { createLogger } from '../../lib/logger';
import { migrate } from '../../lib/migrate';
import { TEMPLATE_DATABASE, testServer } from './server';

declare global {
  var testPostgres: EmbeddedServer | undefined;
}

export default async function globalSetup(): Promise<void> {
  // Readable by all: as root, the embedded servers of the tests run as the 'postgres' user.
  const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'loans-analytics-tests-'));
  chmodSync(tmpRoot, 0o755);
  process.env.TEST_TMP_ROOT = tmpRoot;

  const usePgEnvironment = process.env.PGHOST !== undefined || process.env.DATABASE_URL !== undefined;
  if (usePgEnvironment) {
    // DATABASE_URL too: readConfig reads its host, port, user, password and database.
    const db = readConfig().database;
    Object.assign(process.env, {
      TEST_PGHOST: db.host,
      TEST_PGPORT: String(db.port),
      TEST_PGUSER: db.user,
      TEST_PGDATABASE: db.database,
      ...(db.password !== undefined ? { TEST_PGPASSWORD: db.password } : {}),
    });
  } else {
    const server = await startEmbeddedPostgres({
      dataDir: path.join(tmpRoot, 'server'),
      port: await freePort(),
      password: 'test',
      persistent: false,
    });
    globalThis.testPostgres = server;
    Object.assign(process.env, {
      TEST_PGHOST: server.database.host,
      TEST_PGPORT: String(server.database.port),
      TEST_PGUSER: server.database.user,
      TEST_PGPASSWORD: 'test',
      TEST_PGDATABASE: 'postgres',
    });
  }

  // A migrated template: each test file clones it instead of migrating again.
  const admin = createPool(testServer(), 'test setup', { max: 1 });
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE}`);
  await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  await admin.end();
  const template = createPool({ ...testServer(), database: TEMPLATE_DATABASE }, 'test setup', { max: 1 });
  await migrate(template, createLogger({ component: 'test', format: 'text', level: 'error' }));
  await template.end();
}
