import type { ExecutionStatus } from '../../domain/execution-status.js';
import type {
  ApplyResultOutcome,
  CreateTaskOutcome,
  ExecutionContext,
  OutboxEntry,
  ReadyStep,
  SignalTarget,
  StepView,
  TaskSummary,
  TaskView,
  TimedOutDispatch,
  TransitionView,
} from '../../ports/orchestration-store.js';
import type { StepState } from '../../domain/step-state.js';
import type { TaskState } from '../../domain/task-state.js';
import type { DeclaredEvent, JsonSchema, StepType } from '../../domain/task-template.js';

/** Shapes of JSON returned by the SQL functions, mapped to the port's types. */
export interface OutboxJson {
  id: string;
  kind: OutboxEntry['kind'];
  namespace: string | null;
  payload: Record<string, unknown>;
  available_at: string;
}

export function toOutboxEntry(row: OutboxJson): OutboxEntry {
  return {
    id: row.id,
    kind: row.kind,
    namespace: row.namespace,
    payload: row.payload,
    availableAt: new Date(row.available_at),
  };
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

/** A row of STEPS_OF_TASK (queries.ts: tasker.task_steps). */
export interface StepRow {
  step_uuid: string;
  name: string;
  namespace: string;
  state: StepState;
  attempts: number;
  max_attempts: number;
  retryable: boolean;
  dependencies: string[] | null;
  results: unknown;
  last_error: Record<string, unknown> | null;
  next_attempt_at: Date | null;
  last_attempted_at: Date | null;
  step_type?: StepType | null;
  wait_deadline_at?: Date | null;
  ordinal?: number;
  batch_index?: number | null;
  batch_count?: number | null;
}

/** A batch worker's instances share the step's ordinal: in batch order after it (a stable sort keeps the rest). */
export function inBatchOrder(rows: readonly StepRow[]): StepRow[] {
  return [...rows].sort((a, b) => (a.ordinal ?? 0) - (b.ordinal ?? 0) || (a.batch_index ?? 0) - (b.batch_index ?? 0));
}

export function toStepView(row: StepRow): StepView {
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
    stepType: row.step_type ?? null,
    waitDeadline: row.wait_deadline_at ?? null,
    ...(row.batch_index === null || row.batch_index === undefined
      ? {}
      : { batch: { index: row.batch_index, count: row.batch_count ?? 0 } }),
  };
}

/** A row of SIGNAL_TARGET (queries.ts: tasker.signal_target). */
export interface SignalTargetRow {
  step_uuid: string | null;
  step_type: StepType | null;
  signal_schema: JsonSchema | null;
  publishes_events: DeclaredEvent[] | null;
}

export function toSignalTarget(row: SignalTargetRow): SignalTarget {
  return {
    stepUuid: row.step_uuid,
    stepType: row.step_type,
    signalSchema: row.signal_schema,
    publishesEvents: row.publishes_events ?? [],
  };
}

/** A row of TASK_BY_UUID (queries.ts: tasker.task_row). */
export interface TaskRow {
  task_uuid: string;
  namespace: string;
  name: string;
  version: string;
  state: TaskState;
  context: Record<string, unknown>;
  correlation_id: string;
  priority: number;
  created_at: Date;
  completed_at: Date | null;
}

export function toTaskView(row: TaskRow, steps: StepView[]): TaskView {
  return { ...taskFields(row), context: row.context, steps };
}

/** What a task's row and a row of the task list both carry. */
function taskFields(row: Omit<TaskRow, 'context'>) {
  return {
    taskUuid: row.task_uuid,
    namespace: row.namespace,
    name: row.name,
    version: row.version,
    state: row.state,
    correlationId: row.correlation_id,
    priority: row.priority,
    createdAt: row.created_at,
    completedAt: row.completed_at,
  };
}

/** A row of LIST_TASKS (queries.ts). */
export interface TaskSummaryRow {
  task_uuid: string;
  namespace: string;
  name: string;
  version: string;
  state: TaskState;
  correlation_id: string;
  priority: number;
  created_at: Date;
  completed_at: Date | null;
  created_us: string;
}

export function toTaskSummary(row: TaskSummaryRow): TaskSummary {
  return { ...taskFields(row), createdMicros: String(row.created_us) };
}

/** A row of TRANSITIONS_OF_TASK (queries.ts: tasker.task_transitions). */
export interface TransitionRow {
  entity: 'task' | 'step';
  uuid: string;
  from_state: string | null;
  to_state: string;
  reason: string | null;
  metadata: Record<string, unknown>;
  created_at: Date;
}

export function toTransitionView(row: TransitionRow): TransitionView {
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

/** A row of tasker.find_timed_out_dispatches. */
export interface TimedOutDispatchRow {
  event_id: string;
  task_uuid: string;
  step_uuid: string;
  step_name: string;
  correlation_id: string;
  attempt: number;
  dispatched_at: Date;
  deadline_at: Date;
}

export function toTimedOutDispatch(r: TimedOutDispatchRow): TimedOutDispatch {
  return {
    eventId: r.event_id,
    taskUuid: r.task_uuid,
    stepUuid: r.step_uuid,
    stepName: r.step_name,
    correlationId: r.correlation_id,
    attempt: r.attempt,
    dispatchedAt: r.dispatched_at,
    deadline: r.deadline_at,
  };
}

/** A row of tasker.get_ready_steps. */
export interface ReadyStepRow {
  step_uuid: string;
  name: string;
  attempts: number;
}

export function toReadyStep(r: ReadyStepRow): ReadyStep {
  return { stepUuid: r.step_uuid, name: r.name, attempts: r.attempts };
}

/** A row of tasker.get_task_execution_context. */
export interface ExecutionContextRow {
  task_uuid: string;
  total_steps: number;
  ready_steps: number;
  in_progress_steps: number;
  waiting_for_retry_steps: number;
  completed_steps: number;
  failed_steps: number;
  execution_status: ExecutionStatus;
}

export function toExecutionContext(r: ExecutionContextRow): ExecutionContext {
  return {
    taskUuid: r.task_uuid,
    totalSteps: r.total_steps,
    readySteps: r.ready_steps,
    inProgressSteps: r.in_progress_steps,
    waitingForRetrySteps: r.waiting_for_retry_steps,
    completedSteps: r.completed_steps,
    failedSteps: r.failed_steps,
    executionStatus: r.execution_status,
  };
}
