import { describe, expect, it } from 'vitest';
import type { StepView, TaskView, TransitionView } from '../../../lib/ports/orchestration-store.js';
import { buildRunReport } from '../../../lib/cli/run-report.js';
import { renderSummary } from '../../../lib/cli/run-summary.js';
import { runStepTimeoutSeconds, withRunStepTimeouts } from '../../../lib/cli/step-timeout.js';
import type { HandlerFailure } from '../../../lib/local/handler-failures.js';
import { buildTemplate } from '../../helpers/template-builder.js';

/** The run report and its summary: end times of failed runs, stacks, dropped events; and `tasker run`'s step timeout. */

const T0 = new Date('2030-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

function step(name: string, over: Partial<StepView> = {}): StepView {
  return {
    stepUuid: `uuid-${name}`,
    name,
    namespace: 'ns',
    state: 'complete',
    attempts: 1,
    maxAttempts: 3,
    retryable: true,
    dependencies: [],
    results: null,
    lastError: null,
    nextAttemptAt: null,
    lastAttemptedAt: null,
    ...over,
  };
}

function task(state: TaskView['state'], steps: StepView[], completedAt: Date | null = null): TaskView {
  return {
    taskUuid: 'task-1',
    namespace: 'ns',
    name: 'flow',
    version: '1.0.0',
    state,
    context: {},
    correlationId: 'corr-1',
    priority: 0,
    createdAt: T0,
    completedAt,
    steps,
  };
}

const taskTransition = (toState: string, ms: number): TransitionView => ({
  entity: 'task',
  uuid: 'task-1',
  fromState: null,
  toState,
  reason: null,
  metadata: {},
  createdAt: at(ms),
});

describe('buildRunReport', () => {
  it('a failed task has an end time and a duration (completed_at stays null)', () => {
    const report = buildRunReport(task('blocked_by_failures', [step('a', { state: 'error' })]), [
      taskTransition('steps_in_process', 10),
      taskTransition('blocked_by_failures', 6_400),
    ]);
    expect(report.task).toMatchObject({
      state: 'blocked_by_failures',
      completed_at: null,
      finished_at: '2030-01-01T00:00:06.400Z',
      duration_ms: 6_400,
    });
  });

  it('a completed task ends at completed_at; a running one has no end', () => {
    expect(buildRunReport(task('complete', [step('a')], at(900)), []).task).toMatchObject({
      completed_at: '2030-01-01T00:00:00.900Z',
      finished_at: '2030-01-01T00:00:00.900Z',
      duration_ms: 900,
    });
    expect(
      buildRunReport(task('steps_in_process', [step('a', { state: 'enqueued' })]), [
        taskTransition('steps_in_process', 10),
      ]).task,
    ).toMatchObject({ finished_at: null, duration_ms: null });
  });

  it('a handler error carries the stack of the attempt that threw it, in the error and in the retries', () => {
    const failure = (attempt: number): HandlerFailure => ({
      taskUuid: 'task-1',
      stepName: 'a',
      attempt,
      eventId: `e${attempt}`,
      message: 'boom',
      stack: `Error: boom\n    at charge (/app/handlers.ts:${attempt}:1)`,
    });
    const lastError = { error_type: 'handler_error', message: 'boom', code: 'Error' };
    const report = buildRunReport(
      task('blocked_by_failures', [step('a', { state: 'error', attempts: 2, lastError })]),
      [],
      {
        failures: [failure(1), failure(2)],
        retriesOf: () => [{ attempt: 1, errorType: 'handler_error', message: 'boom', retryInMs: 50 }],
        dropped: [],
      },
    );
    expect(report.steps[0]!.error).toEqual({
      ...lastError,
      stack: 'Error: boom\n    at charge (/app/handlers.ts:2:1)',
    });
    expect(report.steps[0]!.retries).toEqual([
      {
        attempt: 1,
        error_type: 'handler_error',
        message: 'boom',
        retry_in_ms: 50,
        stack: 'Error: boom\n    at charge (/app/handlers.ts:1:1)',
      },
    ]);
    expect(report.dropped_domain_events).toEqual([]);
  });
});

describe('renderSummary', () => {
  it('a step still running shows its earlier failure as a retry, not as its outcome', () => {
    const running = step('wait', {
      state: 'enqueued',
      attempts: 3,
      lastError: { error_type: 'handler_timeout', message: 'handler did not finish within 28000 ms' },
    });
    const lines = renderSummary(buildRunReport(task('steps_in_process', [running]), []));
    expect(lines.join('\n')).not.toContain('✖');
    expect(lines).toContain(
      '        ↻ an earlier attempt failed: handler_timeout: handler did not finish within 28000 ms',
    );
  });

  it('a failed step shows ✖ with the first frames of its stack (paths under cwd shortened); dropped events with their reason', () => {
    const failed = step('charge', {
      state: 'error',
      attempts: 1,
      maxAttempts: 1,
      lastError: { error_type: 'handler_error', message: 'boom' },
    });
    const report = buildRunReport(
      task('blocked_by_failures', [failed]),
      [taskTransition('blocked_by_failures', 1_500)],
      {
        failures: [
          {
            taskUuid: 'task-1',
            stepName: 'charge',
            attempt: 1,
            eventId: 'e',
            message: 'boom',
            stack:
              'Error: boom\n    at explode (/app/h.ts:5:9)\n    at charge (file:///app/h.ts:9:1)\n    at a (/x.ts:1:1)\n    at b (/x.ts:2:2)',
          },
        ],
        dropped: [
          {
            taskUuid: 'task-1',
            stepName: 'charge',
            eventName: 'ns.charged',
            eventId: 'ev',
            code: 'schema_mismatch',
            reason: 'payload of ns.charged does not match its declared schema: /id must be string',
          },
        ],
      },
    );
    const lines = renderSummary(report, { cwd: '/app' });
    expect(lines[0]).toBe('Task task-1 ns/flow@1.0.0: blocked_by_failures in 1.50 s');
    const failure = lines.indexOf('          ✖ handler_error: boom');
    expect(lines.slice(failure + 1, failure + 4)).toEqual([
      '              at explode (h.ts:5:9)',
      '              at charge (h.ts:9:1)',
      '              at a (/x.ts:1:1)',
    ]);
    expect(lines).not.toContain('              at b (/x.ts:2:2)');
    expect(lines.slice(-2)).toEqual([
      'Dropped domain events (1), not published:',
      '  ns.charged from charge: schema_mismatch: payload of ns.charged does not match its declared schema: /id must be string',
    ]);
  });
});

describe("tasker run's per-attempt step timeout", () => {
  it('is 10 s, lowered so that every attempt and its backoff fit in --timeout', () => {
    expect(runStepTimeoutSeconds({ runTimeoutSeconds: 60, maxAttempts: 3 })).toBe(10);
    expect(runStepTimeoutSeconds({ runTimeoutSeconds: 12, maxAttempts: 3 })).toBe(2);
    expect(runStepTimeoutSeconds({ runTimeoutSeconds: 1, maxAttempts: 5 })).toBe(1);
    expect(runStepTimeoutSeconds({ runTimeoutSeconds: 60, maxAttempts: 3, stepTimeoutSeconds: 25 })).toBe(25);
  });

  it('applies to the steps that set no timeout_seconds; a step that set its own keeps it', () => {
    const template = buildTemplate({
      name: 't',
      steps: [{ name: 'unset' }, { name: 'own', timeoutSeconds: 45 }, { name: 'once', retry: { maxAttempts: 1 } }],
    });
    const adjusted = withRunStepTimeouts(template, { runTimeoutSeconds: 60 });
    expect(adjusted.steps.map((s) => [s.name, s.timeoutSeconds])).toEqual([
      ['unset', 10],
      ['own', 45],
      ['once', 10],
    ]);
    expect(
      withRunStepTimeouts(template, { runTimeoutSeconds: 60, stepTimeoutSeconds: 3 }).steps.map(
        (s) => s.timeoutSeconds,
      ),
    ).toEqual([3, 45, 3]);
  });
});
