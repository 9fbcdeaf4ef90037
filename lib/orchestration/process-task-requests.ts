import { formatIssues } from '../contracts/format-issues.js';
import { taskRequest, toCreateTaskRequest, type TaskRequest } from '../contracts/task-request.js';
import type { TaskRequestOutcomeEvent } from '../contracts/task-request-outcome.js';
import { errorMessage } from '../domain/error-message.js';
import { templateKey } from '../domain/task-template.js';
import type { BatchResponse } from '../ports/batch-response.js';
import type { TaskToCreate } from '../ports/orchestration-store.js';
import { hasTimeFor, NO_TIME_LIMIT, type TimeBudget } from '../ports/time-budget.js';
import { CALLS_PER_WORK } from './apply-within-budget.js';
import {
  checkTaskRequest,
  templateMemo,
  type CreateTaskErrorCode,
  type TaskRequestRefusal,
} from './check-task-request.js';
import { deliverOutbox } from './deliver-outbox.js';
import type { OrchestrationDeps } from './orchestration-deps.js';
import {
  publishOutcomes,
  taskCreated,
  taskRejected,
  type RequestSeen,
  type TaskRejection,
} from './task-request-outcomes.js';

/** One message of the task-request queue. */
export interface TaskRequestRecord {
  readonly messageId: string;
  readonly body: string;
}

type Verdict =
  | { readonly ok: true; readonly seen: RequestSeen; readonly task: TaskToCreate }
  | { readonly ok: false; readonly seen: RequestSeen; readonly rejection: TaskRejection };

/** createTask's refusal codes as the reasons of `task.rejected`. */
const REASONS: Record<CreateTaskErrorCode, TaskRejection['reason']> = {
  invalid_request: 'malformed',
  unknown_template: 'unknown_template',
  invalid_context: 'invalid_context',
  context_too_large: 'too_large',
  no_worker_pool: 'no_worker_pool',
};

/**
 * The ingress function's use case: creates the tasks a batch of task requests asks for, in one store call (one
 * transaction: identity strategies apply, so a redelivered or repeated request returns its task), sends their root
 * steps, and puts the outcome of each request on the bus: `task.created` (with `duplicate`) or `task.rejected` with the
 * typed reason. A rejected request is final: it is acknowledged, never redelivered, and goes to no other queue. When
 * the store call fails (database down, a lock or statement past its timeout) or there is no time left for it, the
 * batch's valid requests are reported as batch item failures, so SQS redelivers them (and in the end dead-letters them).
 *
 * @example
 * ```ts
 * const response = await processTaskRequests(deps, event.Records.map((r) => ({ messageId: r.messageId, body: r.body })));
 * ```
 */
export async function processTaskRequests(
  deps: OrchestrationDeps,
  records: readonly TaskRequestRecord[],
  budget: TimeBudget = NO_TIME_LIMIT,
): Promise<BatchResponse> {
  const findTemplate = templateMemo(deps.store);
  const verdicts = await Promise.all(records.map((record) => readRequest(deps, record, findTemplate)));
  const accepted = verdicts.filter((v) => v.ok);
  const events: TaskRequestOutcomeEvent[] = verdicts.flatMap((v) =>
    v.ok ? [] : [taskRejected(v.seen, v.rejection, deps.clock.now())],
  );
  for (const v of verdicts)
    if (!v.ok)
      deps.logger.warn('task request rejected', {
        request_id: v.seen.requestId,
        reason: v.rejection.reason,
        correlation_id: v.seen.request?.correlation_id ?? null,
      });
  const created = await createAccepted(deps, accepted, budget);
  events.push(...(created.events ?? []));
  await publishOutcomes(deps, events);
  return {
    batchItemFailures: created.events ? [] : accepted.map((v) => ({ itemIdentifier: v.seen.requestId })),
  };
}

async function readRequest(
  deps: OrchestrationDeps,
  record: TaskRequestRecord,
  findTemplate: ReturnType<typeof templateMemo>,
): Promise<Verdict> {
  const request = parseBody(record.body);
  if (!request.ok) return { ok: false, seen: { requestId: record.messageId, request: null }, rejection: request };
  const seen = { requestId: record.messageId, request: request.value };
  const checked = await checkTaskRequest(deps, toCreateTaskRequest(request.value), findTemplate);
  return checked.ok
    ? { ok: true, seen, task: { request: checked.request, template: checked.template } }
    : { ok: false, seen, rejection: rejectionOf(checked) };
}

function parseBody(body: string): { ok: true; value: TaskRequest } | ({ ok: false } & TaskRejection) {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    return {
      ok: false,
      reason: 'malformed',
      message: 'the request is not valid JSON',
      problems: [errorMessage(error)],
    };
  }
  const parsed = taskRequest.safeParse(json);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : {
        ok: false,
        reason: 'malformed',
        message: 'the request is not a task request',
        problems: formatIssues(parsed.error.issues, 100),
      };
}

function rejectionOf(refusal: TaskRequestRefusal): TaskRejection {
  return { reason: REASONS[refusal.code], message: refusal.message, problems: refusal.problems };
}

/** Creates the accepted requests' tasks in one call and sends what they dispatch; null events when it failed. */
async function createAccepted(
  deps: OrchestrationDeps,
  accepted: readonly Extract<Verdict, { ok: true }>[],
  budget: TimeBudget,
): Promise<{ events: TaskRequestOutcomeEvent[] | null }> {
  if (accepted.length === 0) return { events: [] };
  if (!hasTimeFor(budget, CALLS_PER_WORK)) {
    deps.logger.warn("task requests left for redelivery: too little of the function's time is left", {
      count: accepted.length,
    });
    return { events: null };
  }
  try {
    const outcomes = await deps.store.createTasks(accepted.map((v) => v.task));
    await deliverOutbox(
      deps,
      outcomes.flatMap((o) => o.outbox),
    );
    return {
      events: outcomes.map((outcome, i) => {
        const { seen, task } = accepted[i]!;
        deps.logger.info(outcome.created ? 'task created' : 'task already existed', {
          task_uuid: outcome.taskUuid,
          correlation_id: outcome.correlationId,
          request_id: seen.requestId,
          template: templateKey(task.template),
        });
        return taskCreated(seen, outcome, task.template.version, deps.clock.now());
      }),
    };
  } catch (error) {
    deps.logger.error('task requests not created; they will be redelivered', {
      count: accepted.length,
      error: errorMessage(error),
      stack: error instanceof Error ? error.stack : undefined,
    });
    return { events: null };
  }
}
