import { describe, expect, it } from 'vitest';
import { waitEvents, type ReportedWaits } from '../../../lib/local/wait-progress.js';
import type { StepView, TaskView } from '../../../lib/ports/orchestration-store.js';

const T0 = new Date('2026-11-30T10:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const DEADLINE = new Date('2026-11-30T11:00:00Z');

function task(wait: Partial<StepView>): TaskView {
  const step = (name: string, extra: Partial<StepView>): StepView => ({
    stepUuid: `uuid-${name}`,
    name,
    namespace: 'tests',
    state: 'pending',
    attempts: 0,
    maxAttempts: 1,
    retryable: false,
    dependencies: [],
    results: null,
    lastError: null,
    nextAttemptAt: null,
    lastAttemptedAt: null,
    ...extra,
  });
  return {
    taskUuid: 'task-1',
    namespace: 'tests',
    name: 't',
    version: '1.0.0',
    state: 'steps_in_process',
    context: {},
    correlationId: 'c',
    priority: 0,
    createdAt: T0,
    completedAt: null,
    steps: [step('prepare', { state: 'enqueued', attempts: 1 }), step('approval', { stepType: 'wait', ...wait })],
  };
}

const ref = { taskUuid: 'task-1', stepUuid: 'uuid-approval', stepName: 'approval', attempt: 1 };

describe('waitEvents', () => {
  it('reports a wait once as waiting, then once as completed with the time it waited', () => {
    const reported: ReportedWaits = new Map();
    expect(waitEvents(task({ state: 'pending' }), reported, T0)).toEqual([]);
    const waiting = task({ state: 'enqueued', attempts: 1, waitDeadline: DEADLINE });
    expect(waitEvents(waiting, reported, T0)).toEqual([{ type: 'step_waiting', deadline: DEADLINE, ...ref, at: T0 }]);
    expect(waitEvents(waiting, reported, at(500))).toEqual([]);
    const done = task({ state: 'complete', attempts: 1, waitDeadline: null });
    expect(waitEvents(done, reported, at(2_000))).toEqual([
      { type: 'step_completed', durationMs: 2_000, ...ref, at: at(2_000) },
    ]);
    expect(waitEvents(done, reported, at(3_000))).toEqual([]);
  });

  it('reports a timed-out wait as failed with its error, and a reset wait as waiting again', () => {
    const reported: ReportedWaits = new Map();
    waitEvents(task({ state: 'enqueued', attempts: 1, waitDeadline: DEADLINE }), reported, T0);
    const error = { error_type: 'wait_timeout', message: 'no signal arrived' };
    expect(waitEvents(task({ state: 'error', attempts: 1, lastError: error }), reported, at(1))).toEqual([
      { type: 'step_failed', errorType: 'wait_timeout', message: 'no signal arrived', ...ref, at: at(1) },
    ]);
    const again = task({ state: 'enqueued', attempts: 2, waitDeadline: DEADLINE });
    expect(waitEvents(again, reported, at(2)).map((e) => [e.type, 'attempt' in e && e.attempt])).toEqual([
      ['step_waiting', 2],
    ]);
  });
});
