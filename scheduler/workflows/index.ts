import type { Config } from '../../lib/config';
import type { Workflow } from '../workflow';
import { adsArchive } from './adsArchive';
import { adsRestore } from './adsRestore';
import { apiLoad } from './apiLoad';
import { defaultLiquidationRollingAvgHist } from './defaultLiquidationRollingAvgHist';
import { lakeIngest } from './lakeIngest';
import { lakeCompact } from './lakeCompact';
import { lakeMaintenance } from './lakeMaintenance';
import { eventKpis } from './eventKpis';

/** Every workflow the scheduler runs. Add yours here (docs/workflows.md, "Writing a workflow"). */
export function defineWorkflows(config: Config): Workflow[] {
  return [
    defaultLiquidationRollingAvgHist(config),
    apiLoad(config),
    adsArchive(config),
    adsRestore(config),
    lakeIngest(config),
    lakeCompact(config),
    lakeMaintenance(config),
    eventKpis(config),
  ];
}
