import type { OperatorAction, OperatorOutcome } from '../ports/orchestration-store.js';
import { deliverOutbox } from './deliver-outbox.js';
import type { OrchestrationDeps } from './orchestration-deps.js';

export type OperatorResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Cancels a task: every unfinished step is cancelled, open attempts are superseded. */
export async function cancelTask(deps: OrchestrationDeps, taskUuid: string, reason: string): Promise<OperatorResult> {
  return finish(deps, await deps.store.cancelTask(taskUuid, reason), { task_uuid: taskUuid, action: 'cancel' });
}

/** reset_for_retry, resolve_manually or complete_manually (with the result dependents receive). */
export async function stepAction(
  deps: OrchestrationDeps,
  stepUuid: string,
  action: OperatorAction,
  reason: string,
  result?: unknown,
): Promise<OperatorResult> {
  return finish(deps, await deps.store.stepAction(stepUuid, action, reason, result), { step_uuid: stepUuid, action });
}

async function finish(
  deps: OrchestrationDeps,
  outcome: OperatorOutcome,
  fields: Record<string, unknown>,
): Promise<OperatorResult> {
  if (!outcome.ok) {
    deps.logger.warn('operator action refused', { ...fields, reason: outcome.reason });
    return outcome;
  }
  await deliverOutbox(deps, outcome.outbox);
  deps.logger.info('operator action applied', fields);
  return { ok: true };
}
