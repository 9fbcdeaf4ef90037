import { SqsQueue } from '../../lib/adapters/sqs/sqs-queue.js';
import { domainEventEnvelope, type DomainEventEnvelope } from '../../lib/contracts/domain-event.js';
import {
  TASK_LIFECYCLE_SOURCE,
  taskLifecycleEvent,
  type TaskLifecycleEvent,
} from '../../lib/contracts/task-lifecycle-event.js';
import { createSqsClient } from '../../lib/lambda/aws-clients.js';

/** An event EventBridge delivered to the capture queue. */
export interface CapturedEvent {
  readonly source: string;
  readonly detailType: string;
  readonly detail: unknown;
  /** When EventBridge put it on the capture queue (the message's SentTimestamp). */
  readonly arrivedAt: Date;
}

export interface CapturedDomainEvent extends CapturedEvent {
  readonly envelope: DomainEventEnvelope;
}

/**
 * Drains the capture queue in the background (receive, keep, delete), so a test can assert on
 * every event the bus routed to it and on when each arrived.
 */
export class EventCapture {
  readonly events: CapturedEvent[] = [];
  private readonly client = createSqsClient();
  private readonly queue = new SqsQueue(this.client);
  private stopped = false;
  private readonly loop: Promise<void>;
  readonly problems: string[] = [];

  constructor(private readonly queueUrl: string) {
    this.loop = this.poll();
  }

  /** Domain events (every source but the orchestration's), of one task when given. */
  domainEvents(taskUuid?: string): CapturedDomainEvent[] {
    return this.events.flatMap((e) => {
      if (e.source === TASK_LIFECYCLE_SOURCE) return [];
      const parsed = domainEventEnvelope.safeParse(e.detail);
      if (!parsed.success) return [];
      return taskUuid === undefined || parsed.data.metadata.task_uuid === taskUuid
        ? [{ ...e, envelope: parsed.data }]
        : [];
    });
  }

  lifecycleEvents(taskUuid?: string): TaskLifecycleEvent[] {
    return this.events.flatMap((e) => {
      const parsed = e.source === TASK_LIFECYCLE_SOURCE ? taskLifecycleEvent.safeParse(e.detail) : undefined;
      return parsed?.success && (taskUuid === undefined || parsed.data.task_uuid === taskUuid) ? [parsed.data] : [];
    });
  }

  /** Resolves once `predicate` holds for the captured events; rejects after `timeoutMs`. */
  async waitFor(
    predicate: (capture: EventCapture) => boolean,
    timeoutMs: number,
    what = 'the expected events',
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (Date.now() > deadline)
        throw new Error(
          `${what} did not arrive on the capture queue within ${timeoutMs} ms (captured ${this.events.length})`,
        );
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    this.client.destroy();
  }

  private async poll(): Promise<void> {
    while (!this.stopped) {
      try {
        const batch = await this.queue.receive(this.queueUrl, { maxMessages: 10, waitTimeSeconds: 1 });
        for (const message of batch) {
          const event = JSON.parse(message.body) as { source: string; 'detail-type': string; detail: unknown };
          this.events.push({
            source: event.source,
            detailType: event['detail-type'],
            detail: event.detail,
            arrivedAt: message.sentAt,
          });
          await this.queue.delete(this.queueUrl, message.receiptHandle);
        }
      } catch (error) {
        if (!this.stopped) this.problems.push(error instanceof Error ? error.message : String(error));
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }
}
