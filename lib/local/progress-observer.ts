import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { domainEventEnvelope, type EventBusEntry } from '../contracts/domain-event.js';
import type { StepExecutionResult } from '../contracts/step-execution-result.js';
import { TASK_LIFECYCLE_SOURCE } from '../contracts/task-lifecycle-event.js';
import { errorMessage } from '../domain/error-message.js';
import { IN_FLIGHT_STEP_STATES } from '../domain/step-state.js';
import type { TaskState } from '../domain/task-state.js';
import type { Logger } from '../ports/logger.js';
import type { OrchestrationStore, TaskView } from '../ports/orchestration-store.js';
import { classify, heldRetryEvents } from './result-progress.js';
import { waitEvents, type ReportedWaits } from './wait-progress.js';
import type { SqsLambdaHandler } from './sqs-lambda-runner.js';
import type { ProgressEvent, ProgressHub } from './step-progress.js';

/** States in which a task may rest: the engine moves it no further on its own (a blocked task: once nothing of it is in flight and its grace is over). */
export const FINAL_TASK_STATES: readonly TaskState[] = [
  'complete',
  'blocked_by_failures',
  'error',
  'cancelled',
  'resolved_manually',
];

/**
 * Whether a task waits for nobody (`waitForTask` returns then): it is in a final state, and, when
 * blocked_by_failures, no step of it is in flight (an in-flight sibling's result still fails it).
 */
export function taskHasSettled(task: TaskView): boolean {
  if (!FINAL_TASK_STATES.includes(task.state)) return false;
  return task.state !== 'blocked_by_failures' || !task.steps.some((s) => IN_FLIGHT_STEP_STATES.includes(s.state));
}

export interface ProgressObserverDeps {
  readonly store: OrchestrationStore;
  readonly hub: ProgressHub;
  readonly logger: Logger;
  readonly now?: () => Date;
}

/**
 * Turns what the real Lambdas do into progress events without changing it: a dispatch record
 * entering the step handler is "started"; after the completion function applied a result, the
 * step's new state says whether it completed, will retry (and when) or failed; a task whose state
 * became final is "finished" once. Domain events are seen on the bus.
 */
export class ProgressObserver {
  private readonly finished = new Map<string, TaskState>();
  private readonly reported = new Set<string>();
  /** `${step_uuid}:${attempt}` of the held retries reported. */
  private readonly heldReported = new Set<string>();
  private readonly waitsReported: ReportedWaits = new Map();
  /** task -> ids of the completion runs in progress for it. */
  private readonly inCompletion = new Map<string, Set<number>>();
  private readonly overlapped = new Set<string>();
  /** Step starts waiting for the completion runs that may have dispatched them. */
  private readonly held = new Map<string, Array<{ event: ProgressEvent; waitingFor: Set<number> }>>();
  private nextRun = 0;
  private readonly pending = new Set<Promise<void>>();
  private readonly now: () => Date;

  constructor(private readonly deps: ProgressObserverDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** The final state of a task this observer saw finish. */
  finishedState(taskUuid: string): TaskState | undefined {
    return this.finished.get(taskUuid);
  }

  wrapDispatch(handler: SqsLambdaHandler): SqsLambdaHandler {
    return async (event, context) => {
      for (const record of event.Records) this.started(record);
      return handler(event, context);
    };
  }

  wrapCompletion(handler: SqsLambdaHandler): SqsLambdaHandler {
    return async (event, context) => {
      const bodies = event.Records.map((r) => parseBody(r.body));
      const tasks = [...new Set(bodies.map((b) => b?.task_uuid).filter((t): t is string => typeof t === 'string'))];
      this.nextRun += 1;
      const run = this.nextRun;
      for (const t of tasks) this.inCompletion.set(t, (this.inCompletion.get(t) ?? new Set()).add(run));
      const views = new Map<string, TaskView | null>();
      try {
        const response = await handler(event, context);
        await this.afterCompletion(event.Records, bodies, response as SQSBatchResponse | undefined, tasks, views);
        return response;
      } finally {
        await Promise.all(tasks.map((t) => this.release(t, run, views.get(t))));
      }
    };
  }

  /** A bus entry: a domain event is reported; a lifecycle event finishes its task unless a completion run will. */
  onBusEntry(entry: EventBusEntry): void {
    if (entry.Source === TASK_LIFECYCLE_SOURCE) {
      const taskUuid = (parseBody(entry.Detail) as { task_uuid?: unknown } | null)?.task_uuid;
      if (typeof taskUuid !== 'string') return;
      if (this.inCompletion.has(taskUuid)) this.overlapped.add(taskUuid);
      else this.track(this.checkTask(taskUuid));
      return;
    }
    const parsed = domainEventEnvelope.safeParse(parseBody(entry.Detail));
    if (!parsed.success) return;
    const e = parsed.data;
    this.emitInOrder(e.metadata.task_uuid, {
      type: 'domain_event',
      taskUuid: e.metadata.task_uuid,
      stepName: e.metadata.step_name,
      eventName: e.event_name,
      outcome: e.metadata.outcome,
      at: this.now(),
    });
  }

  /**
   * Reads the task; emits `task_finished` the first time it is seen in a final state, unless a
   * completion run of the task is in progress (its end will, after reporting its steps).
   */
  async checkTask(taskUuid: string, view?: TaskView | null): Promise<TaskView | null> {
    const task = view ?? (await this.deps.store.getTask(taskUuid));
    if (task && !this.inCompletion.has(taskUuid)) this.reportHeld(task);
    if (task) this.reportWaits(task);
    if (task && taskHasSettled(task) && !this.finished.has(taskUuid) && !this.inCompletion.has(taskUuid)) {
      this.finished.set(taskUuid, task.state);
      this.emit({ type: 'task_finished', taskUuid, state: task.state, at: this.now() });
    }
    return task;
  }

  /** Waits for checks still running (before the database closes). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  /**
   * A step starting while a completion run of its task is still in progress was dispatched by that
   * run: its start is held until the run has reported the results that made it ready.
   */
  private started(record: SQSRecord): void {
    const m = parseBody(record.body);
    if (m?.message_type !== 'step_dispatch' || typeof m.task_uuid !== 'string') return;
    const event: ProgressEvent = {
      type: 'step_started',
      taskUuid: m.task_uuid,
      stepUuid: String(m.step_uuid),
      stepName: String(m.step_name),
      attempt: Number(m.attempt),
      maxAttempts: Number(m.max_attempts),
      at: this.now(),
    };
    this.emitInOrder(m.task_uuid, event);
  }

  /** Emits now, or holds behind the task's running completion runs and earlier held events (which it never overtakes). */
  private emitInOrder(taskUuid: string, event: ProgressEvent): void {
    const earlier = this.held.get(taskUuid) ?? [];
    const waitingFor = new Set([
      ...(this.inCompletion.get(taskUuid) ?? []),
      ...earlier.flatMap((h) => [...h.waitingFor]),
    ]);
    if (waitingFor.size === 0) {
      this.emit(event);
      return;
    }
    this.held.set(taskUuid, [...earlier, { event, waitingFor }]);
  }

  /** Reports the applied results from one read of each task; the task itself is finished on release. */
  private async afterCompletion(
    records: readonly SQSRecord[],
    bodies: ReturnType<typeof parseBody>[],
    response: SQSBatchResponse | undefined,
    tasks: readonly string[],
    views: Map<string, TaskView | null>,
  ): Promise<void> {
    const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    const results = bodies.filter(
      (m, i): m is StepExecutionResult => !failed.has(records[i]!.messageId) && m?.message_type === 'step_result',
    );
    try {
      for (const taskUuid of tasks) {
        const task = await this.deps.store.getTask(taskUuid);
        views.set(taskUuid, task);
        for (const result of results.filter((r) => r.task_uuid === taskUuid)) this.reportResult(result, task);
        if (task) this.reportHeld(task);
        if (task) this.reportWaits(task);
      }
    } catch (error) {
      this.deps.logger.warn('progress could not be read', { error: errorMessage(error) });
    }
  }

  private reportResult(result: StepExecutionResult, task: TaskView | null): void {
    const step = task?.steps.find((s) => s.stepUuid === result.step_uuid);
    if (!task || !step || this.reported.has(result.event_id)) return;
    this.reported.add(result.event_id);
    const ref = {
      taskUuid: result.task_uuid,
      stepUuid: result.step_uuid,
      stepName: step.name,
      attempt: result.attempt ?? step.attempts,
      at: this.now(),
    };
    const event = classify(result, step, task, ref, this.now());
    if (event) this.emit(event);
  }

  /** Once per step attempt: a retry its blocked (or failed) task holds. */
  private reportHeld(task: TaskView): void {
    for (const event of heldRetryEvents(task, this.now())) {
      const key = `${event.stepUuid}:${event.attempt}`;
      if (this.heldReported.has(key)) continue;
      this.heldReported.add(key);
      this.emit(event);
    }
  }

  /** Once per wait attempt: waiting for its signal, then how it ended (wait-progress.ts). */
  private reportWaits(task: TaskView): void {
    for (const event of waitEvents(task, this.waitsReported, this.now())) this.emit(event);
  }

  /**
   * The last completion run of a task to end finishes it, so `task_finished` follows every step
   * event of the task. Its own read is reused when already final; a fresh read is needed only when
   * another run of the task ended meanwhile (and may have applied later results).
   */
  private async release(taskUuid: string, run: number, view: TaskView | null | undefined): Promise<void> {
    const runs = this.inCompletion.get(taskUuid);
    runs?.delete(run);
    this.emitReleased(taskUuid, run);
    if (runs && runs.size > 0) {
      this.overlapped.add(taskUuid);
      return;
    }
    this.inCompletion.delete(taskUuid);
    const stale = this.overlapped.delete(taskUuid) || view === undefined;
    const final = view && taskHasSettled(view);
    if (final || stale) await this.checkTask(taskUuid, final ? view : undefined).catch(() => null);
  }

  /** Emits the held starts that no longer wait for any completion run. */
  private emitReleased(taskUuid: string, run: number): void {
    const held = this.held.get(taskUuid) ?? [];
    for (const h of held) h.waitingFor.delete(run);
    for (const h of held.filter((h) => h.waitingFor.size === 0)) this.emit(h.event);
    const still = held.filter((h) => h.waitingFor.size > 0);
    if (still.length > 0) this.held.set(taskUuid, still);
    else this.held.delete(taskUuid);
  }

  private track(work: Promise<unknown>): void {
    const p = work.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private emit(event: ProgressEvent): void {
    this.deps.hub.emit(event);
  }
}

function parseBody(body: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
