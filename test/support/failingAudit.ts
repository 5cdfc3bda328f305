import { defineWorkflow, type Workflow } from '../../scheduler/workflow';

/** What a run of withFailingAudit's workflow fails with. */
export const FAILING_AUDIT_ERROR = 'audit: audit failed, nothing published: row count: refused by the test';

/**
 * The rolling average's workflow with an audit that always finds a problem
 * (test/fixtures/sql/failing_audit.sql): plan, build and publish succeed, the audit fails, record
 * is skipped, and the run's transaction rolls back, so the published table stays as it was.
 */
export function withFailingAudit(rollingAverage: Workflow): Workflow {
  return defineWorkflow({
    ...rollingAverage,
    params: {},
    tasks: ({ audit }) => ({
      ...rollingAverage.tasks,
      audit: audit('../test/fixtures/sql/failing_audit.sql', { after: ['publish'] }),
    }),
  });
}
