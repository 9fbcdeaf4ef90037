import type { CompletionQueueMessage } from '../contracts/completion-queue-message.js';
import { formatIssues } from '../contracts/format-issues.js';
import { retryDueMessage } from '../contracts/retry-due-message.js';
import { stepExecutionResult } from '../contracts/step-execution-result.js';
import { errorMessage } from '../domain/error-message.js';
import { deliverOutbox } from './deliver-outbox.js';
import { retryOf, type OrchestrationDeps } from './orchestration-deps.js';
import type { BatchItemFailure, BatchResponse } from '../ports/batch-response.js';
import { sendToPoisonQueue } from '../ports/poison-queue.js';

/** A queue record as the completion function sees it (an SQS record, or the local runner's). */
export interface CompletionRecord {
  readonly messageId: string;
  readonly body: string;
}

type Parsed = { ok: true; message: CompletionQueueMessage } | { ok: false; code: string; reason: string };

/**
 * The completion function's use case: applies each result once (duplicates and late results are
 * acknowledged and logged as refused), evaluates tasks on retry ticks, sends what became ready.
 * A record that can never apply goes to the poison queue; a transient failure (database down)
 * is reported as a batch item failure so SQS redelivers it.
 */
export async function processCompletionBatch(deps: OrchestrationDeps, records: readonly CompletionRecord[]): Promise<BatchResponse> {
  const failures = await Promise.all(records.map((r) => processRecord(deps, r).then(() => null, (error: unknown) => failure(deps, r, error))));
  return { batchItemFailures: failures.filter((f): f is BatchItemFailure => f !== null) };
}

async function processRecord(deps: OrchestrationDeps, record: CompletionRecord): Promise<void> {
  const parsed = parse(record.body);
  if (!parsed.ok) return poison(deps, record, parsed.code, parsed.reason);
  const message = parsed.message;
  if (message.message_type === 'retry_due') return onRetryDue(deps, message.task_uuid, new Date(message.due_at));
  const outcome = await deps.store.applyStepResult(message, deps.random.next());
  const fields = { task_uuid: message.task_uuid, step_uuid: message.step_uuid, event_id: message.event_id, correlation_id: message.correlation_id };
  if (outcome.status === 'applied') deps.logger.info('step result applied', { ...fields, step_state: outcome.stepState, task_state: outcome.taskState, status: message.status });
  else deps.logger.warn('step result refused', { ...fields, refusal: outcome.status, reason: outcome.reason });
  await deliverOutbox(deps, outcome.outbox);
}

/** A tick up to a second early waits for its due time; an earlier one evaluates and re-arms itself. */
async function onRetryDue(deps: OrchestrationDeps, taskUuid: string, dueAt: Date): Promise<void> {
  const early = dueAt.getTime() - deps.clock.now().getTime();
  if (early > 0 && early <= 1000 && deps.sleeper) await deps.sleeper.sleep(early);
  await deliverOutbox(deps, await deps.store.evaluateTask(taskUuid));
}

function parse(body: string): Parsed {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    return { ok: false, code: 'unparseable_json', reason: `the body is not JSON: ${errorMessage(error)}` };
  }
  // Pick the schema by message_type so a refusal names the fields that are wrong.
  const isTick = (json as { message_type?: unknown } | null)?.message_type === 'retry_due';
  const parsed = (isTick ? retryDueMessage : stepExecutionResult).safeParse(json);
  if (parsed.success) return { ok: true, message: parsed.data };
  const problems = formatIssues(parsed.error.issues).join('; ');
  return { ok: false, code: 'invalid_message', reason: `not a step result or retry tick: ${problems}` };
}

async function poison(deps: OrchestrationDeps, record: CompletionRecord, code: string, reason: string): Promise<void> {
  const url = deps.routing.poisonQueueUrl;
  if (!url) throw new Error(`no poison queue configured for a record that can never apply: ${reason}`);
  const input = { reason, errorCode: code, sourceQueue: deps.routing.completionQueueUrl, sourceMessageId: record.messageId, originalBody: record.body, movedAt: deps.clock.now() };
  const report = await sendToPoisonQueue({ queue: deps.queues, url, retry: retryOf(deps) }, input);
  if (!report.moved) throw new Error(`poison queue send failed: ${report.problem}`);
  deps.logger.error('completion record moved to the poison queue', { message_id: record.messageId, error_code: code, reason });
}

function failure(deps: OrchestrationDeps, record: CompletionRecord, error: unknown): { itemIdentifier: string } {
  deps.logger.error('completion record failed; SQS will redeliver it', { message_id: record.messageId, error: errorMessage(error) });
  return { itemIdentifier: record.messageId };
}
