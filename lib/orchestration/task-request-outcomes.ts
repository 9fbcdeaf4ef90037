import type { EventBusEntry } from '../contracts/domain-event.js';
import { SCHEMA_VERSION } from '../contracts/schema-version.js';
import type { TaskRequest } from '../contracts/task-request.js';
import type {
  TaskCreatedEvent,
  TaskRejectedEvent,
  TaskRejectionReason,
  TaskRequestOutcomeEvent,
} from '../contracts/task-request-outcome.js';
import { TASK_LIFECYCLE_SOURCE } from '../contracts/task-lifecycle-event.js';
import { errorMessage } from '../domain/error-message.js';
import { firstProblems, moreProblemsMessage } from '../domain/reported-problems.js';
import type { EventBus, PublishFailure } from '../ports/event-bus.js';
import type { CreateTaskOutcome } from '../ports/orchestration-store.js';
import { retryOperation } from '../ports/send-with-retry.js';
import { retryOf, type OrchestrationDeps } from './orchestration-deps.js';

/** The request as far as it could be read (nothing of a malformed one), and the id of the message that carried it. */
export interface RequestSeen {
  readonly requestId: string;
  readonly request: Partial<TaskRequest> | null;
}

/** A refusal of a task request: the typed reason, a sentence, and every problem. */
export interface TaskRejection {
  readonly reason: TaskRejectionReason;
  readonly message: string;
  readonly problems: readonly string[];
}

/** The longest problem line an event carries; the event stays far below EventBridge's 256 KB. */
const MAX_PROBLEM_CHARS = 1_000;

/** `task.created` for a request whose task now exists (new, or the one of the same identity). */
export function taskCreated(
  seen: RequestSeen,
  outcome: CreateTaskOutcome,
  version: string,
  at: Date,
): TaskCreatedEvent {
  return {
    schema_version: SCHEMA_VERSION,
    event_id: crypto.randomUUID(),
    event_name: 'task.created',
    ...echo(seen, at),
    task_uuid: outcome.taskUuid,
    duplicate: !outcome.created,
    task_version: version,
    correlation_id: outcome.correlationId,
    state: outcome.state,
    run_at: seen.request?.run_at ?? null,
  };
}

/** `task.rejected` for a request refused for good. */
export function taskRejected(seen: RequestSeen, rejection: TaskRejection, at: Date): TaskRejectedEvent {
  const problems = firstProblems(rejection.problems, moreProblemsMessage).map((p) => p.slice(0, MAX_PROBLEM_CHARS));
  return {
    schema_version: SCHEMA_VERSION,
    event_id: crypto.randomUUID(),
    event_name: 'task.rejected',
    ...echo(seen, at),
    reason: rejection.reason,
    message: rejection.message.slice(0, MAX_PROBLEM_CHARS),
    problems,
    correlation_id: seen.request?.correlation_id ?? null,
  };
}

function echo(seen: RequestSeen, at: Date) {
  const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, MAX_PROBLEM_CHARS) : null);
  return {
    request_id: seen.requestId,
    namespace: text(seen.request?.namespace),
    task_name: text(seen.request?.name),
    idempotency_key: text(seen.request?.idempotency_key),
    fired_at: at.toISOString(),
  };
}

/**
 * Puts the outcome events on the engine's bus (Source tasker.orchestration, DetailType the event name), retrying the
 * entries the bus refused (retryOf(deps)). What still fails is logged whole at error level, for a person to replay:
 * the outcome is already final (the task exists, or the request was refused), so nothing is redelivered for it.
 * Returns how many events could not be published.
 */
export async function publishOutcomes(
  deps: OrchestrationDeps,
  events: readonly TaskRequestOutcomeEvent[],
): Promise<number> {
  if (events.length === 0) return 0;
  let pending = events.map(toEntry);
  let failures: readonly PublishFailure[] = [];
  await retryOperation(
    async () => {
      failures = await tryPublish(deps.events, pending);
      pending = pending.filter((entry) => failures.some((f) => f.entry.Detail === entry.Detail));
      return pending.length;
    },
    (left) => left > 0,
    retryOf(deps),
  );
  for (const failure of failures.filter((f) => pending.some((entry) => entry.Detail === f.entry.Detail)))
    deps.logger.error('task request outcome not published; logged whole', {
      code: failure.code,
      error: failure.message,
      entry: failure.entry,
    });
  return pending.length;
}

function toEntry(event: TaskRequestOutcomeEvent): EventBusEntry {
  return { Source: TASK_LIFECYCLE_SOURCE, DetailType: event.event_name, Detail: JSON.stringify(event) };
}

async function tryPublish(bus: EventBus, entries: readonly EventBusEntry[]): Promise<readonly PublishFailure[]> {
  try {
    return (await bus.publish(entries)).failed;
  } catch (error) {
    const code = error instanceof Error ? error.name : 'PublishError';
    return entries.map((entry) => ({ entry, code, message: errorMessage(error) }));
  }
}
