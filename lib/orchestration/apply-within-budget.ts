import { errorMessage } from '../domain/error-message.js';
import type { BatchApplyOutcome, ResultToApply } from '../ports/orchestration-store.js';
import { hasTimeFor, type TimeBudget } from '../ports/time-budget.js';
import type { OrchestrationDeps } from './orchestration-deps.js';

/** Database calls one piece of work needs: its own, and marking what it produced sent. */
export const CALLS_PER_WORK = 2;

/** Why a record comes back untried. */
export const NOT_STARTED_REASON = "not started: too little of the function's time is left";

/** The outcome of a result the function had no time to try (reported failed, so SQS redelivers it). */
export function notStarted(): BatchApplyOutcome {
  return { status: 'failed', reason: NOT_STARTED_REASON };
}

/**
 * Applies results within the time left. The batch goes in one call when that call and the
 * delivery after it fit. If the call fails as a whole (a lock waited for past lock_timeout, a
 * statement past statement_timeout, a lost connection: the store leaves it to the caller, who
 * knows the time), the results are applied one by one, each only while a call still fits: those
 * whose task is free apply, the others come back failed or not started, in time to be reported.
 *
 * @example
 * const outcomes = await applyWithinBudget(deps, [{ result, random: 0.4 }], budget);
 * // outcomes[0].status: 'applied' | 'duplicate' | … | 'failed' (reported as a batch item failure)
 */
export async function applyWithinBudget(
  deps: OrchestrationDeps,
  items: readonly ResultToApply[],
  budget: TimeBudget,
): Promise<BatchApplyOutcome[]> {
  if (items.length === 0) return [];
  if (!hasTimeFor(budget, CALLS_PER_WORK)) return items.map(notStarted);
  try {
    return await deps.store.applyStepResults(items);
  } catch (error) {
    if (items.length === 1) return [failed(error)];
    deps.logger.warn('batch apply failed as a whole; applying its results one by one while time allows', {
      results: items.length,
      error: errorMessage(error),
    });
    return oneByOne(deps, items, budget);
  }
}

async function oneByOne(
  deps: OrchestrationDeps,
  items: readonly ResultToApply[],
  budget: TimeBudget,
): Promise<BatchApplyOutcome[]> {
  const outcomes: BatchApplyOutcome[] = [];
  for (const item of items) {
    if (!hasTimeFor(budget, CALLS_PER_WORK)) outcomes.push(notStarted());
    else
      outcomes.push(
        await deps.store.applyStepResults([item]).then((one) => one[0] ?? failed('no outcome returned'), failed),
      );
  }
  return outcomes;
}

function failed(error: unknown): BatchApplyOutcome {
  return { status: 'failed', reason: errorMessage(error) };
}
