import type { DatabaseConfig } from '../../lib/config';

/**
 * Where the tests' PostgreSQL is. globalSetup either starts an embedded server and publishes its
 * address in TEST_PG* variables, or, when PGHOST or DATABASE_URL is set, uses that server (the
 * role needs CREATEDB). Test files read it from here.
 */

export const TEMPLATE_DATABASE = 'loans_analytics_test_template';

export function testServer(): DatabaseConfig {
  const env = process.env;
  if (env.TEST_PGHOST === undefined) throw new Error('TEST_PGHOST is not set: run the tests with jest (npm test)');
  const config: DatabaseConfig = {
    host: env.TEST_PGHOST,
    port: Number(env.TEST_PGPORT),
    user: env.TEST_PGUSER ?? 'postgres',
    database: env.TEST_PGDATABASE ?? 'postgres',
  };
  if (env.TEST_PGPASSWORD !== undefined) config.password = env.TEST_PGPASSWORD;
  return config;
}

/** PG* variables for a child process that should use the given database. */
export function pgEnvironment(db: DatabaseConfig): Record<string, string> {
  return {
    PGHOST: db.host,
    PGPORT: String(db.port),
    PGUSER: db.user,
    PGDATABASE: db.database,
    ...(db.password !== undefined ? { PGPASSWORD: db.password } : {}),
  };
}
