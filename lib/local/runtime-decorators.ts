import type { EventBus } from '../ports/event-bus.js';
import type { MessageQueue } from '../ports/message-queue.js';
import type { QueueUrls, Transport } from './embedded-transport.js';
import type { SqsLambdaHandler } from './sqs-lambda-runner.js';

/**
 * Decorators the embedded runtime applies to what it wires together, for fault injection (the
 * reliability suite): the queues and the bus as the runners, both Lambdas, orchestration and the
 * sweeper see them, and the two functions as their event-source runners invoke them.
 */
export interface RuntimeDecorators {
  readonly queue?: (queue: MessageQueue, urls: QueueUrls) => MessageQueue;
  readonly bus?: (bus: EventBus) => EventBus;
  readonly stepHandler?: (handler: SqsLambdaHandler) => SqsLambdaHandler;
  readonly completion?: (handler: SqsLambdaHandler) => SqsLambdaHandler;
}

/** The transport with its queue and bus decorated; `memory` stays the undecorated MemoryQueue (for depth and peeks). */
export function decorateTransport(transport: Transport, decorators: RuntimeDecorators | undefined): Transport {
  if (!decorators?.queue && !decorators?.bus) return transport;
  return {
    ...transport,
    queue: decorators.queue ? decorators.queue(transport.queue, transport.urls) : transport.queue,
    bus: decorators.bus ? decorators.bus(transport.bus) : transport.bus,
  };
}

/** A function decorated by `decorate`, or unchanged. */
export function decorateHandler(
  handler: SqsLambdaHandler,
  decorate: ((handler: SqsLambdaHandler) => SqsLambdaHandler) | undefined,
): SqsLambdaHandler {
  return decorate ? decorate(handler) : handler;
}
