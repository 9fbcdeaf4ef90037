import type { TaskState } from '../domain/task-state.js';
import type { TaskView } from '../ports/orchestration-store.js';
import { RuntimeStoppedError, TaskWaitTimeoutError } from './errors.js';
import { taskHasSettled, type ProgressObserver } from './progress-observer.js';
import type { ProgressHub } from './step-progress.js';

export interface WaitDeps {
  readonly observer: ProgressObserver;
  readonly hub: ProgressHub;
  /** Checked every `pollMs` too, for a task that finished in a way the observer did not see (another process). */
  readonly pollMs: number;
}

/** A wait that can be cancelled (when the runtime stops). */
export interface PendingWait {
  readonly promise: Promise<TaskView>;
  cancel(): void;
}

/**
 * Resolves with the task once it is in a final state and the observer has announced it (so every
 * step event of the task came first); rejects on timeout or cancel.
 */
export function waitForFinalState(deps: WaitDeps, taskUuid: string, timeoutMs: number): PendingWait {
  let settle: { resolve: (task: TaskView) => void; reject: (error: Error) => void } | undefined;
  const promise = new Promise<TaskView>((resolve, reject) => (settle = { resolve, reject }));
  let lastState: TaskState | null = null;
  let done = false;
  let pollTimer: NodeJS.Timeout | undefined;
  const finish = (outcome: TaskView | Error) => {
    if (done) return;
    done = true;
    unsubscribe();
    clearTimeout(pollTimer);
    clearTimeout(deadline);
    if (outcome instanceof Error) settle?.reject(outcome);
    else settle?.resolve(outcome);
  };
  /**
   * A failed read (database busy or closing) is retried by the next poll. The view must have settled itself: a read
   * that started before another check saw the task finish comes back with the state before, while the observer
   * already says finished (that check's task_finished event brings a read of its own).
   */
  const check = async () => {
    const task = await deps.observer.checkTask(taskUuid).catch(() => undefined);
    if (task === undefined) return;
    lastState = task?.state ?? null;
    if (task && taskHasSettled(task) && deps.observer.finishedState(taskUuid) !== undefined) finish(task);
  };
  const unsubscribe = deps.hub.on((event) => {
    if (event.type === 'task_finished' && event.taskUuid === taskUuid) void check();
  });
  const poll = () => {
    if (!done) pollTimer = setTimeout(() => void check().then(poll), deps.pollMs);
  };
  const deadline = setTimeout(() => finish(new TaskWaitTimeoutError(taskUuid, timeoutMs, lastState)), timeoutMs);
  void check().then(poll);
  return {
    promise,
    cancel: () => finish(new RuntimeStoppedError(`the runtime stopped while waiting for task ${taskUuid}`)),
  };
}
