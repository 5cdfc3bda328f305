import { createPool, endPool, waitForDatabase } from '../lib/db';
import { ConfigError } from '../lib/errors';
import { runMain } from '../lib/main';
import { migrate } from '../lib/migrate';
import { defineJobs, findJob, resolveParams } from './jobs';
import { runJob } from './runJob';

/** `npm run job -- <name> [--param key=value …]`: one run now; exit 0 only if it succeeded. */

export const USAGE = 'usage: npm run job -- <job name> [--param key=value …]';

export function parseJobArgs(args: readonly string[]): {
  name: string;
  overrides: Record<string, string>;
} {
  let name: string | undefined;
  const overrides: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--param') {
      const pair = args[++i] ?? '';
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new ConfigError(`--param needs key=value, got ${JSON.stringify(pair)}; ${USAGE}`);
      overrides[pair.slice(0, eq)] = pair.slice(eq + 1);
    } else if (arg.startsWith('-')) {
      throw new ConfigError(`unknown option ${arg}; ${USAGE}`);
    } else if (name !== undefined) {
      throw new ConfigError(`one job at a time, got ${name} and ${arg}; ${USAGE}`);
    } else {
      name = arg;
    }
  }
  if (name === undefined) throw new ConfigError(USAGE);
  return { name, overrides };
}

if (require.main === module) {
  runMain('job', async (config, logger, stop) => {
    const { name, overrides } = parseJobArgs(process.argv.slice(2));
    const job = findJob(defineJobs(config), name);
    const params = resolveParams(job, overrides);
    const pool = createPool(config.database, `job ${name}`, { max: 2 });
    try {
      await waitForDatabase(pool, config.database, config.dbWaitTimeoutMs, logger, stop);
      await migrate(pool, logger);
      // Ctrl-C cancels the running statement on the server; the run is recorded as failed.
      const outcome = await runJob(pool, job, { trigger: 'manual', params, signal: stop }, logger);
      return outcome.status === 'succeeded' ? 0 : 1;
    } finally {
      await endPool(pool);
    }
  });
}
