import { errorMessage } from '../domain/error-message.js';
import type { Clock } from '../ports/clock.js';
import type { EventBus, PublishFailure } from '../ports/event-bus.js';
import type { Logger } from '../ports/logger.js';
import { describeSendFailures, type QueueSender } from '../ports/message-queue.js';
import { buildParkedDomainEventMessage, type ParkedEvent } from './parked-domain-event.js';
import type { EventPlan, PreparedEvent } from './plan-domain-events.js';
import type { RetrySettings } from '../ports/retry-settings.js';
import { sendWithRetry } from '../ports/send-with-retry.js';

export interface PublishDeps {
  readonly bus: EventBus;
  readonly queue: QueueSender;
  /** The domain-event dead-letter queue; without it parked events only go to the error log. */
  readonly dlqUrl: string | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly retry: RetrySettings;
}

export interface PublishReport {
  readonly published: number;
  readonly parked: number;
  /** Events neither published nor parked: written whole to the error log as the last resort. */
  readonly logged: number;
}

/**
 * Publishes the planned events, retrying entries the bus reports failed (all of them when the call
 * throws), then parks what is left, and what the plan refused, on the dead-letter queue. Never throws:
 * a publish failure never fails the step.
 */
export async function publishDomainEvents(plan: EventPlan, deps: PublishDeps): Promise<PublishReport> {
  const unpublished = await publishWithRetry(plan.publish, deps);
  const toPark = [...plan.refused, ...unpublished];
  const logged = await park(toPark, deps);
  return { published: plan.publish.length - unpublished.length, parked: toPark.length - logged, logged };
}

async function publishWithRetry(events: readonly PreparedEvent[], deps: PublishDeps): Promise<ParkedEvent[]> {
  let pending = events;
  let failures: readonly PublishFailure[] = [];
  for (let attempt = 0; pending.length > 0; attempt += 1) {
    failures = await tryPublish(deps.bus, pending);
    pending = pending.filter((e) => failures.some((f) => f.entry.Detail === e.entry.Detail));
    const delay = deps.retry.delaysMs[attempt];
    if (pending.length === 0 || delay === undefined) break;
    deps.logger.warn('domain event publish failed, retrying', { failed: pending.length, retry_in_ms: delay });
    await deps.retry.sleep(delay);
  }
  return pending.map((e) => ({ ...e, code: 'publish_failed', reason: reasonOf(e, failures) }));
}

async function tryPublish(bus: EventBus, events: readonly PreparedEvent[]): Promise<readonly PublishFailure[]> {
  try {
    return (await bus.publish(events.map((e) => e.entry))).failed;
  } catch (error) {
    const message = errorMessage(error);
    return events.map((e) => ({ entry: e.entry, code: error instanceof Error ? error.name : 'PublishError', message }));
  }
}

function reasonOf(event: PreparedEvent, failures: readonly PublishFailure[]): string {
  const failure = failures.find((f) => f.entry.Detail === event.entry.Detail);
  return `publishing ${event.eventName} failed after retries: ${failure?.code ?? 'unknown'}: ${failure?.message ?? ''}`;
}

/** Parks the events; returns how many could only be logged. */
async function park(events: readonly ParkedEvent[], deps: PublishDeps): Promise<number> {
  if (events.length === 0) return 0;
  for (const e of events)
    deps.logger.warn('domain event parked', {
      domain_event_id: e.eventId,
      event_name: e.eventName,
      park_code: e.code,
      reason: e.reason,
    });
  if (deps.dlqUrl === undefined) return logLost(events, deps.logger, 'no domain-event dead-letter queue is configured');
  const parkedAt = deps.clock.now();
  const messages = events.map((e, i) => ({
    id: `parked-${i}`,
    body: JSON.stringify(buildParkedDomainEventMessage(e, parkedAt)),
  }));
  const report = await sendWithRetry(deps.queue, deps.dlqUrl, messages, deps.retry);
  const lost = events.filter((_, i) => report.failed.some((f) => f.id === `parked-${i}`));
  return lost.length === 0
    ? 0
    : logLost(lost, deps.logger, `parking on the dead-letter queue failed: ${describeSendFailures(report.failed)}`);
}

function logLost(events: readonly ParkedEvent[], logger: Logger, why: string): number {
  for (const e of events) {
    logger.error('domain event could not be parked; logged whole for manual redrive', {
      domain_event_id: e.eventId,
      event_name: e.eventName,
      park_code: e.code,
      reason: e.reason,
      why,
      entry: e.entry,
    });
  }
  return events.length;
}
