import type { StepExecutionResult } from '../../contracts/step-execution-result.js';
import type { Logger } from '../../ports/logger.js';
import { planDomainEvents } from '../plan-domain-events.js';
import { publishDomainEvents } from '../publish-domain-events.js';
import { sendResult } from '../send-result.js';
import { deleteDispatchMessage } from './delete-dispatch-message.js';
import { eventLogFields, type PendingEvent } from './pending-event.js';
import type { FinishedAs } from './pending-events.js';
import type { PullContext } from './pull-context.js';
import { settlesWithin } from './settles-within.js';

export type AnswerReport = { readonly sent: true } | { readonly sent: false; readonly problem: string };

/**
 * The dual-channel sequence, as in the Lambda path: the result goes to the completion queue FIRST;
 * only once it is there is the event forgotten, its dispatch message deleted, and its domain events
 * published (bounded by the callback timeout). When the send fails, nothing else happens: the event
 * stays pending, its message undeleted, and no event is published.
 */
export async function answerEvent(event: PendingEvent, result: StepExecutionResult, as: FinishedAs, ctx: PullContext): Promise<AnswerReport> {
  const problem = await sendResult(result, ctx.deps);
  if (problem !== null) return { sent: false, problem };
  ctx.pending.finish(event.eventId, as);
  const logger = ctx.deps.logger.child(eventLogFields(event));
  const undeleted = await deleteDispatchMessage(event.receiptHandle, ctx);
  if (undeleted !== null) logger.warn('dispatch message not deleted after its result was sent; SQS will redeliver it', { problem: undeleted });
  await publishWithinCallbackTimeout(event, result, logger, ctx);
  return { sent: true };
}

async function publishWithinCallbackTimeout(event: PendingEvent, result: StepExecutionResult, logger: Logger, ctx: PullContext): Promise<void> {
  const plan = planDomainEvents(event.message, result, ctx.deps.clock.now());
  if (plan.publish.length === 0 && plan.refused.length === 0) return;
  const publishing = publishDomainEvents(plan, { ...ctx.deps, logger, dlqUrl: ctx.config.domainEventDlqUrl })
    .then((report) => logger.debug('domain events answered', { outcome: plan.outcome, events_published: report.published, events_parked: report.parked, events_logged: report.logged }))
    .catch((error: unknown) => logger.error('domain event publishing failed unexpectedly', { problem: error instanceof Error ? (error.stack ?? error.message) : String(error) }))
    .finally(() => ctx.background.delete(publishing));
  ctx.background.add(publishing);
  if (await settlesWithin(publishing, ctx.config.callbackTimeoutMs)) return;
  ctx.counters.callbackTimeouts += 1;
  logger.warn('domain event publishing outlasted the callback timeout; it goes on in the background', { callback_timeout_ms: ctx.config.callbackTimeoutMs });
}
