import type { TaskDetailResponse, TaskListResponse } from '../contracts/api-responses.js';
import type { StepView, TaskSummary, TaskView, TransitionView } from '../ports/orchestration-store.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The body of `GET /tasks/{task_uuid}`: the store's views in the contract's snake_case. */
export function taskDetail(task: TaskView, transitions: readonly TransitionView[]): TaskDetailResponse {
  return {
    task: { ...summaryFields(task), context: task.context },
    steps: task.steps.map(stepDetail),
    transitions: transitions.map(transitionDetail),
  };
}

export function taskListItem(task: TaskSummary): TaskListResponse['tasks'][number] {
  return summaryFields(task);
}

function summaryFields(task: Omit<TaskSummary, 'createdMicros'>) {
  return {
    task_uuid: task.taskUuid,
    namespace: task.namespace,
    name: task.name,
    version: task.version,
    state: task.state,
    correlation_id: task.correlationId,
    priority: task.priority,
    created_at: task.createdAt.toISOString(),
    completed_at: iso(task.completedAt),
  };
}

function stepDetail(step: StepView): TaskDetailResponse['steps'][number] {
  return {
    step_uuid: step.stepUuid,
    name: step.name,
    namespace: step.namespace,
    state: step.state,
    attempts: step.attempts,
    max_attempts: step.maxAttempts,
    retryable: step.retryable,
    dependencies: [...step.dependencies],
    result: step.results ?? null,
    error: step.lastError,
    next_attempt_at: iso(step.nextAttemptAt),
    last_attempted_at: iso(step.lastAttemptedAt),
    type: step.stepType ?? null,
    wait_deadline: iso(step.waitDeadline ?? null),
    ...(step.batch ? { batch: { ...step.batch } } : {}),
  };
}

function transitionDetail(t: TransitionView): TaskDetailResponse['transitions'][number] {
  const actor = t.metadata.actor;
  return {
    entity: t.entity,
    uuid: t.uuid,
    from_state: t.fromState,
    to_state: t.toState,
    reason: t.reason,
    actor: typeof actor === 'string' ? actor : null,
    metadata: t.metadata,
    created_at: t.createdAt.toISOString(),
  };
}
