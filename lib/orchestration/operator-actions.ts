import type { OperatorAction, OperatorOutcome } from '../ports/orchestration-store.js';
import { deliverOutbox } from './deliver-outbox.js';
import type { OrchestrationDeps } from './orchestration-deps.js';

export type OperatorResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Cancels a task: every unfinished step is cancelled, open attempts are superseded. `actor` (who asked: an IAM
 * principal, an OS user) is recorded with the transitions, beside the reason.
 *
 * @example
 * ```ts
 * await cancelTask(deps, taskUuid, 'customer withdrew', 'arn:aws:iam::123456789012:user/ops');
 * ```
 */
export async function cancelTask(
  deps: OrchestrationDeps,
  taskUuid: string,
  reason: string,
  actor?: string,
): Promise<OperatorResult> {
  return finish(deps, await deps.store.cancelTask(taskUuid, reason, actor), {
    task_uuid: taskUuid,
    action: 'cancel',
    actor: actor ?? null,
  });
}

/** reset_for_retry, resolve_manually or complete_manually (with the result dependents receive); `actor` as for {@link cancelTask}. */
export async function stepAction(
  deps: OrchestrationDeps,
  stepUuid: string,
  action: OperatorAction,
  reason: string,
  result?: unknown,
  actor?: string,
): Promise<OperatorResult> {
  return finish(deps, await deps.store.stepAction(stepUuid, action, reason, result, actor), {
    step_uuid: stepUuid,
    action,
    actor: actor ?? null,
  });
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
