import { describe, expect, it } from 'vitest';
import { renderDagText, renderMermaid } from '../../../lib/cli/dag-picture.js';
import { buildRunReport } from '../../../lib/cli/run-report.js';
import { renderSummary } from '../../../lib/cli/run-summary.js';
import { RunTracker } from '../../../lib/cli/run-tracker.js';
import { dagNodes } from '../../../lib/cli/task-show-command.js';
import type { ProgressEvent } from '../../../lib/local/step-progress.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { stepView, taskView } from '../../helpers/task-view-fixture.js';

/** `task show`, Mermaid and the live view for dynamic steps: batch instances as one node with a count, skipped greyed. */

const instance = (index: number, count: number, state: 'complete' | 'in_progress' | 'error') =>
  stepView('work', state, {
    stepUuid: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    dependencies: ['list'],
    stepType: 'batch_worker',
    batch: { index, count },
  });

const task = taskView('steps_in_process', [
  stepView('list', 'complete', { stepType: 'batchable' }),
  ...Array.from({ length: 498 }, (_, i) => instance(i, 500, 'complete')),
  instance(498, 500, 'in_progress'),
  instance(499, 500, 'complete'),
  stepView('join', 'pending', { attempts: 0, dependencies: ['work'] }),
  stepView('audit', 'skipped', { attempts: 0, dependencies: ['list'] }),
]);

describe('task show for dynamic steps', () => {
  it('draws the 500 instances of a batch worker as one node with the count, running while one runs', () => {
    const nodes = dagNodes(task, []);
    expect(nodes.map((n) => n.name)).toEqual(['list', 'work', 'join', 'audit']);
    expect(nodes[1]).toMatchObject({ status: 'running', instances: { count: 500, complete: 499 } });
    const text = renderDagText(nodes);
    expect(text.find((l) => l.includes('work'))).toContain('work ×500 (499 done)');
    expect(text.find((l) => l.includes('audit'))).toMatch(/⤼ audit\s+skipped/);
  });

  it('Mermaid: one node for the instances, skipped styled grey and dashed', () => {
    const mermaid = renderMermaid(dagNodes(task, []));
    expect(mermaid.match(/work ×500/g)).toHaveLength(1);
    expect(mermaid).toMatch(/\["audit<br\/>skipped · 0\/3"\]:::skipped/);
    expect(mermaid).toContain('classDef skipped fill:#f9fafb,stroke:#d1d5db,color:#9ca3af,stroke-dasharray:2 2');
  });
});

describe('the live view for dynamic steps', () => {
  const template = buildTemplate({
    name: 'batch',
    steps: [
      { name: 'list', type: 'batchable', batch: { worker: 'work', maxBatches: 10 } },
      { name: 'work', type: 'batch_worker', deps: ['list'] },
      { name: 'audit', deps: ['list'] },
    ],
  });
  const TASK = '11111111-1111-4111-8111-111111111111';
  const at = new Date('2026-03-01T10:00:01Z');
  const ref = (stepName: string, stepUuid: string) => ({ taskUuid: TASK, stepName, stepUuid, at, attempt: 1 });

  it('counts the instances seen and marks what a complete task never ran as skipped', () => {
    const tracker = new RunTracker(template);
    tracker.setTask(TASK);
    const events: ProgressEvent[] = [
      { type: 'step_completed', durationMs: 3, ...ref('list', 'l') },
      { type: 'step_started', maxAttempts: 3, ...ref('work', 'w1') },
      { type: 'step_started', maxAttempts: 3, ...ref('work', 'w2') },
      { type: 'step_completed', durationMs: 3, ...ref('work', 'w1') },
    ];
    for (const e of events) tracker.apply(e);
    expect(tracker.nodes()[1]?.instances).toEqual({ count: 2, complete: 1 });
    tracker.apply({ type: 'step_completed', durationMs: 3, ...ref('work', 'w2') });
    tracker.apply({ type: 'task_finished', taskUuid: TASK, state: 'complete', at });
    expect(tracker.nodes().map((n) => [n.name, n.status])).toEqual([
      ['list', 'complete'],
      ['work', 'complete'],
      ['audit', 'skipped'],
    ]);
    expect(tracker.finishedCount()).toBe(3);
    expect(renderDagText(tracker.nodes()).find((l) => l.includes('work'))).toContain('work ×2');
  });
});

describe('the run summary for batch instances', () => {
  it('names each instance with its index and gives it its own retries only', () => {
    const first = instance(0, 2, 'complete');
    const second = instance(1, 2, 'complete');
    const tracker = new RunTracker(
      buildTemplate({
        name: 'b',
        steps: [
          { name: 'list', type: 'batchable', batch: { worker: 'work', maxBatches: 2 } },
          { name: 'work', type: 'batch_worker', deps: ['list'] },
        ],
      }),
    );
    tracker.setTask(task.taskUuid);
    tracker.apply({
      type: 'step_retrying',
      retryInMs: 5,
      errorType: 'handler_error',
      message: 'page 1 failed',
      taskUuid: task.taskUuid,
      stepName: 'work',
      stepUuid: second.stepUuid,
      attempt: 1,
      at: new Date(),
    });
    const report = buildRunReport(taskView('complete', [first, second]), [], {
      retriesOf: (step, stepUuid) => tracker.retries(step, stepUuid),
    });
    expect(report.steps.map((s) => [s.batch_index, s.retries.length])).toEqual([
      [0, 0],
      [1, 1],
    ]);
    const lines = renderSummary(report);
    expect(lines.some((l) => l.includes('work[1]'))).toBe(true);
  });
});
