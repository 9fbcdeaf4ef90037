import type { StepView, TaskView } from '../ports/orchestration-store.js';
import type { ProgressEvent } from './step-progress.js';

/** What was reported of each wait attempt (`step_uuid:attempt`): when it began waiting, and whether it ended. */
export type ReportedWaits = Map<string, { readonly since: Date; ended: boolean }>;

const ENDED_BY_FAILURE: ReadonlySet<string> = new Set(['error', 'cancelled']);

/**
 * The progress of a task's wait steps, each reported once per attempt: `step_waiting` when a wait
 * is seen waiting for its signal, then `step_completed` (signalled, completed on timeout or by an
 * operator) or `step_failed` (timed out, cancelled) when it is seen ended. A wait claimed and ended
 * between two reads is reported by its result alone.
 */
export function waitEvents(task: TaskView, reported: ReportedWaits, now: Date): ProgressEvent[] {
  const events: ProgressEvent[] = [];
  for (const step of task.steps) {
    if (step.stepType !== 'wait') continue;
    const ref = { taskUuid: task.taskUuid, stepUuid: step.stepUuid, stepName: step.name, attempt: step.attempts };
    const key = `${step.stepUuid}:${step.attempts}`;
    const seen = reported.get(key);
    if (step.waitDeadline && !seen) {
      reported.set(key, { since: now, ended: false });
      events.push({ type: 'step_waiting', deadline: new Date(step.waitDeadline), ...ref, at: now });
    } else if (seen && !seen.ended && !step.waitDeadline && step.state !== 'pending') {
      seen.ended = true;
      events.push(ended(step, ref, now.getTime() - seen.since.getTime(), now));
    }
  }
  return events;
}

function ended(
  step: StepView,
  ref: { taskUuid: string; stepUuid: string; stepName: string; attempt: number },
  waitedMs: number,
  now: Date,
): ProgressEvent {
  if (!ENDED_BY_FAILURE.has(step.state)) return { type: 'step_completed', durationMs: waitedMs, ...ref, at: now };
  const error = step.lastError ?? {};
  return {
    type: 'step_failed',
    errorType: String(error.error_type ?? step.state),
    message: String(error.message ?? `the wait ended ${step.state}`),
    ...ref,
    at: now,
  };
}
