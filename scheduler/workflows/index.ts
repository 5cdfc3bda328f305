import type { Config } from '../../lib/config';
import type { Workflow } from '../workflow';
import { adsArchive } from './adsArchive';
import { adsRestore } from './adsRestore';
import { apiLoad } from './apiLoad';
import { defaultLiquidationRollingAvgHist } from './defaultLiquidationRollingAvgHist';
import { eventKpis } from './eventKpis';

/** Every workflow the scheduler runs. Add yours here (docs/workflows.md, "Writing a workflow"). */
export function defineWorkflows(config: Config): Workflow[] {
  return [
    defaultLiquidationRollingAvgHist(config),
    apiLoad(config),
    adsArchive(config),
    adsRestore(config),
    eventKpis(config),
  ];
}
