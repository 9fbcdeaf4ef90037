import type { StepDispatchMessage } from '../../lib/contracts/step-dispatch-message.js';
import type { DispatchDeps, DispatchRecord } from '../../lib/worker/dispatch-deps.js';
import type { WorkerConfig } from '../../lib/worker/worker-config.js';
import type { HandlerMap } from '../../lib/worker/handler-api.js';
import { createHandlerRegistry } from '../../lib/worker/handler-registry.js';
import { loadFixture } from './contract-fixtures.js';
import { FakeEventBus } from './fake-event-bus.js';
import { FakeQueueSender } from './fake-queue-sender.js';
import { FixedClock } from './fixed-clock.js';
import { RecordingLogger } from './recording-logger.js';

export const QUEUES = {
  completion: 'https://sqs.eu-west-1.amazonaws.com/123456789012/tasker-completion',
  poison: 'https://sqs.eu-west-1.amazonaws.com/123456789012/tasker-dispatch-poison',
  domainEventDlq: 'https://sqs.eu-west-1.amazonaws.com/123456789012/tasker-domain-event-dlq',
} as const;

/** The golden dispatch fixture (ship_order, publishes ecommerce.order_shipped on success), with changes. */
export function dispatchMessage(changes: Partial<StepDispatchMessage> = {}): StepDispatchMessage {
  return { ...(loadFixture('step-dispatch-message.json') as StepDispatchMessage), ...changes };
}

export function dispatchRecord(body: StepDispatchMessage | string, messageId = 'msg-1'): DispatchRecord {
  return { messageId, body: typeof body === 'string' ? body : JSON.stringify(body), receiveCount: 1 };
}

export interface TestWorker extends DispatchDeps {
  /** Writable, so a test can change one setting. */
  config: WorkerConfig;
  readonly queue: FakeQueueSender;
  readonly bus: FakeEventBus;
  readonly clock: FixedClock;
  readonly logger: RecordingLogger;
  /** Sends and publishes in the order they happened. */
  readonly journal: string[];
}

/** Deps for processDispatchBatch with fake ports; retries wait 1 ms. The clock stands 80 ms after the fixture's dispatch. */
export function testWorker(handlers: HandlerMap, changes: Partial<DispatchDeps> = {}): TestWorker {
  const journal: string[] = [];
  return {
    queue: new FakeQueueSender(journal),
    bus: new FakeEventBus(journal),
    clock: new FixedClock('2025-12-07T10:15:30.200Z'),
    logger: new RecordingLogger(),
    handlers: createHandlerRegistry(handlers),
    remainingTimeMs: () => 60_000,
    config: {
      completionQueueUrl: QUEUES.completion,
      poisonQueueUrl: QUEUES.poison,
      domainEventDlqUrl: QUEUES.domainEventDlq,
      safetyMarginMs: 2_000,
      workerId: 'test-worker',
      retryDelaysMs: [1, 1, 1],
    },
    journal,
    ...changes,
  } as TestWorker;
}

/** The shipment ship_order's handler returns for the fixture. */
export const SHIPMENT = {
  order_id: 'ORD-10042',
  tracking_number: 'TRK-POSTNL-ORD-10042',
  carrier: 'postnl',
  reservation_id: 'res-ORD-10042',
  payment_id: 'pay-ORD-10042',
};
