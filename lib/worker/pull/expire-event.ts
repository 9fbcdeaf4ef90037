import { stepError } from '../step-errors.js';
import { buildStepResult, subjectOf } from '../step-result.js';
import { answerEvent } from './answer-event.js';
import { eventLogFields, eventResultContext, type PendingEvent } from './pending-event.js';
import type { PullContext } from './pull-context.js';

/**
 * Answers an event past its deadline on its handler's behalf: a `handler_timeout` failure is sent,
 * then the message deleted, then the failure's domain events published. A later `complete` is
 * refused. When the send fails the event stays pending and the next check tries again.
 */
export async function expireEvent(event: PendingEvent, ctx: PullContext): Promise<boolean> {
  const previous = event.state;
  event.state = 'answering';
  const error = stepError('handler_timeout', timeoutMessage(event, previous === 'buffered'), event.deadlineBound);
  const result = buildStepResult(subjectOf(event.message), { status: 'failure', error }, eventResultContext(event, ctx));
  const report = await answerEvent(event, result, 'timed_out', ctx);
  const fields = { ...eventLogFields(event), deadline: event.deadline.toISOString(), deadline_bound: event.deadlineBound, was: previous };
  if (!report.sent) {
    event.state = previous;
    ctx.deps.logger.error('timeout failure could not be sent; the next check tries again', { ...fields, problem: report.problem });
    return false;
  }
  ctx.counters.timedOut += 1;
  ctx.deps.logger.warn('step event timed out; a handler_timeout failure was sent on its behalf', { ...fields, error_type: 'handler_timeout' });
  return true;
}

function timeoutMessage(event: PendingEvent, neverHandedOut: boolean): string {
  const bound = event.deadlineBound.replaceAll('_', ' ');
  const detail = neverHandedOut ? 'the event was not handed to a handler before its deadline' : 'no completion arrived before its deadline';
  return `handler timed out (deadline set by ${bound}, ${event.deadline.toISOString()}): ${detail}`;
}
