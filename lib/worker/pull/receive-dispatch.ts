import type { StepDispatchMessage } from '../../contracts/step-dispatch-message.js';
import type { ReceivedMessage } from '../../ports/message-queue.js';
import { moveToPoison } from '../move-to-poison.js';
import { parseDispatchBody } from '../parse-dispatch-body.js';
import { answerInvalid } from '../process-dispatch-record.js';
import { deleteDispatchMessage } from './delete-dispatch-message.js';
import { eventLogFields, pendingEventOf } from './pending-event.js';
import type { PullContext } from './pull-context.js';

/**
 * Receives a small batch from the dispatch queue with a short wait and files each message: a valid
 * one becomes a buffered pending event; an invalid one whose ids are readable is answered with an
 * `invalid_dispatch` failure; one nobody can answer goes to the poison queue. Never throws: a failed
 * receive is logged and counted, and the poll finds nothing.
 */
export async function receiveDispatch(ctx: PullContext): Promise<void> {
  const { config } = ctx;
  let messages: ReceivedMessage[];
  try {
    messages = await ctx.dispatch.receive(config.dispatchQueueUrl, {
      maxMessages: config.receiveBatchSize,
      waitTimeSeconds: config.pollWaitSeconds,
      visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
    });
  } catch (error) {
    ctx.counters.receiveErrors += 1;
    ctx.deps.logger.error('receiving from the dispatch queue failed', { queue_url: config.dispatchQueueUrl, problem: describe(error) });
    return;
  }
  await Promise.all(messages.map((message) => fileMessage(message, ctx)));
}

async function fileMessage(received: ReceivedMessage, ctx: PullContext): Promise<void> {
  ctx.counters.received += 1;
  const parsed = parseDispatchBody(received.body);
  if (parsed.kind === 'valid') return admit(parsed.message, received, ctx);
  if (parsed.kind === 'invalid') {
    ctx.counters.invalid += 1;
    const report = await answerInvalid(parsed.subject, parsed.problems, ctx.deps);
    return settleUnrunnable(received, report.redeliver, { ...report.fields, status: 'invalid_dispatch' }, ctx);
  }
  ctx.counters.poisoned += 1;
  const record = { messageId: received.messageId, body: received.body, receiveCount: received.receiveCount, sourceQueue: ctx.config.dispatchQueueUrl };
  const poison = await moveToPoison(record, parsed.code, parsed.reason, ctx.deps);
  return settleUnrunnable(received, !poison.moved, { status: 'poison', error_type: parsed.code, reason: parsed.reason, problem: poison.problem }, ctx);
}

/** Deletes a message that was answered (failure result or poison entry); leaves it for redelivery otherwise. */
async function settleUnrunnable(received: ReceivedMessage, redeliver: boolean, fields: Record<string, unknown>, ctx: PullContext): Promise<void> {
  const logFields = { ...fields, message_id: received.messageId, receive_count: received.receiveCount, redelivered: redeliver };
  if (redeliver) return ctx.deps.logger.error('dispatch message not answered; left for redelivery', logFields);
  const problem = await deleteDispatchMessage(received.receiptHandle, ctx);
  ctx.deps.logger.warn('dispatch message answered without running a handler', { ...logFields, delete_problem: problem });
}

/**
 * A valid message becomes a pending event, unless its event is already known: the same message
 * delivered again keeps only its newest receipt handle; another copy of a pending or answered event
 * is deleted (the event is answered once, by its first copy).
 */
async function admit(message: StepDispatchMessage, received: ReceivedMessage, ctx: PullContext): Promise<void> {
  const known = ctx.pending.get(message.event_id);
  if (known !== undefined && known.messageId === received.messageId) {
    known.receiptHandle = received.receiptHandle;
    ctx.counters.duplicates += 1;
    ctx.deps.logger.warn('pending dispatch message delivered again; keeping its newest receipt handle', { ...eventLogFields(known), receive_count: received.receiveCount });
    return;
  }
  if (known !== undefined || ctx.pending.finished(message.event_id) !== undefined) return dropDuplicate(message, received, ctx);
  ctx.pending.add(pendingEventOf(message, received, ctx.deps.clock.now(), ctx.config.completionTimeoutMs));
}

async function dropDuplicate(message: StepDispatchMessage, received: ReceivedMessage, ctx: PullContext): Promise<void> {
  ctx.counters.duplicates += 1;
  const problem = await deleteDispatchMessage(received.receiptHandle, ctx);
  const ids = { task_uuid: message.task_uuid, step_uuid: message.step_uuid, event_id: message.event_id, correlation_id: message.correlation_id };
  ctx.deps.logger.warn('duplicate dispatch of an event already pending or answered; deleted', { ...ids, message_id: received.messageId, finished_as: ctx.pending.finished(message.event_id) ?? 'pending', delete_problem: problem });
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
