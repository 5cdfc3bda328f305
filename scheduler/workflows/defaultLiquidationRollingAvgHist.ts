import type { Config } from '../../lib/config';
import { runSqlTaskFile } from '../tasks';
import { defineWorkflow, param } from '../workflow';

const SQL = 'jobs/default_liquidation_rolling_avg_hist';

/** What plan.sql decided: the mode the refresh runs in, and why it is full when incremental was asked. */
export interface RefreshPlan {
  mode: 'full' | 'incremental';
  full_because: string | null;
}

/**
 * default_liquidation_rolling_avg_hist: the liquidation-to-default ratio per day and its mean
 * over a calendar window (docs/rolling-average.md, "What is computed"). Plan, build, publish, audit, record in one
 * transaction: the audit checks the rows as published, before anyone can see them, and a failed
 * audit rolls the run back, so the previous version stays. The plan decides
 * which days are recomputed: all of them (mode=full), or those whose window a change of loans
 * touched since the last refresh (mode=incremental; docs/rolling-average.md, "Incremental refresh").
 */
export function defaultLiquidationRollingAvgHist(config: Config) {
  return defineWorkflow({
    name: 'default_liquidation_rolling_avg_hist',
    description: 'Liquidation-to-default ratio per day and its rolling average over a calendar window',
    schedule: config.cronSchedule,
    timezone: config.cronTimezone,
    transaction: true,
    taskTimeoutMs: config.jobTimeoutMs,
    params: {
      window_days: param.integer({
        default: config.rollingAverage.windowDays,
        min: 1,
        max: 3660,
        description: 'length of the calendar window, in days',
      }),
      include_current_day: param.boolean({
        default: config.rollingAverage.includeCurrentDay,
        description: "true: the window ends on the row's day (D-6 … D); false: on the day before (D-7 … D-1)",
      }),
      mode: param.string({
        default: 'full',
        pattern: /^(full|incremental)$/,
        description:
          'full: recompute every day; incremental: only the days whose window changed since the last refresh (full when it cannot be)',
      }),
    },
    tasks: ({ fn, sql, audit, publish }) => ({
      plan: fn(`which days to recompute: sql/${SQL}/plan.sql`, async (ctx) => {
        const plan = (await runSqlTaskFile(ctx, `${SQL}/plan.sql`)).at(-1)!.rows[0] as RefreshPlan;
        if (plan.full_because !== null) {
          ctx.log.warn(`a full rebuild instead of the incremental refresh asked for: ${plan.full_because}`);
        }
        return plan;
      }),
      build: sql(`${SQL}/build.sql`, { after: ['plan'] }),
      publish: publish(`${SQL}/publish.sql`, { after: ['build'] }),
      audit: audit(`${SQL}/audit.sql`, { after: ['publish'] }),
      record: sql(`${SQL}/record.sql`, { after: ['audit'] }),
    }),
  });
}
