import { errorMessage } from '../domain/error-message.js';
import type { TimedOutDispatch } from '../ports/orchestration-store.js';
import { hasTimeFor, NO_TIME_LIMIT, type TimeBudget } from '../ports/time-budget.js';
import { CALLS_PER_WORK } from './apply-within-budget.js';
import { deliverOutbox } from './deliver-outbox.js';
import { observeDispatchQueues } from './observe-dispatch-queues.js';
import { limitsOf, type OrchestrationDeps } from './orchestration-deps.js';
import { timeoutOrFailureResult } from './sweeper-result.js';

export interface SweepReport {
  /** Attempts timed out: overdue handler attempts and expired waits (wait steps past their timeout). */
  timedOut: number;
  resent: number;
  retriesDispatched: number;
}

/**
 * What the scheduled sweeper does so nothing is lost or stuck: expires wait steps past their timeout
 * (`wait_timeout`, or completed when `on_timeout: complete`), times out attempts past their
 * deadline (Lambda killed, message dead-lettered or lost) with `handler_timeout`, re-sends outbox rows a
 * crashed sender left behind, dispatches retries whose backoff elapsed, and fails blocked tasks
 * whose grace ran out (no tick waits for a grace: a task fails within one sweep of its end). An
 * attempt no worker reported started is not timed out while its dispatch queue holds a backlog
 * (observe-dispatch-queues.ts).
 *
 * Time budget: each database call (and the delivery after it) starts only while it fits in the
 * time left; what is left undone waits for the next sweep. An overdue attempt whose task is locked
 * past lock_timeout (or whose call fails otherwise) is skipped, not the whole sweep.
 */
export async function sweep(deps: OrchestrationDeps, budget: TimeBudget = NO_TIME_LIMIT): Promise<SweepReport> {
  const timedOut = await timeOutOverdue(deps, budget);
  const limits = limitsOf(deps);
  let resent = 0;
  let retriesDispatched = 0;
  let blockedTasksFailed = 0;
  if (hasTimeFor(budget, CALLS_PER_WORK))
    resent = (
      await deliverOutbox(deps, await deps.store.unsentOutbox(limits.outboxResendAfterMs, limits.sweepBatchSize))
    ).sent;
  if (hasTimeFor(budget, CALLS_PER_WORK)) {
    const due = await deps.store.claimDueRetries(limits.sweepBatchSize);
    await deliverOutbox(deps, due);
    retriesDispatched = due.filter((e) => e.kind === 'step_dispatch').length;
  }
  if (hasTimeFor(budget, CALLS_PER_WORK)) {
    const failed = await deps.store.failBlockedTasks(limits.sweepBatchSize);
    await deliverOutbox(deps, failed);
    blockedTasksFailed = failed.filter((e) => e.payload.event_name === 'task.failed').length;
  } else {
    deps.logger.warn("sweep stopped early: too little of the function's time is left; the next sweep continues", {
      remaining_ms: budget.remainingMs(),
    });
  }
  const report = { timedOut, resent, retriesDispatched };
  deps.logger.info('sweep finished', { ...report, blockedTasksFailed });
  return report;
}

async function timeOutOverdue(deps: OrchestrationDeps, budget: TimeBudget): Promise<number> {
  if (!hasTimeFor(budget, CALLS_PER_WORK)) return 0;
  // Waits first: a wait's attempt deadline is its wait deadline plus the grace, so one expired here
  // is never timed out below as a handler's attempt.
  const waitsExpired = await expireWaits(deps);
  if (!hasTimeFor(budget, CALLS_PER_WORK)) return waitsExpired;
  const queues = await observeDispatchQueues(deps);
  const overdue = await deps.store.findTimedOutDispatches(limitsOf(deps).sweepBatchSize, queues);
  let applied = 0;
  for (const [i, d] of overdue.entries()) {
    if (!hasTimeFor(budget, CALLS_PER_WORK)) {
      deps.logger.warn("overdue attempts left for the next sweep: too little of the function's time is left", {
        left: overdue.length - i,
      });
      break;
    }
    const status = await timeOut(deps, d).catch((error: unknown) => {
      deps.logger.warn('overdue attempt not timed out; the next sweep tries again', {
        task_uuid: d.taskUuid,
        event_id: d.eventId,
        error: errorMessage(error),
      });
      return null;
    });
    if (status === 'applied') applied += 1;
  }
  return waitsExpired + applied;
}

/** Expires the waits past their deadline, in one call; a failed call is left for the next sweep. */
async function expireWaits(deps: OrchestrationDeps): Promise<number> {
  try {
    const outcomes = await deps.store.expireWaits(limitsOf(deps).sweepBatchSize);
    const applied = outcomes.filter((o) => o.status === 'applied');
    for (const o of applied)
      deps.logger.warn('wait step timed out', {
        task_uuid: o.taskUuid,
        step_uuid: o.stepUuid,
        step_state: o.stepState,
      });
    await deliverOutbox(
      deps,
      applied.flatMap((o) => o.outbox),
    );
    return applied.length;
  } catch (error) {
    deps.logger.warn('waits not expired; the next sweep tries again', { error: errorMessage(error) });
    return 0;
  }
}

/** Fails one overdue attempt with a retryable handler_timeout; the outcome's status. */
async function timeOut(deps: OrchestrationDeps, d: TimedOutDispatch): Promise<string> {
  const message = `no result arrived before the attempt's deadline ${d.deadline.toISOString()}`;
  const result = timeoutOrFailureResult(
    {
      event_id: d.eventId,
      task_uuid: d.taskUuid,
      step_uuid: d.stepUuid,
      correlation_id: d.correlationId,
      step_name: d.stepName,
      attempt: d.attempt,
    },
    deps.clock.now(),
    { error_type: 'handler_timeout', message, retryable: true },
  );
  const outcome = await deps.store.applyStepResult(result, deps.random.next());
  deps.logger.warn('dispatched attempt timed out', {
    task_uuid: d.taskUuid,
    step_uuid: d.stepUuid,
    event_id: d.eventId,
    correlation_id: d.correlationId,
    status: outcome.status,
  });
  await deliverOutbox(deps, outcome.outbox);
  return outcome.status;
}
