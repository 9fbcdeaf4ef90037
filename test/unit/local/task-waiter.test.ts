import { describe, expect, it } from 'vitest';
import type { TaskState } from '../../../lib/domain/task-state.js';
import type { ProgressObserver } from '../../../lib/local/progress-observer.js';
import { ProgressHub } from '../../../lib/local/step-progress.js';
import { waitForFinalState } from '../../../lib/local/task-waiter.js';
import type { TaskView } from '../../../lib/ports/orchestration-store.js';

const TASK = '00000000-0000-4000-8000-000000000001';

const view = (state: TaskState, stepState: string): TaskView =>
  ({ taskUuid: TASK, state, steps: [{ name: 'sleepy', state: stepState }] }) as unknown as TaskView;

/** An observer whose reads answer `views` in turn and which says the task finished as `finished`. */
function observer(views: TaskView[], finished: TaskState | undefined) {
  const reads: TaskView[] = [];
  const fake = {
    checkTask: async () => {
      const next = views.shift() ?? reads.at(-1)!;
      reads.push(next);
      return next;
    },
    finishedState: () => finished,
  };
  return { fake: fake as unknown as ProgressObserver, reads };
}

describe('waitForFinalState', () => {
  it('does not resolve with a read that started before the task finished, though the observer already says finished', async () => {
    // The first read is the state before (another check saw the task finish while it ran); that check's
    // task_finished event brings the read that has settled.
    const stale = view('steps_in_process', 'in_progress');
    const settled = view('blocked_by_failures', 'error');
    const hub = new ProgressHub();
    const { fake, reads } = observer([stale, settled], 'blocked_by_failures');
    const wait = waitForFinalState({ observer: fake, hub, pollMs: 60_000 }, TASK, 5_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(reads).toEqual([stale]);
    hub.emit({ type: 'task_finished', taskUuid: TASK, state: 'blocked_by_failures', at: new Date() });
    await expect(wait.promise).resolves.toBe(settled);
  });

  it('resolves at once with a settled read the observer announced', async () => {
    const settled = view('complete', 'complete');
    const { fake } = observer([settled], 'complete');
    const wait = waitForFinalState({ observer: fake, hub: new ProgressHub(), pollMs: 60_000 }, TASK, 5_000);
    await expect(wait.promise).resolves.toBe(settled);
  });

  it('waits while the observer has not announced the task, even when the read has settled', async () => {
    const settled = view('complete', 'complete');
    const { fake, reads } = observer([settled], undefined);
    const wait = waitForFinalState({ observer: fake, hub: new ProgressHub(), pollMs: 60_000 }, TASK, 5_000);
    let resolved = false;
    void wait.promise.then(
      () => (resolved = true),
      () => undefined,
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect([reads.length, resolved]).toEqual([1, false]);
    wait.cancel();
    await expect(wait.promise).rejects.toThrow(/stopped/);
  });
});
