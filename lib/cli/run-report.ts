import { heldRetry, type HeldRetry } from '../domain/held-retry.js';
import type { StepView, TaskView, TransitionView } from '../ports/orchestration-store.js';
import type { CapturedDomainEvent } from '../local/embedded-runtime.js';
import type { DroppedDomainEvent } from '../local/dropped-events.js';
import type { HandlerFailure } from '../local/handler-failures.js';
import { FINAL_TASK_STATES } from '../local/progress-observer.js';
import type { RetryRecord } from './run-tracker.js';

export interface StepReport {
  readonly name: string;
  /** An instance of a batch worker: its batch index (instances share the step's name). */
  readonly batch_index?: number;
  readonly state: string;
  readonly attempts: number;
  readonly max_attempts: number;
  readonly result: unknown;
  /** The last attempt's error; `stack` (its first frames) when the handler threw it in this process. */
  readonly error: {
    readonly error_type: string;
    readonly message: string;
    readonly stack?: string;
    readonly [key: string]: unknown;
  } | null;
  /** Failed attempts that were retried, in order (not one whose retry the task holds). */
  readonly retries: ReadonlyArray<{
    attempt: number;
    error_type: string;
    message: string;
    retry_in_ms: number | null;
    stack?: string;
  }>;
  /** The step waits for a retry its task holds: the task is blocked_by_failures (or failed to error) by these steps. */
  readonly retry_held: { readonly blocked_by: readonly string[] } | null;
  /** From the step's first dispatch to its last transition. */
  readonly duration_ms: number | null;
}

/** The document `tasker run --json` prints. */
export interface RunReport {
  readonly task: {
    readonly uuid: string;
    readonly namespace: string;
    readonly name: string;
    readonly version: string;
    readonly state: string;
    readonly correlation_id: string;
    readonly created_at: string;
    /** When the task completed; null in any other state. */
    readonly completed_at: string | null;
    /** When the task reached its final state (complete, blocked_by_failures, error, …); null while it runs. */
    readonly finished_at: string | null;
    /** From creation to finished_at. */
    readonly duration_ms: number | null;
  };
  readonly steps: readonly StepReport[];
  readonly domain_events: ReadonlyArray<{
    name: string;
    step: string;
    outcome: string;
    event_id: string;
    payload: unknown;
  }>;
  /** Domain events that were not published, and why (known to the process that ran the task). */
  readonly dropped_domain_events?: ReadonlyArray<{
    name: string;
    step: string;
    code: string;
    reason: string;
    event_id: string;
  }>;
  /** Why the command failed, when it did (`tasker run`: the task did not complete, or the wait timed out). */
  readonly error?: { readonly code: string; readonly message: string };
}

/** What a report is made of besides the task and its transitions: what the process that ran it saw. */
export interface ReportSources {
  readonly events?: readonly CapturedDomainEvent[];
  /** A step's retries; a batch instance's alone when given its uuid. */
  readonly retriesOf?: (step: string, stepUuid?: string) => readonly RetryRecord[];
  readonly failures?: readonly HandlerFailure[];
  readonly dropped?: readonly DroppedDomainEvent[];
}

export function buildRunReport(
  task: TaskView,
  transitions: readonly TransitionView[],
  sources: ReportSources = {},
): RunReport {
  const durations = stepDurations(transitions);
  const finishedAt = finishedAtOf(task, transitions);
  const stackOf = (step: string, attempt: number) =>
    sources.failures?.find((f) => f.stepName === step && f.attempt === attempt)?.stack;
  return {
    task: {
      uuid: task.taskUuid,
      namespace: task.namespace,
      name: task.name,
      version: task.version,
      state: task.state,
      correlation_id: task.correlationId,
      created_at: new Date(task.createdAt).toISOString(),
      completed_at: task.completedAt ? new Date(task.completedAt).toISOString() : null,
      finished_at: finishedAt ? finishedAt.toISOString() : null,
      duration_ms: finishedAt ? finishedAt.getTime() - new Date(task.createdAt).getTime() : null,
    },
    steps: task.steps.map((s) =>
      stepReport(
        s,
        durations.get(s.stepUuid) ?? null,
        sources.retriesOf?.(s.name, s.stepUuid) ?? [],
        stackOf,
        heldRetry(task.state, s, task.steps),
      ),
    ),
    domain_events: (sources.events ?? []).map((e) => ({
      name: e.name,
      step: e.step,
      outcome: e.outcome,
      event_id: e.envelope.event_id,
      payload: e.envelope.payload,
    })),
    ...(sources.dropped
      ? {
          dropped_domain_events: sources.dropped.map((d) => ({
            name: d.eventName,
            step: d.stepName,
            code: d.code,
            reason: d.reason,
            event_id: d.eventId,
          })),
        }
      : {}),
  };
}

type StackOf = (step: string, attempt: number) => string | undefined;

function stepReport(
  s: StepView,
  durationMs: number | null,
  retries: readonly RetryRecord[],
  stackOf: StackOf,
  held: HeldRetry | null,
): StepReport {
  return {
    name: s.name,
    ...(s.batch ? { batch_index: s.batch.index } : {}),
    state: s.state,
    attempts: s.attempts,
    max_attempts: s.maxAttempts,
    result: s.results ?? null,
    error: errorOf(s.lastError, s.lastError?.error_type === 'handler_error' ? stackOf(s.name, s.attempts) : undefined),
    retries: retries
      .filter((r) => !r.held)
      .map((r) => {
        const stack = r.errorType === 'handler_error' ? stackOf(s.name, r.attempt) : undefined;
        return {
          attempt: r.attempt,
          error_type: r.errorType,
          message: r.message,
          retry_in_ms: r.retryInMs,
          ...(stack ? { stack } : {}),
        };
      }),
    retry_held: held && { blocked_by: held.blockedBy },
    duration_ms: durationMs,
  };
}

function errorOf(lastError: Record<string, unknown> | null, stack: string | undefined): StepReport['error'] {
  if (!lastError) return null;
  return {
    ...lastError,
    error_type: String(lastError.error_type ?? 'unknown'),
    message: String(lastError.message ?? ''),
    ...(stack ? { stack } : {}),
  };
}

/** When the task reached its final state: completed_at, else its last transition into that state. */
export function finishedAtOf(task: TaskView, transitions: readonly TransitionView[]): Date | null {
  if (task.completedAt) return new Date(task.completedAt);
  if (!FINAL_TASK_STATES.includes(task.state)) return null;
  const last = transitions.filter((t) => t.entity === 'task' && t.toState === task.state).at(-1);
  return last ? new Date(last.createdAt) : null;
}

/** Per step: from its first `enqueued` transition to its last transition. */
export function stepDurations(transitions: readonly TransitionView[]): Map<string, number> {
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  for (const t of transitions.filter((x) => x.entity === 'step')) {
    const at = new Date(t.createdAt).getTime();
    if (t.toState === 'enqueued' && !first.has(t.uuid)) first.set(t.uuid, at);
    if (first.has(t.uuid)) last.set(t.uuid, at);
  }
  return new Map([...first].map(([uuid, start]) => [uuid, (last.get(uuid) ?? start) - start]));
}
