import type { TaskDetailResponse } from '../contracts/api-responses.js';
import type { StepView, TaskView, TransitionView } from '../ports/orchestration-store.js';

const date = (text: string | null) => (text === null ? null : new Date(text));

/** The API's task detail as the store's views, so `tasker task show` prints a remote task as it prints a local one. */
export function viewsOfTaskDetail(detail: TaskDetailResponse): { task: TaskView; transitions: TransitionView[] } {
  const t = detail.task;
  return {
    task: {
      taskUuid: t.task_uuid,
      namespace: t.namespace,
      name: t.name,
      version: t.version,
      state: t.state,
      context: t.context,
      correlationId: t.correlation_id,
      priority: t.priority,
      createdAt: new Date(t.created_at),
      completedAt: date(t.completed_at),
      steps: detail.steps.map((s) => ({
        stepUuid: s.step_uuid,
        name: s.name,
        namespace: s.namespace,
        state: s.state,
        attempts: s.attempts,
        maxAttempts: s.max_attempts,
        retryable: s.retryable,
        dependencies: s.dependencies,
        results: s.result,
        lastError: s.error,
        nextAttemptAt: date(s.next_attempt_at),
        lastAttemptedAt: date(s.last_attempted_at),
        stepType: (s.type ?? null) as StepView['stepType'],
        waitDeadline: date(s.wait_deadline ?? null),
        ...(s.batch ? { batch: s.batch } : {}),
      })),
    },
    transitions: detail.transitions.map((x) => ({
      entity: x.entity,
      uuid: x.uuid,
      fromState: x.from_state,
      toState: x.to_state,
      reason: x.reason,
      metadata: x.metadata,
      createdAt: new Date(x.created_at),
    })),
  };
}
