import type { StepExecutionResult } from '../contracts/step-execution-result.js';
import { errorMessage } from '../domain/error-message.js';
import { findUnstorableValue } from '../domain/storable-json.js';
import type { ApplyResultOutcome, BatchApplyOutcome } from '../ports/orchestration-store.js';
import { poisonCompletionRecord, type CompletionRecord } from './completion-poison.js';
import type { OrchestrationDeps } from './orchestration-deps.js';
import { applyWithinBudget } from './apply-within-budget.js';
import { NO_TIME_LIMIT, type TimeBudget } from '../ports/time-budget.js';
import { timeoutOrFailureResult } from './sweeper-result.js';

/** One step result of a completion batch, and the record it came in. */
export interface ResultRecord {
  readonly record: CompletionRecord;
  readonly message: StepExecutionResult;
}

/** What became of one result: the store's outcome, or `failed` when it must be redelivered. */
export type SettledOutcome = ApplyResultOutcome | { readonly status: 'failed'; readonly reason: string };

/** Why a result cannot be stored as sent: the check's code or the SQLSTATE, and a reason naming the place. */
interface Refusal {
  readonly code: string;
  readonly reason: string;
}

/** The poison queue's `error_code` for a result that cannot be stored. */
export const RESULT_NOT_STORABLE = 'result_not_storable';

/**
 * Applies a batch's results (one store call) so that none cycles through redeliveries for a
 * reason that can never change. A result whose step data the check refuses (findUnstorableValue
 * on `result` and `error`: a `1e400` read as Infinity, a lone surrogate, U+0000, nesting past
 * 100 levels) is replaced before the call; one the database refuses by SQLSTATE (the store's
 * `unstorable` outcome) is replaced after it, in a second call. The replacement is a permanent
 * `result_not_storable` failure for the same event_id, so the step fails instead of hanging, and
 * the original record goes to the poison queue with the reason. Outcomes come back in order; a
 * replaced result's is its replacement's (a replacement already applied is refused as a duplicate
 * when the record comes back, and the record is moved again).
 */
export async function applyStorableResults(
  deps: OrchestrationDeps,
  items: readonly ResultRecord[],
  budget: TimeBudget = NO_TIME_LIMIT,
): Promise<SettledOutcome[]> {
  const refusals: Array<Refusal | null> = items.map((i) => refusalOfStepData(i.message));
  const outcomes = await applyAll(
    deps,
    budget,
    items.map((i, k) => (refusals[k] ? replacement(deps, i.message, refusals[k]) : i.message)),
  );
  const refusedByDatabase = items.flatMap((_, k) =>
    refusals[k] === null && outcomes[k]!.status === 'unstorable' ? [k] : [],
  );
  for (const k of refusedByDatabase) {
    const { code, reason } = outcomes[k] as Extract<BatchApplyOutcome, { status: 'unstorable' }>;
    refusals[k] = { code, reason };
  }
  const replaced = await applyAll(
    deps,
    budget,
    refusedByDatabase.map((k) => replacement(deps, items[k]!.message, refusals[k]!)),
  );
  refusedByDatabase.forEach((k, j) => {
    outcomes[k] = replaced[j]!;
  });
  return Promise.all(items.map((item, k) => settle(deps, item, refusals[k] ?? null, outcomes[k]!)));
}

/** The first place of a result's `result`, `error` or `checkpoint` that PostgreSQL cannot store, as a refusal; null when storable. */
function refusalOfStepData(m: StepExecutionResult): Refusal | null {
  const inResult = findUnstorableValue(m.result);
  if (inResult) return { code: inResult.code, reason: `the result cannot be stored: ${inResult.message}` };
  const inError = m.error === null ? null : findUnstorableValue(m.error);
  if (inError) return { code: inError.code, reason: `the error cannot be stored: ${inError.message}` };
  const inCheckpoint = m.checkpoint === undefined ? null : findUnstorableValue(m.checkpoint);
  return inCheckpoint
    ? { code: inCheckpoint.code, reason: `the checkpoint cannot be stored: ${inCheckpoint.message}` }
    : null;
}

/** The results applied within the time left (see applyWithinBudget: untried ones come back failed). */
async function applyAll(
  deps: OrchestrationDeps,
  budget: TimeBudget,
  results: readonly StepExecutionResult[],
): Promise<BatchApplyOutcome[]> {
  const toApply = results.map((result) => ({ result, random: deps.random.next() }));
  return applyWithinBudget(deps, toApply, budget);
}

/** The permanent failure applied in a result's place: the attempt's ids only (a step name that cannot be stored left out). */
function replacement(deps: OrchestrationDeps, m: StepExecutionResult, refusal: Refusal): StepExecutionResult {
  const stepName = m.step_name !== null && findUnstorableValue(m.step_name) === null ? m.step_name : null;
  const message = `${refusal.reason}; the step failed instead, and the message it came in was moved to the poison queue`;
  return timeoutOrFailureResult(
    { ...m, step_name: stepName },
    deps.clock.now(),
    { error_type: 'result_not_storable', message, code: refusal.code },
    'orchestration',
  );
}

/** A kept result's outcome as it is; a replaced one's original moved to the poison queue once its replacement was applied. */
async function settle(
  deps: OrchestrationDeps,
  item: ResultRecord,
  refusal: Refusal | null,
  outcome: BatchApplyOutcome,
): Promise<SettledOutcome> {
  if (outcome.status === 'unstorable')
    return {
      status: 'failed',
      reason: refusal ? `its replacement was refused too: ${outcome.reason}` : outcome.reason,
    };
  if (refusal === null || outcome.status === 'failed') return outcome;
  try {
    await poisonCompletionRecord(deps, item.record, RESULT_NOT_STORABLE, refusal.reason);
  } catch (error) {
    return { status: 'failed', reason: errorMessage(error) };
  }
  const m = item.message;
  deps.logger.error('step result cannot be stored; its step failed with result_not_storable', {
    task_uuid: m.task_uuid,
    step_uuid: m.step_uuid,
    event_id: m.event_id,
    correlation_id: m.correlation_id,
    code: refusal.code,
    reason: refusal.reason,
    replacement: outcome.status,
    step_state: outcome.stepState,
  });
  return outcome;
}
