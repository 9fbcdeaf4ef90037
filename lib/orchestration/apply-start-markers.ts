import type { StepStartedMessage } from '../contracts/step-started-message.js';
import { errorMessage } from '../domain/error-message.js';
import type { OrchestrationDeps } from './orchestration-deps.js';

/** How applying a batch's start markers went: null when applied, else why the database refused the call. */
export type StartMarkersOutcome = { readonly problem: string | null };

/**
 * Applies the start markers of one completion batch in one store call: each open attempt a worker
 * reported started gets its start, and its deadline moves by the time its message waited (see
 * lib/worker/attempt-start.ts). A marker for a closed, unknown or already started attempt changes
 * nothing, so duplicates and late markers are harmless. A database failure comes back as `problem`
 * and the caller lets the queue redeliver the markers.
 *
 * @example
 * ```ts
 * const { problem } = await applyStartMarkers(deps, markers); // null: applied (or nothing to apply)
 * ```
 */
export async function applyStartMarkers(
  deps: OrchestrationDeps,
  markers: readonly StepStartedMessage[],
): Promise<StartMarkersOutcome> {
  if (markers.length === 0) return { problem: null };
  const starts = markers.map((m) => ({ eventId: m.event_id, startedAt: new Date(m.started_at) }));
  try {
    const marked = await deps.store.markAttemptsStarted(starts);
    deps.logger.info('start markers applied', { markers: markers.length, marked });
    return { problem: null };
  } catch (error) {
    return { problem: errorMessage(error) };
  }
}
