import { describe, expect, it } from 'vitest';
import { renderDagText, renderMermaid } from '../../../lib/cli/dag-picture.js';
import { progressLine } from '../../../lib/cli/progress-lines.js';
import { buildRunReport } from '../../../lib/cli/run-report.js';
import { renderSummary } from '../../../lib/cli/run-summary.js';
import { RunTracker } from '../../../lib/cli/run-tracker.js';
import { dagNodes } from '../../../lib/cli/task-show-command.js';
import type { ProgressEvent } from '../../../lib/local/step-progress.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { stepView, taskView } from '../../helpers/task-view-fixture.js';

/** A retry its blocked task will not give is shown held, by the step that blocks it: live, in --json and in `task show`. */

const template = buildTemplate({
  name: 'held',
  steps: [{ name: 'flaky' }, { name: 'bad', retry: { maxAttempts: 1 } }, { name: 'ship', deps: ['flaky', 'bad'] }],
});
const gatewayDown = { error_type: 'handler_error', message: 'gateway down', retryable: true };
const flaky = stepView('flaky', 'waiting_for_retry', { lastError: gatewayDown });
const bad = stepView('bad', 'error', {
  maxAttempts: 1,
  lastError: { error_type: 'handler_error', message: 'card declined', retryable: false },
});
const ship = stepView('ship', 'pending', { attempts: 0, dependencies: ['flaky', 'bad'] });
const TASK = '11111111-1111-4111-8111-111111111111';
const at = new Date('2026-03-01T10:00:01Z');
const ref = { taskUuid: TASK, stepUuid: flaky.stepUuid, stepName: 'flaky', at };

const retrying: ProgressEvent = {
  type: 'step_retrying',
  retryInMs: 420,
  errorType: 'handler_error',
  message: 'gateway down',
  attempt: 1,
  ...ref,
};
const blockedByBad = { taskState: 'blocked_by_failures', blockedBy: ['bad'] } as const;
const started: ProgressEvent = { type: 'step_started', maxAttempts: 3, attempt: 1, ...ref };
const held: ProgressEvent = {
  type: 'step_retry_held',
  held: blockedByBad,
  errorType: 'handler_error',
  message: 'gateway down',
  attempt: 1,
  ...ref,
};

function tracked(...events: ProgressEvent[]): RunTracker {
  const tracker = new RunTracker(template);
  tracker.setTask(TASK);
  for (const e of events) tracker.apply(e);
  return tracker;
}

describe('the live view and the progress lines', () => {
  it('a retry announced, then held when the task became blocked: the step is shown held by bad, not retrying', () => {
    const tracker = tracked(started, retrying, held);
    expect(progressLine(retrying)).toBe('step flaky retrying after 420 ms (handler_error: gateway down)');
    expect(progressLine(held)).toBe(
      'step flaky retry held after attempt 1: task blocked by bad (handler_error: gateway down)',
    );
    expect(tracker.nodes()[0]).toMatchObject({
      name: 'flaky',
      status: 'held',
      note: 'retry held: task blocked by bad',
    });
    expect(renderDagText(tracker.nodes())[0]).toMatch(
      /^ {2}1 {2}⏸ flaky\s+held\s+1\/3\s+retry held: task blocked by bad$/,
    );
    expect(tracker.retries('flaky')).toEqual([
      { attempt: 1, errorType: 'handler_error', message: 'gateway down', retryInMs: null, held: blockedByBad },
    ]);
  });

  it('an operator releasing it: the next attempt starts and the earlier one counts as retried again', () => {
    const tracker = tracked(started, held, { type: 'step_started', maxAttempts: 3, attempt: 2, ...ref });
    expect(tracker.nodes()[0]).toMatchObject({ status: 'running', attempts: 2 });
    expect(tracker.retries('flaky')).toEqual([
      { attempt: 1, errorType: 'handler_error', message: 'gateway down', retryInMs: null },
    ]);
  });
});

describe('the run report (--json) and task show', () => {
  it('names the blocking step in retry_held and lists no retry to come', () => {
    const report = buildRunReport(taskView('blocked_by_failures', [flaky, bad, ship]), [], {
      retriesOf: (step) => (step === 'flaky' ? tracked(retrying, held).retries(step) : []),
    });
    expect(report.steps.map((s) => [s.name, s.retry_held, s.retries])).toEqual([
      ['flaky', { blocked_by: ['bad'] }, []],
      ['bad', null, []],
      ['ship', null, []],
    ]);
    expect(JSON.stringify(report)).not.toContain('retry_in_ms":420');
  });

  it('keeps a retry that happened: a later attempt is running, nothing is held', () => {
    const running = stepView('flaky', 'enqueued', { attempts: 2, lastError: gatewayDown });
    const report = buildRunReport(taskView('steps_in_process', [running]), [], {
      retriesOf: () => tracked(retrying).retries('flaky'),
    });
    expect(report.steps[0]).toMatchObject({
      retry_held: null,
      retries: [{ attempt: 1, error_type: 'handler_error', message: 'gateway down', retry_in_ms: 420 }],
    });
  });

  it('says in the summary what holds the retry, for a blocked task and a failed one', () => {
    const blocked = renderSummary(buildRunReport(taskView('blocked_by_failures', [flaky, bad, ship]), []), {
      events: false,
    });
    expect(blocked).toContain('         ⏸ attempt 1: handler_error: gateway down; retry held: task blocked by bad');
    expect(blocked).toContain('         ✖ handler_error: card declined');
    const failed = renderSummary(buildRunReport(taskView('error', [flaky, bad, ship]), []), { events: false });
    expect(failed).toContain(
      '         ⏸ attempt 1: handler_error: gateway down; retry held: task failed, blocked by bad',
    );
  });

  it("draws the step held in task show's DAG and Mermaid chart", () => {
    const nodes = dagNodes(taskView('error', [flaky, bad, ship]), []);
    expect(nodes[0]).toMatchObject({
      status: 'held',
      note: 'retry held: task failed, blocked by bad (after handler_error: gateway down)',
    });
    expect(dagNodes(taskView('waiting_for_retry', [flaky]), [])[0]).toMatchObject({
      status: 'retrying',
      note: 'handler_error: gateway down',
    });
    expect(renderMermaid(nodes)).toContain(':::held');
  });
});
