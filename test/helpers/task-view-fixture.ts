import type { StepState } from '../../lib/domain/step-state.js';
import type { TaskState } from '../../lib/domain/task-state.js';
import type { StepView, TaskView } from '../../lib/ports/orchestration-store.js';

/** A step of a TaskView, as the store reads it, with what a test cares about given. */
export function stepView(name: string, state: StepState, extra: Partial<StepView> = {}): StepView {
  return {
    stepUuid: `00000000-0000-4000-8000-${Buffer.from(name).toString('hex').padEnd(12, '0').slice(0, 12)}`,
    name,
    namespace: 'tests',
    state,
    attempts: 1,
    maxAttempts: 3,
    retryable: true,
    dependencies: [],
    results: null,
    lastError: null,
    nextAttemptAt: null,
    lastAttemptedAt: null,
    ...extra,
  };
}

/** A TaskView in `state` with the given steps. */
export function taskView(state: TaskState, steps: readonly StepView[]): TaskView {
  return {
    taskUuid: '11111111-1111-4111-8111-111111111111',
    namespace: 'tests',
    name: 'held',
    version: '1.0.0',
    state,
    context: {},
    correlationId: '22222222-2222-4222-8222-222222222222',
    priority: 0,
    createdAt: new Date('2026-03-01T10:00:00Z'),
    completedAt: state === 'error' ? new Date('2026-03-01T10:00:02Z') : null,
    steps,
  };
}
