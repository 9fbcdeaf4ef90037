import { eventLogFields, type PendingEvent } from './pending-event.js';
import type { PullContext } from './pull-context.js';

export interface HeartbeatReport {
  readonly extended: number;
  readonly failed: number;
}

/**
 * Extends the visibility of every pending message (buffered or running) back to the full visibility
 * timeout (ChangeMessageVisibility), so SQS does not redeliver a message whose handler still runs.
 * Never throws: a failure is logged and counted; the next beat tries again.
 */
export async function heartbeat(ctx: PullContext): Promise<HeartbeatReport> {
  const outcomes = await Promise.all(ctx.pending.all().map((event) => extend(event, ctx)));
  const failed = outcomes.filter((ok) => !ok).length;
  return { extended: outcomes.length - failed, failed };
}

async function extend(event: PendingEvent, ctx: PullContext): Promise<boolean> {
  try {
    await ctx.dispatch.changeVisibility(ctx.config.dispatchQueueUrl, event.receiptHandle, ctx.config.visibilityTimeoutSeconds);
    return true;
  } catch (error) {
    if (ctx.pending.get(event.eventId) !== event) return true;
    ctx.counters.heartbeatFailures += 1;
    const problem = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    ctx.deps.logger.warn('heartbeat could not extend the message visibility; SQS may redeliver it', { ...eventLogFields(event), problem });
    return false;
  }
}
