import pc from 'picocolors';
import { describeHeldRetry, heldRetry, type HeldRetry } from '../domain/held-retry.js';
import type { StepView, TaskView, TransitionView } from '../ports/orchestration-store.js';
import type { CapturedDomainEvent } from '../local/embedded-runtime.js';
import type { RetryRecord } from './run-tracker.js';

export interface StepReport {
  readonly name: string;
  readonly state: string;
  readonly attempts: number;
  readonly max_attempts: number;
  readonly result: unknown;
  readonly error: { readonly error_type: string; readonly message: string; readonly [key: string]: unknown } | null;
  /** Failed attempts that were retried, in order (not one whose retry the task holds). */
  readonly retries: ReadonlyArray<{ attempt: number; error_type: string; message: string; retry_in_ms: number | null }>;
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
    readonly completed_at: string | null;
    readonly duration_ms: number | null;
  };
  readonly steps: readonly StepReport[];
  readonly domain_events: ReadonlyArray<{ name: string; step: string; outcome: string; event_id: string; payload: unknown }>;
}

export function buildRunReport(task: TaskView, transitions: readonly TransitionView[], events: readonly CapturedDomainEvent[], retriesOf: (step: string) => readonly RetryRecord[] = () => []): RunReport {
  const durations = stepDurations(transitions);
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
      duration_ms: task.completedAt ? new Date(task.completedAt).getTime() - new Date(task.createdAt).getTime() : null,
    },
    steps: task.steps.map((s) => stepReport(s, durations.get(s.stepUuid) ?? null, retriesOf(s.name), heldRetry(task.state, s, task.steps))),
    domain_events: events.map((e) => ({ name: e.name, step: e.step, outcome: e.outcome, event_id: e.envelope.event_id, payload: e.envelope.payload })),
  };
}

function stepReport(s: StepView, durationMs: number | null, retries: readonly RetryRecord[], held: HeldRetry | null): StepReport {
  return {
    name: s.name,
    state: s.state,
    attempts: s.attempts,
    max_attempts: s.maxAttempts,
    result: s.results ?? null,
    error: errorOf(s.lastError),
    retries: retries.filter((r) => !r.held).map((r) => ({ attempt: r.attempt, error_type: r.errorType, message: r.message, retry_in_ms: r.retryInMs })),
    retry_held: held && { blocked_by: held.blockedBy },
    duration_ms: durationMs,
  };
}

function errorOf(lastError: Record<string, unknown> | null): StepReport['error'] {
  if (!lastError) return null;
  return { ...lastError, error_type: String(lastError.error_type ?? 'unknown'), message: String(lastError.message ?? '') };
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

/** The human summary printed at the end of `tasker run`. */
export function renderSummary(report: RunReport, options: { color?: boolean; events?: boolean } = {}): string[] {
  const c = options.color ? pc : pc.createColors(false);
  const t = report.task;
  const stateColor = t.state === 'complete' ? c.green : c.red;
  const took = t.duration_ms === null ? '' : ` in ${formatMs(t.duration_ms)}`;
  const width = Math.max(4, ...report.steps.map((s) => s.name.length));
  const lines = [`Task ${t.uuid} ${t.namespace}/${t.name}@${t.version}: ${stateColor(c.bold(t.state))}${took}`, ''];
  lines.push(c.dim(`  ${'step'.padEnd(width)}  ${'state'.padEnd(20)} attempts  duration`));
  for (const s of report.steps) {
    const state = (s.state === 'complete' ? c.green : s.state === 'error' ? c.red : c.yellow)(s.state.padEnd(20));
    lines.push(`  ${s.name.padEnd(width)}  ${state} ${`${s.attempts}/${s.max_attempts}`.padEnd(8)}  ${s.duration_ms === null ? '-' : formatMs(s.duration_ms)}`);
    for (const r of s.retries) lines.push(c.dim(`  ${''.padEnd(width)}  ↻ attempt ${r.attempt}: ${r.error_type}: ${r.message}`));
    if (s.retry_held) lines.push(c.yellow(`  ${''.padEnd(width)}  ⏸ ${heldLine(t.state, s)}`));
    else if (s.error && s.state !== 'complete') lines.push(c.red(`  ${''.padEnd(width)}  ✖ ${s.error.error_type}: ${s.error.message}`));
  }
  if (options.events === false) return lines;
  lines.push('', `Domain events (${report.domain_events.length})${report.domain_events.length === 0 ? '' : ':'}`);
  for (const e of report.domain_events) lines.push(`  ${e.name} from ${e.step} (${e.outcome})`);
  return lines;
}

/** The attempt a held retry waits after, and what holds it. */
function heldLine(taskState: string, s: StepReport): string {
  const held = { taskState: taskState === 'error' ? 'error' : 'blocked_by_failures', blockedBy: s.retry_held?.blocked_by ?? [] } as const;
  return `attempt ${s.attempts}: ${s.error?.error_type}: ${s.error?.message}; retry held: ${describeHeldRetry(held)}`;
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(2)} s`;
}
