import { describeHeldRetry, type HeldRetry } from '../domain/held-retry.js';
import type { TaskTemplate } from '../domain/task-template.js';
import type { ProgressEvent } from '../local/step-progress.js';
import type { DagNode, DisplayStatus } from './dag-picture.js';

export interface RetryRecord {
  readonly attempt: number;
  readonly errorType: string;
  readonly message: string;
  readonly retryInMs: number | null;
  /** Set while the retry after this attempt is held by the blocked (or failed) task: it has not happened. */
  readonly held?: HeldRetry;
}

interface StepRow {
  status: DisplayStatus;
  attempts: number;
  maxAttempts: number;
  startedAt: number | undefined;
  durationMs: number | undefined;
  note: string | undefined;
  retries: RetryRecord[];
}

/**
 * The progress of one task run, from the runtime's progress events: each step's status, attempts
 * and retries. Events that arrive before the task's uuid is known (a root step can start before
 * createTask returns) are held and replayed by `setTask`.
 */
export class RunTracker {
  private readonly rows = new Map<string, StepRow>();
  private readonly early: ProgressEvent[] = [];
  private taskUuid: string | undefined;
  readonly startedAt = Date.now();

  constructor(readonly template: TaskTemplate) {
    for (const s of template.steps) {
      this.rows.set(s.name, {
        status: 'pending',
        attempts: 0,
        maxAttempts: s.retry.maxAttempts,
        startedAt: undefined,
        durationMs: undefined,
        note: undefined,
        retries: [],
      });
    }
  }

  /** Sets the task and returns the held events that belong to it, applied. */
  setTask(taskUuid: string): ProgressEvent[] {
    this.taskUuid = taskUuid;
    const mine = this.early.splice(0).filter((e) => e.taskUuid === taskUuid);
    for (const e of mine) this.update(e);
    return mine;
  }

  /** Applies an event of this task; false for another task's (or one held until the task is known). */
  apply(event: ProgressEvent): boolean {
    if (this.taskUuid === undefined) {
      this.early.push(event);
      return false;
    }
    if (event.taskUuid !== this.taskUuid) return false;
    this.update(event);
    return true;
  }

  nodes(): DagNode[] {
    return this.template.steps.map((s) => {
      const row = this.rows.get(s.name) as StepRow;
      const running =
        row.status === 'running' && row.startedAt !== undefined ? `${Date.now() - row.startedAt} ms` : undefined;
      const note = row.note ?? running;
      return {
        name: s.name,
        dependencies: s.dependencies,
        status: row.status,
        attempts: row.attempts,
        maxAttempts: row.maxAttempts,
        ...(note ? { note } : {}),
        ...(s.type === 'wait' ? { kind: 'wait' as const } : {}),
      };
    });
  }

  retries(stepName: string): readonly RetryRecord[] {
    return this.rows.get(stepName)?.retries ?? [];
  }

  finishedCount(): number {
    return [...this.rows.values()].filter((r) => r.status === 'complete' || r.status === 'failed').length;
  }

  get total(): number {
    return this.rows.size;
  }

  private update(event: ProgressEvent): void {
    if (!('stepName' in event) || event.type === 'domain_event') return;
    const row = this.rows.get(event.stepName);
    if (!row) return;
    if (event.type === 'step_started') {
      row.retries = row.retries.map(({ held: _released, ...r }) => r);
      Object.assign(row, {
        status: 'running',
        attempts: Math.max(row.attempts, event.attempt),
        maxAttempts: event.maxAttempts,
        startedAt: event.at.getTime(),
        note: undefined,
      });
    } else if (event.type === 'step_retry_held') {
      const held: RetryRecord = {
        attempt: event.attempt,
        errorType: event.errorType,
        message: event.message,
        retryInMs: null,
        held: event.held,
      };
      row.retries = [...row.retries.filter((r) => r.attempt !== event.attempt), held];
      if (row.attempts <= event.attempt)
        Object.assign(row, {
          status: 'held',
          attempts: event.attempt,
          note: `retry held: ${describeHeldRetry(event.held)}`,
        });
    } else if (event.type === 'step_waiting') {
      Object.assign(row, {
        status: 'waiting',
        attempts: Math.max(row.attempts, event.attempt),
        note: `waiting for a signal until ${event.deadline.toISOString().slice(11, 19)} UTC`,
      });
    } else if (event.type === 'step_completed') {
      Object.assign(row, {
        status: 'complete',
        attempts: Math.max(row.attempts, event.attempt),
        note: `${event.durationMs} ms`,
      });
    } else if (event.type === 'step_retrying') {
      row.retries.push({
        attempt: event.attempt,
        errorType: event.errorType,
        message: event.message,
        retryInMs: event.retryInMs,
      });
      if (row.attempts <= event.attempt)
        Object.assign(row, { status: 'retrying', note: `${event.errorType}: ${event.message}` });
    } else {
      Object.assign(row, {
        status: 'failed',
        attempts: Math.max(row.attempts, event.attempt),
        note: `${event.errorType}: ${event.message}`,
      });
    }
  }
}
