import { parkedDomainEventMessage, type ParkedDomainEventWire } from '../contracts/parked-domain-event.js';
import type { EventBus } from '../ports/event-bus.js';
import type { Logger } from '../ports/logger.js';
import type { MessageQueue, ReceivedMessage } from '../ports/message-queue.js';

export interface RedriveDeps {
  readonly queue: MessageQueue;
  readonly bus: EventBus;
  readonly dlqUrl: string;
  readonly logger: Logger;
}

export interface RedriveOptions {
  /** Stop after this many messages have been looked at. */
  readonly maxMessages: number;
  /** Also redrive events parked for their schema or size (they are published as they are). */
  readonly includeRefused?: boolean;
}

export interface RedriveReport {
  redriven: number;
  /** Publish failed again: left on the queue for the next redrive. */
  failed: number;
  /** Parked for a reason a redrive cannot fix (schema, size), or unreadable: left on the queue. */
  skipped: number;
}

/**
 * Puts parked domain events back on the bus: each one published is deleted from the dead-letter
 * queue; the rest stay there, visible again, for the next redrive or an operator.
 */
export async function redriveDomainEvents(deps: RedriveDeps, options: RedriveOptions): Promise<RedriveReport> {
  const report: RedriveReport = { redriven: 0, failed: 0, skipped: 0 };
  const kept: ReceivedMessage[] = [];
  for (let seen = 0; seen < options.maxMessages; ) {
    const batch = await deps.queue.receive(deps.dlqUrl, {
      maxMessages: Math.min(10, options.maxMessages - seen),
      waitTimeSeconds: 0,
      visibilityTimeoutSeconds: 60,
    });
    if (batch.length === 0) break;
    seen += batch.length;
    for (const message of batch) if (!(await redriveOne(deps, message, options, report))) kept.push(message);
  }
  await Promise.all(kept.map((m) => deps.queue.changeVisibility(deps.dlqUrl, m.receiptHandle, 0)));
  deps.logger.info('domain-event redrive finished', { ...report });
  return report;
}

async function redriveOne(
  deps: RedriveDeps,
  message: ReceivedMessage,
  options: RedriveOptions,
  report: RedriveReport,
): Promise<boolean> {
  const parked = parse(message.body);
  if (!parked || (parked.error_code !== 'publish_failed' && !options.includeRefused)) {
    report.skipped += 1;
    deps.logger.warn('parked domain event left on the dead-letter queue', {
      message_id: message.messageId,
      error_code: parked?.error_code ?? 'unreadable',
      event_id: parked?.event_id ?? null,
    });
    return false;
  }
  const outcome = await deps.bus.publish([parked.entry]);
  if (outcome.failed.length > 0) {
    report.failed += 1;
    return false;
  }
  await deps.queue.delete(deps.dlqUrl, message.receiptHandle);
  report.redriven += 1;
  return true;
}

function parse(body: string): ParkedDomainEventWire | null {
  try {
    const parsed = parkedDomainEventMessage.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
