import { createTask } from 'node-cron';
import type { Config, DatabaseConfig } from '../lib/config';
import { createPool, endPool, waitForDatabase, type Pool } from '../lib/db';
import { ConfigError, describeError, PgErrorCode } from '../lib/errors';
import { addLogFile, type Logger } from '../lib/logger';
import { cronLog, runMain } from '../lib/main';
import { migrate } from '../lib/migrate';
import {
  ADS_ENVIRONMENT,
  CRON_LOG_ENVIRONMENT,
  DATABASE_ENVIRONMENT,
  LOG_ENVIRONMENT,
  S3_ENVIRONMENT,
  usageLine,
  WORKFLOW_ENVIRONMENT,
  type Usage,
} from '../lib/usage';
import { querySqlFile } from '../lib/sqlFiles';
import { planWorkflow } from './plan';
import { runWorkflow } from './runWorkflow';
import { checkDeploymentParams, findWorkflow, resolveParams, type Workflow } from './workflow';
import { defineWorkflows } from './workflows';

/** `npm run job -- …`: list, plan, run, backfill and look back at workflows. */

const SYNOPSIS = [
  'npm run job -- list',
  'npm run job -- history [<workflow>] [--limit N]',
  'npm run job -- <workflow> [--param key=value …] [--dry-run]',
  'npm run job -- <workflow> --from YYYY-MM-DD --to YYYY-MM-DD [--force] [--param key=value …]',
];
export const USAGE = usageLine(SYNOPSIS);

const HELP: Usage = {
  synopsis: SYNOPSIS,
  description: [
    'list: every workflow, its schedule and next run. history: recent runs and their tasks.',
    '<workflow>: one run now (exit 0 if it succeeded, 1 if not); with --from/--to a backfill, one run',
    'per day, skipping the days that already have a succeeded backfill run. Runs are logged to cron.log',
    '(trigger=manual or backfill), as the scheduler logs its own. Bad arguments: exit 2.',
  ].join('\n'),
  options: [
    ['--param key=value', 'a parameter of the workflow (repeatable); wins over WORKFLOW_* and the default'],
    ['--dry-run', 'print the plan (tasks, parameters, what would be skipped); touches nothing'],
    ['--from, --to', 'the first and last day of a backfill, YYYY-MM-DD'],
    ['--force', 'with --from/--to: run again the days that already succeeded'],
    ['--limit N', 'with history: how many runs (20)'],
  ],
  environment: [
    ...DATABASE_ENVIRONMENT,
    ...WORKFLOW_ENVIRONMENT,
    ...ADS_ENVIRONMENT,
    ...S3_ENVIRONMENT,
    ...CRON_LOG_ENVIRONMENT,
    ...LOG_ENVIRONMENT,
  ],
  examples: [
    'npm run job -- default_liquidation_rolling_avg_hist --param mode=incremental',
    'npm run job -- default_liquidation_rolling_avg_hist --from 2023-05-01 --to 2023-05-09',
  ],
};

export interface JobCommand {
  command: 'list' | 'history' | 'run';
  name?: string;
  overrides: Record<string, string>;
  dryRun: boolean;
  from?: string;
  to?: string;
  force: boolean;
  limit: number;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function parseJobArgs(args: readonly string[]): JobCommand {
  const parsed: JobCommand = { command: 'run', overrides: {}, dryRun: false, force: false, limit: 20 };
  const positional: string[] = [];
  const value = (i: number, flag: string): string => {
    const v = args[i];
    if (v === undefined || v.startsWith('--')) throw new ConfigError(`${flag} needs a value\n${USAGE}`);
    return v;
  };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--param') {
      const pair = value(++i, '--param');
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new ConfigError(`--param needs key=value, got ${JSON.stringify(pair)}\n${USAGE}`);
      parsed.overrides[pair.slice(0, eq)] = pair.slice(eq + 1);
    } else if (arg === '--dry-run') parsed.dryRun = true;
    else if (arg === '--force') parsed.force = true;
    else if (arg === '--from') parsed.from = value(++i, '--from');
    else if (arg === '--to') parsed.to = value(++i, '--to');
    else if (arg === '--limit') parsed.limit = Number(value(++i, '--limit'));
    else if (arg.startsWith('-')) throw new ConfigError(`unknown option ${arg}\n${USAGE}`);
    else positional.push(arg);
  }
  if (positional[0] === 'list' || positional[0] === 'history') {
    parsed.command = positional[0];
    if (positional.length > (parsed.command === 'history' ? 2 : 1))
      throw new ConfigError(`too many arguments\n${USAGE}`);
    if (positional[1] !== undefined) parsed.name = positional[1];
    return parsed;
  }
  if (positional.length !== 1) throw new ConfigError(USAGE);
  parsed.name = positional[0]!;
  if ((parsed.from === undefined) !== (parsed.to === undefined))
    throw new ConfigError(`--from and --to go together\n${USAGE}`);
  for (const day of [parsed.from, parsed.to]) {
    if (day !== undefined && (!DAY.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`)))) {
      throw new ConfigError(`${day} is not a YYYY-MM-DD date`);
    }
  }
  if (parsed.from !== undefined && parsed.to !== undefined && parsed.from > parsed.to) {
    throw new ConfigError(`--from ${parsed.from} is after --to ${parsed.to}`);
  }
  if (!Number.isInteger(parsed.limit) || parsed.limit < 1) throw new ConfigError('--limit needs a whole number >= 1');
  return parsed;
}

/** Every day from `from` to `to`, both included. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let ms = Date.parse(`${from}T00:00:00Z`); ms <= Date.parse(`${to}T00:00:00Z`); ms += 86_400_000) {
    days.push(new Date(ms).toISOString().slice(0, 10));
  }
  return days;
}

function print(lines: readonly string[]): void {
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function listWorkflows(workflows: readonly Workflow[]): string[] {
  return workflows.map((w) => {
    if (w.schedule === undefined) return `${w.name}  no schedule: runs only when asked  — ${w.description}`;
    // getNextRuns works on a task that is not started (getNextRun does not).
    const task = createTask(w.schedule, () => undefined, { timezone: w.timezone });
    const next = task.getNextRuns(1)[0]?.toISOString() ?? 'never';
    void task.destroy();
    return `${w.name}  schedule "${w.schedule}" (${w.timezone})  next run ${next}  — ${w.description}`;
  });
}

async function history(pool: Pool, db: DatabaseConfig, name: string | undefined, limit: number): Promise<string[]> {
  const { rows } = await querySqlFile(pool, 'scheduler/history.sql', [name ?? null, limit]).catch((error: unknown) => {
    // history only reads: on a database without the schema it says how to create it, and creates nothing.
    if ((error as { code?: unknown }).code === PgErrorCode.undefinedTable) {
      throw new ConfigError(
        `database ${db.database} on ${db.host}:${db.port} has no schema yet (${describeError(error)}): ` +
          'create it with npm run migrate (or npm start, for the embedded database)',
        { cause: error },
      );
    }
    throw error;
  });
  if (rows.length === 0) return ['no runs yet'];
  return rows.map(
    (r) =>
      `${r.started_at}  ${r.job}  run=${r.run_id}  ${r.trigger}  day=${r.logical_date}  ${r.status}` +
      `  rows=${r.rows ?? '-'}  duration_ms=${r.duration_ms ?? '-'}  tasks: ${r.tasks ?? '-'}` +
      (r.error ? `  error=${r.error}` : ''),
  );
}

async function backfill(
  pool: Pool,
  workflow: Workflow,
  params: Record<string, unknown>,
  command: JobCommand,
  logger: Logger,
  stop: AbortSignal,
): Promise<number> {
  const days = daysBetween(command.from!, command.to!);
  const done = command.force
    ? new Set<string>()
    : new Set(
        (
          await querySqlFile<{ day: string }>(pool, 'scheduler/succeeded_days.sql', [
            workflow.name,
            command.from,
            command.to,
          ])
        ).rows.map((r) => r.day),
      );
  let failed = 0;
  for (const day of days) {
    if (stop.aborted) break;
    if (done.has(day)) {
      logger.info('already succeeded; --force runs it again', { job: workflow.name, day, status: 'skipped' });
      continue;
    }
    const outcome = await runWorkflow(
      pool,
      workflow,
      { trigger: 'backfill', scheduledFor: new Date(`${day}T00:00:00Z`), params, signal: stop },
      logger,
    );
    if (outcome.status !== 'succeeded') failed += 1;
  }
  logger.info(
    `backfill of ${days.length} days: ${days.length - done.size - failed} ran, ${done.size} already done, ${failed} failed`,
    {
      job: workflow.name,
    },
  );
  return failed === 0 && !stop.aborted ? 0 : 1;
}

export async function runJobCommand(
  config: Config,
  logger: Logger,
  stop: AbortSignal,
  args: readonly string[],
): Promise<number> {
  const command = parseJobArgs(args);
  const workflows = defineWorkflows(config);
  checkDeploymentParams(workflows, config.workflowParams);
  if (command.command === 'list') {
    print(listWorkflows(workflows));
    return 0;
  }
  const workflow = command.name !== undefined ? findWorkflow(workflows, command.name) : undefined;
  if (command.command === 'run' && workflow !== undefined) {
    const params = resolveParams(workflow, command.overrides, config.workflowParams);
    if (command.dryRun) {
      const days =
        command.from !== undefined ? daysBetween(command.from, command.to!) : [new Date().toISOString().slice(0, 10)];
      const trigger = command.from !== undefined ? 'backfill' : 'manual';
      print(
        planWorkflow(workflow, params, { id: '(dry run)', workflow: workflow.name, trigger, logicalDate: days[0]! }),
      );
      if (command.from !== undefined) {
        print([
          `  backfill: ${days.length} runs, one per day: ${days.join(', ')}`,
          `  (days that already have a succeeded backfill run are skipped${command.force ? ', but not with --force' : ''})`,
        ]);
      }
      return 0;
    }
  }
  // Every run reaches cron.log, beside the scheduler's (which may be writing it at the same
  // moment: rotatingFile.ts); list, history and --dry-run, which run nothing, leave it alone.
  if (command.command === 'run') addLogFile(logger, cronLog(config));
  const pool = createPool(config.database, 'job', { max: 6 });
  try {
    await waitForDatabase(pool, config.database, config.dbWaitTimeoutMs, logger, stop);
    if (command.command === 'history') {
      print(await history(pool, config.database, command.name, command.limit));
      return 0;
    }
    await migrate(pool, logger);
    const params = resolveParams(workflow!, command.overrides, config.workflowParams);
    if (command.from !== undefined) return await backfill(pool, workflow!, params, command, logger, stop);
    // Ctrl-C cancels the running task on the server; the run is recorded as failed.
    const outcome = await runWorkflow(pool, workflow!, { trigger: 'manual', params, signal: stop }, logger);
    return outcome.status === 'succeeded' ? 0 : 1;
  } finally {
    await endPool(pool);
  }
}

export function main(): void {
  runMain('job', (config, logger, stop) => runJobCommand(config, logger, stop, process.argv.slice(2)), {
    usage: HELP,
  });
}

if (require.main === module) main();
