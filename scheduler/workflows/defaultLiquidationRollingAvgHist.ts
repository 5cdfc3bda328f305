import type { Config } from '../../lib/config';
import { defineWorkflow, param } from '../workflow';

/**
 * default_liquidation_rolling_avg_hist: the liquidation-to-default ratio per day and its mean
 * over a calendar window (README, "What is computed"). Build, audit, publish in one
 * transaction: a failed audit publishes nothing and the previous version stays.
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
    },
    tasks: ({ sql, audit, publish }) => ({
      build: sql('jobs/default_liquidation_rolling_avg_hist/build.sql'),
      audit: audit('jobs/default_liquidation_rolling_avg_hist/audit.sql', { after: ['build'] }),
      publish: publish('jobs/default_liquidation_rolling_avg_hist/publish.sql', { after: ['audit'] }),
    }),
  });
}
