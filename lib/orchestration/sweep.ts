import { deliverOutbox } from './deliver-outbox.js';
import { observeDispatchQueues } from './observe-dispatch-queues.js';
import { limitsOf, type OrchestrationDeps } from './orchestration-deps.js';
import { timeoutOrFailureResult } from './sweeper-result.js';

export interface SweepReport {
  timedOut: number;
  resent: number;
  retriesDispatched: number;
}

/**
 * What the scheduled sweeper does so nothing is lost or stuck: times out attempts past their
 * deadline (Lambda killed, message dead-lettered or lost) with `handler_timeout`, re-sends outbox
 * rows a crashed sender left behind, and dispatches retries whose backoff elapsed. An attempt no
 * worker reported started is not timed out while its dispatch queue holds a backlog (observe-dispatch-queues.ts).
 */
export async function sweep(deps: OrchestrationDeps): Promise<SweepReport> {
  const timedOut = await timeOutOverdue(deps);
  const limits = limitsOf(deps);
  const unsent = await deps.store.unsentOutbox(limits.outboxResendAfterMs, limits.sweepBatchSize);
  const resent = await deliverOutbox(deps, unsent);
  const due = await deps.store.claimDueRetries(limits.sweepBatchSize);
  await deliverOutbox(deps, due);
  const report = { timedOut, resent: resent.sent, retriesDispatched: due.filter((e) => e.kind === 'step_dispatch').length };
  deps.logger.info('sweep finished', { ...report });
  return report;
}

async function timeOutOverdue(deps: OrchestrationDeps): Promise<number> {
  const queues = await observeDispatchQueues(deps);
  const overdue = await deps.store.findTimedOutDispatches(limitsOf(deps).sweepBatchSize, queues);
  let applied = 0;
  for (const d of overdue) {
    const message = `no result arrived before the attempt's deadline ${d.deadline.toISOString()}`;
    const result = timeoutOrFailureResult({ event_id: d.eventId, task_uuid: d.taskUuid, step_uuid: d.stepUuid, correlation_id: d.correlationId, step_name: d.stepName, attempt: d.attempt }, deps.clock.now(), { error_type: 'handler_timeout', message, retryable: true });
    const outcome = await deps.store.applyStepResult(result, deps.random.next());
    if (outcome.status === 'applied') applied += 1;
    deps.logger.warn('dispatched attempt timed out', { task_uuid: d.taskUuid, step_uuid: d.stepUuid, event_id: d.eventId, correlation_id: d.correlationId, status: outcome.status });
    await deliverOutbox(deps, outcome.outbox);
  }
  return applied;
}
