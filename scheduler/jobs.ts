import type { Config } from '../lib/config';
import { ConfigError } from '../lib/errors';

/**
 * The jobs of the stack, declared in one place. A job rebuilds one table from SQL files under
 * sql/: build (into a temporary table), audit (must return no rows), publish (swap it in), all
 * in one transaction. Parameters reach the SQL as settings `job.<name>` (see build.sql).
 */

export type ParamValue = number | boolean;

export type ParamSpec =
  | {
      type: 'integer';
      default: number;
      min: number;
      max: number;
      description: string;
    }
  | { type: 'boolean'; default: boolean; description: string };

export interface JobDefinition {
  name: string;
  description: string;
  /** Cron expression: 5 fields, or 6 with seconds first. */
  schedule: string;
  /** Longest any one statement of the job may run; PostgreSQL cancels it past that. */
  timeoutMs: number;
  params: Record<string, ParamSpec>;
  /** SQL files, relative to sql/. */
  sql: { build: string; audit: string; publish: string };
}

export type JobParams = Record<string, ParamValue>;

export function defineJobs(config: Config): JobDefinition[] {
  return [
    {
      name: 'default_liquidation_rolling_avg_hist',
      description: 'Liquidation-to-default ratio per day and its rolling average over a calendar window',
      schedule: config.cronSchedule,
      timeoutMs: config.jobTimeoutMs,
      params: {
        window_days: {
          type: 'integer',
          default: config.rollingAverage.windowDays,
          min: 1,
          max: 3660,
          description: 'length of the calendar window, in days',
        },
        include_current_day: {
          type: 'boolean',
          default: config.rollingAverage.includeCurrentDay,
          description: "true: the window ends on the row's day (D-6 … D); false: on the day before (D-7 … D-1)",
        },
      },
      sql: {
        build: 'jobs/default_liquidation_rolling_avg_hist/build.sql',
        audit: 'jobs/default_liquidation_rolling_avg_hist/audit.sql',
        publish: 'jobs/default_liquidation_rolling_avg_hist/publish.sql',
      },
    },
  ];
}

export function findJob(jobs: readonly JobDefinition[], name: string): JobDefinition {
  const job = jobs.find((j) => j.name === name);
  if (job === undefined) {
    throw new ConfigError(`no job named ${JSON.stringify(name)}; jobs: ${jobs.map((j) => j.name).join(', ')}`);
  }
  return job;
}

/** The job's parameters: defaults, overridden by `key=value` strings; every problem at once. */
export function resolveParams(job: JobDefinition, overrides: Record<string, string> = {}): JobParams {
  const params: JobParams = {};
  const problems: string[] = [];
  for (const key of Object.keys(overrides)) {
    if (!(key in job.params)) problems.push(`unknown parameter ${key} (known: ${Object.keys(job.params).join(', ')})`);
  }
  for (const [key, spec] of Object.entries(job.params)) {
    const raw = overrides[key];
    if (raw === undefined) {
      params[key] = spec.default;
    } else if (spec.type === 'boolean') {
      if (raw !== 'true' && raw !== 'false') problems.push(`${key}=${raw}: expected true or false`);
      params[key] = raw === 'true';
    } else {
      const value = Number(raw);
      if (!/^\d+$/.test(raw) || value < spec.min || value > spec.max) {
        problems.push(`${key}=${raw}: expected a whole number from ${spec.min} to ${spec.max}`);
      }
      params[key] = value;
    }
  }
  if (problems.length > 0) throw new ConfigError(`job ${job.name}: ${problems.join('; ')}`);
  return params;
}
