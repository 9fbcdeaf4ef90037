import type { ApplyResultOutcome, CreateTaskOutcome, OutboxEntry, StepView, TaskView, TransitionView } from '../../ports/orchestration-store.js';
import type { StepState } from '../../domain/step-state.js';
import type { TaskState } from '../../domain/task-state.js';

/** Shapes of JSON returned by the SQL functions, mapped to the port's types. */
export interface OutboxJson {
  id: string;
  kind: OutboxEntry['kind'];
  namespace: string | null;
  payload: Record<string, unknown>;
  available_at: string;
}

export function toOutboxEntry(row: OutboxJson): OutboxEntry {
  return { id: row.id, kind: row.kind, namespace: row.namespace, payload: row.payload, availableAt: new Date(row.available_at) };
}

export function toOutbox(rows: unknown): OutboxEntry[] {
  return ((rows as OutboxJson[] | null) ?? []).map(toOutboxEntry);
}

export function toApplyOutcome(json: Record<string, unknown>): ApplyResultOutcome {
  return {
    status: json.status as ApplyResultOutcome['status'],
    reason: (json.reason as string | null) ?? null,
    taskUuid: (json.task_uuid as string | null) ?? null,
    stepUuid: (json.step_uuid as string | null) ?? null,
    stepState: (json.step_state as StepState | null) ?? null,
    taskState: (json.task_state as TaskState | null) ?? null,
    outbox: toOutbox(json.outbox),
  };
}

/** create_task's answer (also each element of create_tasks'). */
export function toCreateOutcome(json: Record<string, unknown>): CreateTaskOutcome {
  return {
    taskUuid: json.task_uuid as string,
    created: json.created as boolean,
    state: json.state as CreateTaskOutcome['state'],
    correlationId: json.correlation_id as string,
    outbox: toOutbox(json.outbox),
  };
}

export function toStepView(row: Record<string, any>): StepView {
  return {
    stepUuid: row.step_uuid,
    name: row.name,
    namespace: row.namespace,
    state: row.state,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    retryable: row.retryable,
    dependencies: row.dependencies ?? [],
    results: row.results,
    lastError: row.last_error,
    nextAttemptAt: row.next_attempt_at,
    lastAttemptedAt: row.last_attempted_at,
  };
}

export function toTaskView(row: Record<string, any>, steps: StepView[]): TaskView {
  return {
    taskUuid: row.task_uuid,
    namespace: row.namespace,
    name: row.name,
    version: row.version,
    state: row.state,
    context: row.context,
    correlationId: row.correlation_id,
    priority: row.priority,
    createdAt: row.created_at,
    completedAt: row.completed_at,
    steps,
  };
}

export function toTransitionView(row: Record<string, any>): TransitionView {
  return {
    entity: row.entity,
    uuid: row.uuid,
    fromState: row.from_state,
    toState: row.to_state,
    reason: row.reason,
    metadata: row.metadata,
    createdAt: row.created_at,
  };
}
