import { describe, expect, it } from 'vitest';
import type { StepExecutionResult } from '../../../lib/contracts/step-execution-result.js';
import { taskHasSettled } from '../../../lib/local/progress-observer.js';
import { classify, heldRetryEvents } from '../../../lib/local/result-progress.js';
import { stepView, taskView } from '../../helpers/task-view-fixture.js';

const AT = new Date('2026-03-01T10:00:01Z');
const gatewayDown = { error_type: 'handler_error', message: 'gateway down', retryable: true };
const flaky = stepView('flaky', 'waiting_for_retry', {
  lastError: gatewayDown,
  nextAttemptAt: new Date('2026-03-01T10:00:01.420Z'),
});
const bad = stepView('bad', 'error', { lastError: { error_type: 'handler_error', message: 'card declined' } });

function failure(): StepExecutionResult {
  return {
    schema_version: 1,
    message_type: 'step_result',
    event_id: '33333333-3333-4333-8333-333333333333',
    task_uuid: '11111111-1111-4111-8111-111111111111',
    step_uuid: flaky.stepUuid,
    correlation_id: null,
    step_name: 'flaky',
    attempt: 1,
    status: 'failure',
    result: null,
    error: { error_type: 'handler_error', message: 'gateway down', retryable: true, retry_after_ms: null, code: null },
    timing: { started_at: '2026-03-01T10:00:01.000Z', completed_at: '2026-03-01T10:00:01.000Z', duration_ms: 1 },
    worker: { worker_id: 'w', kind: 'test' },
  };
}
const ref = {
  taskUuid: '11111111-1111-4111-8111-111111111111',
  stepUuid: flaky.stepUuid,
  stepName: 'flaky',
  attempt: 1,
  at: AT,
};

describe('a failed attempt as progress', () => {
  it('is a retry to come (with its backoff) while the task runs', () => {
    expect(classify(failure(), flaky, taskView('steps_in_process', [flaky]), ref, AT)).toMatchObject({
      type: 'step_retrying',
      retryInMs: 420,
    });
  });

  it('is no retry when the blocked task holds it: the held retry is reported instead, naming the failed step', () => {
    const task = taskView('blocked_by_failures', [flaky, bad]);
    expect(classify(failure(), flaky, task, ref, AT)).toBeNull();
    expect(heldRetryEvents(task, AT)).toEqual([
      {
        type: 'step_retry_held',
        held: { taskState: 'blocked_by_failures', blockedBy: ['bad'] },
        errorType: 'handler_error',
        message: 'gateway down',
        taskUuid: task.taskUuid,
        stepUuid: flaky.stepUuid,
        stepName: 'flaky',
        attempt: 1,
        at: AT,
      },
    ]);
    expect(heldRetryEvents(taskView('steps_in_process', [flaky]), AT)).toEqual([]);
  });
});

describe('taskHasSettled', () => {
  it('waits for a blocked task while a step of it is in flight (its result still fails the task)', () => {
    expect(taskHasSettled(taskView('blocked_by_failures', [bad, stepView('sibling', 'enqueued')]))).toBe(false);
    expect(taskHasSettled(taskView('blocked_by_failures', [bad, stepView('sibling', 'complete')]))).toBe(true);
    expect(taskHasSettled(taskView('error', [bad, flaky]))).toBe(true);
    expect(taskHasSettled(taskView('waiting_for_retry', [flaky]))).toBe(false);
  });
});
