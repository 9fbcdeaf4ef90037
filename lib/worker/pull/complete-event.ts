import type { StepExecutionResult } from '../../contracts/step-execution-result.js';
import { buildStepResult, limitResultSize, subjectOf } from '../step-result.js';
import { answerEvent } from './answer-event.js';
import { eventLogFields, eventResultContext, type PendingEvent } from './pending-event.js';
import type { PullContext } from './pull-context.js';
import { completionOutcome, type StepCompletion } from './step-completion.js';

/**
 * Answers a handed-out event with the caller's completion: result sent first, then the message
 * deleted, then domain events. When the completion send fails after its retries, the event is kept
 * pending (handed out, message undeleted, no events) so the caller may call `complete` again, and
 * false is returned; the deadline still applies, after which the worker answers with a timeout.
 */
export async function completeEvent(event: PendingEvent, completion: StepCompletion, ctx: PullContext): Promise<boolean> {
  event.state = 'answering';
  const result = resultOf(event, completion, ctx);
  const report = await answerEvent(event, result, 'completed', ctx);
  const fields = { ...eventLogFields(event), status: result.status, error_type: result.error?.error_type ?? null, handler_duration_ms: result.timing.duration_ms };
  if (!report.sent) {
    event.state = 'handed_out';
    ctx.counters.completionSendFailures += 1;
    ctx.deps.logger.error('completion not sent; the event stays pending and complete may be called again', { ...fields, problem: report.problem });
    return false;
  }
  ctx.counters.completed += 1;
  ctx.deps.logger.info('step event completed', fields);
  return true;
}

function resultOf(event: PendingEvent, completion: StepCompletion, ctx: PullContext): StepExecutionResult {
  const result = buildStepResult(subjectOf(event.message), completionOutcome(completion), eventResultContext(event, ctx));
  return limitResultSize(result, ctx.deps.config.maxResultBytes);
}
