import type { StepDispatchMessage } from '../contracts/step-dispatch-message.js';
import type { StepStartedMessage } from '../contracts/step-started-message.js';
import { describeSendFailures } from '../ports/message-queue.js';
import { sendWithRetry } from '../ports/send-with-retry.js';
import { attemptStart, dueStartMarker, type AttemptStart, type Delivery } from './attempt-start.js';
import type { AnswerDeps } from './dispatch-deps.js';

/** An attempt a worker takes up now: its message and what the queue told about this delivery. */
export interface TakenUp {
  readonly message: StepDispatchMessage;
  readonly delivery: Delivery;
}

/**
 * Works out when each attempt taken up together started, and reports the starts that matter (the
 * message waited, or came back) with start markers sent in ONE call on the completion queue, before
 * any handler runs (so a marker precedes its result). No marker for an attempt already past its
 * deadline: it is answered without running. Returns each attempt's start, in order.
 *
 * Best effort: a marker is knowledge, not a condition for running. When the send fails, the failure
 * is logged and the handlers run anyway; an attempt nobody reported started stays protected by its
 * queue's backlog (the sweeper holds it while the queue was seen holding messages; docs/reliability.md).
 */
export async function announceStarts(taken: readonly TakenUp[], deps: AnswerDeps): Promise<AttemptStart[]> {
  const now = deps.clock.now();
  const starts = taken.map((t) => attemptStart(t.message, t.delivery));
  const markers = taken.map((t, i) => dueStartMarker(t.message, starts[i]!, t.delivery, now, deps.config.workerId));
  await sendStartMarkers(
    markers.filter((m): m is StepStartedMessage => m !== null),
    deps,
  );
  return starts;
}

/** Sends start markers in one call, without retries (see announceStarts); a failure is logged, never thrown. */
export async function sendStartMarkers(markers: readonly StepStartedMessage[], deps: AnswerDeps): Promise<void> {
  if (markers.length === 0) return;
  const messages = markers.map((m, i) => ({ id: String(i), body: JSON.stringify(m) }));
  const report = await sendWithRetry(deps.queue, deps.config.completionQueueUrl, messages, {
    delaysMs: [],
    sleep: deps.retry.sleep,
  });
  const unsent = report.failed.length;
  if (unsent === 0) return deps.logger.debug('start markers sent', { markers: markers.length });
  const events = report.failed.map((f) => markers[Number(f.id)]?.event_id ?? null);
  deps.logger.warn('start markers not sent; their attempts stay protected by their queue backlog', {
    markers: markers.length,
    unsent,
    event_ids: events,
    problem: describeSendFailures(report.failed),
  });
}
