import { domainEventEnvelope } from '../contracts/domain-event.js';
import { parkedDomainEventMessage } from '../contracts/parked-domain-event.js';
import type { MessageQueue, OutgoingMessage } from '../ports/message-queue.js';

/** A domain event the step handler did not publish, and why (the park code of the dead-letter queue). */
export interface DroppedDomainEvent {
  readonly taskUuid: string;
  readonly stepName: string;
  readonly eventName: string;
  readonly eventId: string;
  /** `schema_mismatch`, `schema_invalid`, `event_too_large` or `publish_failed`. */
  readonly code: string;
  readonly reason: string;
}

/**
 * Sees the domain events the step handler parks on the domain-event dead-letter queue (a payload
 * that fails its declared schema, an event too large, a publish that kept failing), so a local run
 * can say which events were dropped and why instead of only a warn-level log line.
 *
 * @example
 * ```ts
 * const dropped = new DroppedEventLog();
 * createStepHandlerLambda(handlers, { queue: dropped.wrap(queue, urls.domainEventDlq), ... });
 * dropped.of(taskUuid); // [{ eventName: 'orders.shipped', code: 'schema_mismatch', reason: '…' }]
 * ```
 */
export class DroppedEventLog {
  private readonly events: DroppedDomainEvent[] = [];

  /** The queue, with the sends to `dlqUrl` recorded (and passed on unchanged). */
  wrap(queue: MessageQueue, dlqUrl: string | undefined): MessageQueue {
    if (dlqUrl === undefined) return queue;
    return {
      send: (url, messages) => {
        if (url === dlqUrl) this.record(messages);
        return queue.send(url, messages);
      },
      receive: (url, options) => queue.receive(url, options),
      delete: (url, handle) => queue.delete(url, handle),
      changeVisibility: (url, handle, seconds) => queue.changeVisibility(url, handle, seconds),
    };
  }

  /** The dropped events of a task (of every task when none is given), in the order they were dropped. */
  of(taskUuid?: string): readonly DroppedDomainEvent[] {
    return taskUuid === undefined ? [...this.events] : this.events.filter((e) => e.taskUuid === taskUuid);
  }

  private record(messages: readonly OutgoingMessage[]): void {
    for (const message of messages) {
      const dropped = droppedOf(message.body);
      if (dropped !== null && !this.events.some((e) => e.eventId === dropped.eventId)) this.events.push(dropped);
    }
  }
}

function droppedOf(body: string): DroppedDomainEvent | null {
  const parked = parkedDomainEventMessage.safeParse(parseJson(body));
  if (!parked.success) return null;
  const envelope = domainEventEnvelope.safeParse(parseJson(parked.data.entry.Detail));
  if (!envelope.success) return null;
  const m = envelope.data.metadata;
  return {
    taskUuid: m.task_uuid,
    stepName: m.step_name,
    eventName: parked.data.event_name,
    eventId: parked.data.event_id,
    code: parked.data.error_code,
    reason: parked.data.reason,
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
