import { deliverOutbox } from './deliver-outbox.js';
import { limitsOf, type OrchestrationDeps } from './orchestration-deps.js';
import { timeoutOrFailureResult } from './sweeper-result.js';

export interface SweepReport {
  timedOut: number;
  resent: number;
  retriesDispatched: number;
}

/**
 * What the scheduled sweeper does so nothing is lost or stuck: times out attempts past their
 * deadline (Lambda killed, message dead-lettered) with `handler_timeout`, re-sends outbox rows a
 * crashed sender left behind, dispatches retries whose backoff elapsed, and fails blocked tasks
 * whose grace ran out (no tick waits for a grace: a task fails within one sweep of its end).
 */
export async function sweep(deps: OrchestrationDeps): Promise<SweepReport> {
  const timedOut = await timeOutOverdue(deps);
  const limits = limitsOf(deps);
  const unsent = await deps.store.unsentOutbox(limits.outboxResendAfterMs, limits.sweepBatchSize);
  const resent = await deliverOutbox(deps, unsent);
  const due = await deps.store.claimDueRetries(limits.sweepBatchSize);
  await deliverOutbox(deps, due);
  const failed = await deps.store.failBlockedTasks(limits.sweepBatchSize);
  await deliverOutbox(deps, failed);
  const report = { timedOut, resent: resent.sent, retriesDispatched: due.filter((e) => e.kind === 'step_dispatch').length };
  deps.logger.info('sweep finished', { ...report, blockedTasksFailed: failed.filter((e) => e.payload.event_name === 'task.failed').length });
  return report;
}

async function timeOutOverdue(deps: OrchestrationDeps): Promise<number> {
  const overdue = await deps.store.findTimedOutDispatches(limitsOf(deps).sweepBatchSize);
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
