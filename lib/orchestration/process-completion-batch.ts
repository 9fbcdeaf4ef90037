import type { CompletionQueueMessage } from '../contracts/completion-queue-message.js';
import { formatIssues } from '../contracts/format-issues.js';
import { retryDueMessage } from '../contracts/retry-due-message.js';
import { stepExecutionResult, type StepExecutionResult } from '../contracts/step-execution-result.js';
import { stepStartedMessage, type StepStartedMessage } from '../contracts/step-started-message.js';
import { errorMessage } from '../domain/error-message.js';
import { applyStartMarkers } from './apply-start-markers.js';
import { deliverOutbox } from './deliver-outbox.js';
import { retryOf, type OrchestrationDeps } from './orchestration-deps.js';
import type { BatchItemFailure, BatchResponse } from '../ports/batch-response.js';
import { sendToPoisonQueue } from '../ports/poison-queue.js';
import type { OutboxEntry } from '../ports/orchestration-store.js';

/** A queue record as the completion function sees it (an SQS record, or the local runner's). */
export interface CompletionRecord {
  readonly messageId: string;
  readonly body: string;
}

type Parsed = { ok: true; message: CompletionQueueMessage } | { ok: false; code: string; reason: string };

/**
 * The completion function's use case: applies the batch's results once, in one store call
 * (duplicates and late results are acknowledged and logged as refused), evaluates tasks on retry
 * ticks, applies start markers (another store call), sends what became ready. A record that can never apply goes to the poison queue; a
 * transient failure (database down) is reported as a batch item failure so SQS redelivers it.
 */
export async function processCompletionBatch(deps: OrchestrationDeps, records: readonly CompletionRecord[]): Promise<BatchResponse> {
  const results: StepResultRecord[] = [];
  const markers: StartMarkerRecord[] = [];
  const rest: Array<Promise<BatchItemFailure | null>> = [];
  for (const record of records) {
    const parsed = parse(record.body);
    if (parsed.ok && parsed.message.message_type === 'step_result') results.push({ record, message: parsed.message });
    else if (parsed.ok && parsed.message.message_type === 'step_started') markers.push({ record, message: parsed.message });
    else rest.push(processRecord(deps, record, parsed).then(() => null, (error: unknown) => failure(deps, record, error)));
  }
  const failures = (await Promise.all([applyResults(deps, results), applyMarkers(deps, markers), ...rest.map((p) => p.then((f) => (f ? [f] : [])))])).flat();
  return { batchItemFailures: failures };
}

// --- Start markers (issue 11, bursts): apply-start-markers.ts; redelivered when the database refused them.

interface StartMarkerRecord {
  readonly record: CompletionRecord;
  readonly message: StepStartedMessage;
}

async function applyMarkers(deps: OrchestrationDeps, items: readonly StartMarkerRecord[]): Promise<BatchItemFailure[]> {
  const { problem } = await applyStartMarkers(deps, items.map((i) => i.message));
  return problem === null ? [] : items.map((i) => failure(deps, i.record, problem));
}

// --- Step results and retry ticks.

interface StepResultRecord {
  readonly record: CompletionRecord;
  readonly message: StepExecutionResult;
}

async function processRecord(deps: OrchestrationDeps, record: CompletionRecord, parsed: Parsed): Promise<void> {
  if (!parsed.ok) return poison(deps, record, parsed.code, parsed.reason);
  const message = parsed.message;
  if (message.message_type === 'retry_due') return onRetryDue(deps, message.task_uuid, new Date(message.due_at));
}

/** Applies the results in one call, logs each outcome, and sends what they put in the outbox at once. */
async function applyResults(deps: OrchestrationDeps, items: readonly StepResultRecord[]): Promise<BatchItemFailure[]> {
  if (items.length === 0) return [];
  const toApply = items.map((i) => ({ result: i.message, random: deps.random.next() }));
  const outcomes = await deps.store.applyStepResults(toApply).catch((error: unknown) => items.map(() => ({ status: 'failed' as const, reason: errorMessage(error) })));
  const failures: BatchItemFailure[] = [];
  const applied: StepResultRecord[] = [];
  const outbox: OutboxEntry[] = [];
  items.forEach(({ record, message }, i) => {
    const outcome = outcomes[i]!;
    if (outcome.status === 'failed') return void failures.push(failure(deps, record, outcome.reason));
    const fields = { task_uuid: message.task_uuid, step_uuid: message.step_uuid, event_id: message.event_id, correlation_id: message.correlation_id };
    if (outcome.status === 'applied') deps.logger.info('step result applied', { ...fields, step_state: outcome.stepState, task_state: outcome.taskState, status: message.status });
    else deps.logger.warn('step result refused', { ...fields, refusal: outcome.status, reason: outcome.reason });
    applied.push(items[i]!);
    outbox.push(...outcome.outbox);
  });
  const delivered = await deliverOutbox(deps, outbox).then(() => null, (error: unknown) => error);
  if (delivered !== null) failures.push(...applied.map((i) => failure(deps, i.record, delivered)));
  return failures;
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
  const type = (json as { message_type?: unknown } | null)?.message_type;
  const parsed = (type === 'retry_due' ? retryDueMessage : type === 'step_started' ? stepStartedMessage : stepExecutionResult).safeParse(json);
  if (parsed.success) return { ok: true, message: parsed.data };
  const problems = formatIssues(parsed.error.issues).join('; ');
  return { ok: false, code: 'invalid_message', reason: `not a step result, retry tick or start marker: ${problems}` };
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
