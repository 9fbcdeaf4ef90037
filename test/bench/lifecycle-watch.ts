import { performance } from 'node:perf_hooks';
import type { EventBusEntry } from '../../lib/contracts/domain-event.js';
import { TASK_LIFECYCLE_SOURCE } from '../../lib/contracts/task-lifecycle-event.js';
import type { EventBus, PublishOutcome } from '../../lib/ports/event-bus.js';

interface Finish {
  readonly event: string;
  /** performance.now() when the bus accepted the event. */
  readonly at: number;
}

/** A task ended otherwise than `task.completed`, or did not end in time. */
export class TaskDidNotCompleteError extends Error {
  override readonly name = 'TaskDidNotCompleteError';
}

/**
 * The bus orchestration publishes lifecycle events on, passed through to the real bus: notes
 * when each task's `task.completed` (or other final event) was accepted, so a benchmark learns
 * of completion the way a subscriber would, without polling the database.
 */
export class LifecycleWatch implements EventBus {
  private readonly finished = new Map<string, Finish>();
  private readonly waiters = new Map<string, (finish: Finish) => void>();

  constructor(private readonly inner: EventBus) {}

  async publish(entries: readonly EventBusEntry[]): Promise<PublishOutcome> {
    const outcome = await this.inner.publish(entries);
    const failed = new Set(outcome.failed.map((f) => f.entry));
    const at = performance.now();
    for (const entry of entries) if (!failed.has(entry) && entry.Source === TASK_LIFECYCLE_SOURCE) this.note(entry, at);
    return outcome;
  }

  /** When the task's `task.completed` was accepted (performance.now()); rejects on another final event or after timeoutMs. */
  completion(taskUuid: string, timeoutMs: number): Promise<number> {
    const known = this.finished.get(taskUuid);
    if (known) return Promise.resolve(settle(taskUuid, known));
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(taskUuid);
        reject(new TaskDidNotCompleteError(`task ${taskUuid} did not complete within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(taskUuid, (finish) => {
        clearTimeout(timer);
        try {
          resolve(settle(taskUuid, finish));
        } catch (error) {
          reject(error);
        }
      });
    });
  }

  get finishedCount(): number {
    return this.finished.size;
  }

  private note(entry: EventBusEntry, at: number): void {
    const detail = JSON.parse(entry.Detail) as { task_uuid: string; event_name: string };
    const finish = { event: detail.event_name, at };
    this.finished.set(detail.task_uuid, finish);
    this.waiters.get(detail.task_uuid)?.(finish);
    this.waiters.delete(detail.task_uuid);
  }
}

function settle(taskUuid: string, finish: Finish): number {
  if (finish.event !== 'task.completed')
    throw new TaskDidNotCompleteError(`task ${taskUuid} ended with ${finish.event}`);
  return finish.at;
}
