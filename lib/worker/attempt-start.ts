import { SCHEMA_VERSION } from '../contracts/schema-version.js';
import type { StepDispatchMessage } from '../contracts/step-dispatch-message.js';
import type { StepStartedMessage } from '../contracts/step-started-message.js';
import type { ReceivedMessage } from '../ports/message-queue.js';

/**
 * A first receive later than this fraction of the dispatch grace after the claim is reported to
 * orchestration with a start marker; a shorter wait leaves the claim's deadline in force (it still
 * holds the run and its redeliveries). The grace is what the message's own deadline leaves beyond
 * the step timeout: `deadline - dispatched_at - timeout_ms` (15 min deployed, so 225 s).
 */
export const START_MARKER_WAIT_FRACTION = 0.25;

/** Nor is a wait under a second: it is noise against budgets of whole seconds (and clock skew between SQS and the database). */
export const START_MARKER_MIN_WAIT_MS = 1_000;

/** What the queue tells about one delivery of a dispatch message. */
export interface Delivery {
  /** The message's first receive (SQS ApproximateFirstReceiveTimestamp); unknown to a consumer that cannot tell. */
  readonly firstReceivedAt?: Date;
  /** How many times it has been received, this time included. */
  readonly receiveCount?: number;
}

/** When an attempt's time started and until when it runs, as orchestration will keep it. */
export interface AttemptStart {
  /** The attempt's deadline: the dispatch deadline, moved by the wait before the first receive when that start is reported. */
  readonly deadline: Date;
  /** The first receive, when it is reported with a start marker; null when the claim's deadline stands. */
  readonly reportedStart: Date | null;
}

/**
 * An attempt's time starts when a handler first takes it up, not when it was claimed: a message
 * that waited (a backlog) or came back (a receive that did not answer it) keeps its whole budget,
 * `deadline - dispatched_at` (step timeout plus grace), counted from its first receive. Both sides
 * derive it from the same facts: the worker from the message and its delivery, orchestration from
 * the start marker that reports `reportedStart`. A message whose first receive is unknown keeps the
 * claim's deadline.
 *
 * @example
 * ```ts
 * // claimed 10:00:00, deadline 10:15:30 (30 s timeout + 15 min grace), first received 10:40:00
 * attemptStart(message, { firstReceivedAt: new Date('2025-12-07T10:40:00Z'), receiveCount: 1 });
 * // { deadline: 10:55:30, reportedStart: 10:40:00 }
 * ```
 */
export function attemptStart(message: StepDispatchMessage, delivery: Delivery): AttemptStart {
  const claimed = Date.parse(message.dispatched_at);
  const deadline = Date.parse(message.deadline);
  const first = delivery.firstReceivedAt?.getTime();
  if (first === undefined || !Number.isFinite(first)) return { deadline: new Date(deadline), reportedStart: null };
  const budget = deadline - claimed;
  const grace = budget - message.timeout_ms;
  const redelivered = (delivery.receiveCount ?? 1) > 1;
  const waited = first - claimed > Math.max(grace * START_MARKER_WAIT_FRACTION, START_MARKER_MIN_WAIT_MS);
  if (!redelivered && !waited) return { deadline: new Date(deadline), reportedStart: null };
  return { deadline: new Date(Math.max(deadline, first + budget)), reportedStart: new Date(first) };
}

/** What a received message's attributes tell about its delivery (a pull worker's receive). */
export function deliveryOf(received: ReceivedMessage): Delivery {
  const first = Number(received.attributes.ApproximateFirstReceiveTimestamp);
  return { receiveCount: received.receiveCount, ...(first > 0 ? { firstReceivedAt: new Date(first) } : {}) };
}

/**
 * The start marker to send for an attempt taken up `now`, or null: none when its start is not
 * reported, nor when it is already past its deadline (it is answered without running).
 */
export function dueStartMarker(
  message: StepDispatchMessage,
  start: AttemptStart,
  delivery: Delivery,
  now: Date,
  workerId: string,
): StepStartedMessage | null {
  if (start.reportedStart === null || start.deadline.getTime() <= now.getTime()) return null;
  return startMarker(message, start.reportedStart, delivery.receiveCount ?? 1, workerId);
}

/** The start marker reporting `startedAt` for the message's attempt. */
function startMarker(
  message: StepDispatchMessage,
  startedAt: Date,
  receiveCount: number,
  workerId: string,
): StepStartedMessage {
  return {
    schema_version: SCHEMA_VERSION,
    message_type: 'step_started',
    event_id: message.event_id,
    task_uuid: message.task_uuid,
    step_uuid: message.step_uuid,
    started_at: startedAt.toISOString(),
    receive_count: Math.max(1, receiveCount),
    worker_id: workerId,
  };
}
