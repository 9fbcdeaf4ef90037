import type { HeldRetry } from '../domain/held-retry.js';
import type { TaskState } from '../domain/task-state.js';

interface StepRef {
  readonly taskUuid: string;
  readonly stepUuid: string;
  readonly stepName: string;
  readonly attempt: number;
  readonly at: Date;
}

/** What the embedded runtime reports as tasks run (for a live view, plain progress lines, or a test). */
export type ProgressEvent =
  | ({ readonly type: 'step_started'; readonly maxAttempts: number } & StepRef)
  | ({ readonly type: 'step_completed'; readonly durationMs: number } & StepRef)
  /** A wait step waits for its signal until `deadline` (lib/local/wait-progress.ts). */
  | ({ readonly type: 'step_waiting'; readonly deadline: Date } & StepRef)
  | ({
      readonly type: 'step_retrying';
      readonly retryInMs: number | null;
      readonly errorType: string;
      readonly message: string;
    } & StepRef)
  | ({ readonly type: 'step_failed'; readonly errorType: string; readonly message: string } & StepRef)
  /** The step waits for a retry its task will not give it: the task is blocked (or failed) by `held.blockedBy`. `attempt` is the failed one. */
  | ({
      readonly type: 'step_retry_held';
      readonly held: HeldRetry;
      readonly errorType: string;
      readonly message: string;
    } & StepRef)
  | {
      readonly type: 'domain_event';
      readonly taskUuid: string;
      readonly stepName: string;
      readonly eventName: string;
      readonly outcome: string;
      readonly at: Date;
    }
  | { readonly type: 'task_finished'; readonly taskUuid: string; readonly state: TaskState; readonly at: Date };

export type ProgressListener = (event: ProgressEvent) => void;

/** Fans progress events out to listeners; a listener that throws never disturbs the runtime. */
export class ProgressHub {
  private readonly listeners = new Set<ProgressListener>();

  on(listener: ProgressListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: ProgressEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // a broken listener is the listener's problem
      }
    }
  }
}
