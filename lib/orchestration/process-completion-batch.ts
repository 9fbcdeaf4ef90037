import type { CompletionQueueMessage } from '../contracts/completion-queue-message.js';
import { formatIssues } from '../contracts/format-issues.js';
import { retryDueMessage, type RetryDueMessage } from '../contracts/retry-due-message.js';
import { stepExecutionResult, type StepExecutionResult } from '../contracts/step-execution-result.js';
import { stepStartedMessage, type StepStartedMessage } from '../contracts/step-started-message.js';
import { errorMessage } from '../domain/error-message.js';
import { CALLS_PER_WORK, NOT_STARTED_REASON } from './apply-within-budget.js';
import { applyStorableResults } from './apply-storable-results.js';
import { poisonCompletionRecord, type CompletionRecord } from './completion-poison.js';
import { applyStartMarkers } from './apply-start-markers.js';
import { deliverOutbox } from './deliver-outbox.js';
import type { OrchestrationDeps } from './orchestration-deps.js';
import type { BatchItemFailure, BatchResponse } from '../ports/batch-response.js';
import type { OutboxEntry } from '../ports/orchestration-store.js';
import { hasTimeFor, NO_TIME_LIMIT, type TimeBudget } from '../ports/time-budget.js';

export type { CompletionRecord } from './completion-poison.js';

type Parsed = { ok: true; message: CompletionQueueMessage } | { ok: false; code: string; reason: string };

/**
 * The completion function's use case: applies the batch's results once, in one store call
 * (duplicates and late results are acknowledged and logged as refused), evaluates tasks on retry
 * ticks, applies start markers (another store call), sends what became ready. A record that can never apply goes to the poison queue (a
 * result that cannot be stored also fails its step: see applyStorableResults); a
 * transient failure (database down, a lock or statement past its timeout) is reported as a batch
 * item failure so SQS redelivers it.
 *
 * Time budget: the database work runs one call after another, and a call starts only while it and
 * the delivery after it fit in the time left (`budget`); records not started are reported as batch
 * item failures, so the invocation returns before the function timeout instead of losing the
 * whole batch to it. Without a budget every call may start.
 */
export async function processCompletionBatch(
  deps: OrchestrationDeps,
  records: readonly CompletionRecord[],
  budget: TimeBudget = NO_TIME_LIMIT,
): Promise<BatchResponse> {
  const results: StepResultRecord[] = [];
  const ticks: TickRecord[] = [];
  const markers: StartMarkerRecord[] = [];
  const rest: Array<Promise<BatchItemFailure | null>> = [];
  for (const record of records) {
    const parsed = parse(record.body);
    if (!parsed.ok)
      rest.push(
        poisonCompletionRecord(deps, record, parsed.code, parsed.reason).then(
          () => null,
          (error: unknown) => failure(deps, record, error),
        ),
      );
    else if (parsed.message.message_type === 'retry_due') ticks.push({ record, message: parsed.message });
    else if (parsed.message.message_type === 'step_started') markers.push({ record, message: parsed.message });
    else results.push({ record, message: parsed.message });
  }
  // One database call after another: start markers first (they move deadlines), then results, then ticks.
  const databaseWork = applyMarkers(deps, markers, budget)
    .then(async (failures) => [...failures, ...(await applyResults(deps, results, budget))])
    .then(async (failures) => [...failures, ...(await onRetryTicks(deps, ticks, budget))]);
  const failures = (await Promise.all([databaseWork, ...rest.map((p) => p.then((f) => (f ? [f] : [])))])).flat();
  return { batchItemFailures: failures };
}

// --- Start markers (issue 11, bursts): apply-start-markers.ts; redelivered when the database refused them.

interface StartMarkerRecord {
  readonly record: CompletionRecord;
  readonly message: StepStartedMessage;
}

async function applyMarkers(
  deps: OrchestrationDeps,
  items: readonly StartMarkerRecord[],
  budget: TimeBudget,
): Promise<BatchItemFailure[]> {
  if (items.length === 0) return [];
  if (!hasTimeFor(budget, 1)) return items.map((i) => failure(deps, i.record, NOT_STARTED_REASON));
  const { problem } = await applyStartMarkers(
    deps,
    items.map((i) => i.message),
  );
  return problem === null ? [] : items.map((i) => failure(deps, i.record, problem));
}

// --- Step results and retry ticks.

interface StepResultRecord {
  readonly record: CompletionRecord;
  readonly message: StepExecutionResult;
}

interface TickRecord {
  readonly record: CompletionRecord;
  readonly message: RetryDueMessage;
}

/** Applies the results in one call (within the budget), logs each outcome, and sends what they put in the outbox at once. */
async function applyResults(
  deps: OrchestrationDeps,
  items: readonly StepResultRecord[],
  budget: TimeBudget,
): Promise<BatchItemFailure[]> {
  if (items.length === 0) return [];
  const outcomes = await applyStorableResults(deps, items, budget);
  const failures: BatchItemFailure[] = [];
  const applied: StepResultRecord[] = [];
  const outbox: OutboxEntry[] = [];
  for (const [i, { record, message }] of items.entries()) {
    const outcome = outcomes[i]!;
    if (outcome.status === 'failed') {
      failures.push(failure(deps, record, outcome.reason));
      continue;
    }
    const fields = {
      task_uuid: message.task_uuid,
      step_uuid: message.step_uuid,
      event_id: message.event_id,
      correlation_id: message.correlation_id,
    };
    if (outcome.status === 'applied')
      deps.logger.info('step result applied', {
        ...fields,
        step_state: outcome.stepState,
        task_state: outcome.taskState,
        status: message.status,
      });
    else deps.logger.warn('step result refused', { ...fields, refusal: outcome.status, reason: outcome.reason });
    applied.push(items[i]!);
    outbox.push(...outcome.outbox);
  }
  if (outbox.length > 0 && !hasTimeFor(budget, 1)) {
    // Applied and committed: acknowledged; the sweeper re-sends the outbox rows left behind.
    deps.logger.warn("outbox left to the sweeper: too little of the function's time is left", {
      entries: outbox.length,
    });
    return failures;
  }
  const delivered = await deliverOutbox(deps, outbox).then(
    () => null,
    (error: unknown) => error,
  );
  if (delivered !== null) failures.push(...applied.map((i) => failure(deps, i.record, delivered)));
  return failures;
}

/** The ticks one after another (their database work follows the results'), each reported failed when it fails or does not fit. */
async function onRetryTicks(
  deps: OrchestrationDeps,
  ticks: readonly TickRecord[],
  budget: TimeBudget,
): Promise<BatchItemFailure[]> {
  const failures: BatchItemFailure[] = [];
  for (const tick of ticks) {
    const failed = await onRetryDue(deps, tick.message, budget).then(
      (started) => (started ? null : NOT_STARTED_REASON),
      (error: unknown) => error,
    );
    if (failed !== null) failures.push(failure(deps, tick.record, failed));
  }
  return failures;
}

/**
 * A tick up to a second early waits for its due time; an earlier one evaluates and re-arms itself.
 * False when the evaluation and its delivery no longer fit in the time left (nothing was done).
 */
async function onRetryDue(deps: OrchestrationDeps, tick: RetryDueMessage, budget: TimeBudget): Promise<boolean> {
  const early = new Date(tick.due_at).getTime() - deps.clock.now().getTime();
  if (early > 0 && early <= 1000 && deps.sleeper) await deps.sleeper.sleep(early);
  if (!hasTimeFor(budget, CALLS_PER_WORK)) return false;
  await deliverOutbox(deps, await deps.store.evaluateTask(tick.task_uuid));
  return true;
}

function parse(body: string): Parsed {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    return { ok: false, code: 'unparseable_json', reason: `the body is not JSON: ${errorMessage(error)}` };
  }
  // Pick the schema by message_type so a refusal names the fields that are wrong.
  const type = (json as { message_type?: unknown } | null)?.message_type;
  const parsed = (
    type === 'retry_due' ? retryDueMessage : type === 'step_started' ? stepStartedMessage : stepExecutionResult
  ).safeParse(json);
  if (parsed.success) return { ok: true, message: parsed.data };
  const problems = formatIssues(parsed.error.issues).join('; ');
  return { ok: false, code: 'invalid_message', reason: `not a step result, retry tick or start marker: ${problems}` };
}

function failure(deps: OrchestrationDeps, record: CompletionRecord, error: unknown): { itemIdentifier: string } {
  deps.logger.error('completion record failed; SQS will redeliver it', {
    message_id: record.messageId,
    error: errorMessage(error),
  });
  return { itemIdentifier: record.messageId };
}
