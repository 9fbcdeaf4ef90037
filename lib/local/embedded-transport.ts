import { EventBridgeBus } from '../adapters/eventbridge/eventbridge-bus.js';
import { MemoryEventBus } from '../adapters/memory/memory-event-bus.js';
import { MemoryQueue } from '../adapters/memory/memory-queue.js';
import { SqsQueue } from '../adapters/sqs/sqs-queue.js';
import type { EventBus } from '../ports/event-bus.js';
import type { MessageQueue } from '../ports/message-queue.js';
import type { QueueCounter } from '../ports/queue-counts.js';
import { createEventBridgeClient, createSqsClient } from '../lambda/aws-clients.js';
import { ENV } from '../contracts/runtime-config.js';
import { loadConfig, requireDispatchQueue, requireSettings } from '../lambda/config.js';
import type { QueueSettings } from './lambda-settings.js';

export type TransportKind = 'memory' | 'aws';

/** The queues the engine uses, by role. */
export interface QueueUrls {
  /** The default dispatch queue; on AWS it may be absent when every namespace has its own. */
  readonly dispatch: string | undefined;
  /** namespace -> its own dispatch queue. */
  readonly namespaceDispatch: Readonly<Record<string, string>>;
  readonly completion: string;
  readonly poison: string;
  readonly domainEventDlq: string | undefined;
  /** The redrive targets of the work queues (memory transport only; on AWS the queues' own redrive policy). */
  readonly dispatchDlq: string | undefined;
  readonly completionDlq: string | undefined;
}

export interface Transport {
  readonly kind: TransportKind;
  readonly queue: MessageQueue;
  /** Counts the queues' messages for the sweeper (GetQueueAttributes); never decorated. */
  readonly counts: QueueCounter;
  readonly bus: EventBus;
  readonly urls: QueueUrls;
  readonly eventBusName: string;
  /** The in-process queues, when the transport is memory (for depth, peeks and tests). */
  readonly memory: MemoryQueue | undefined;
  /** Long-poll wait the runners use on this transport. */
  readonly waitTimeSeconds: number;
  close(): void;
}

export interface MemoryTransportOptions {
  readonly dispatchQueue: QueueSettings;
  readonly completionQueue: QueueSettings;
}

/**
 * In-process queues with SQS semantics, laid out as the stack's: dispatch and completion with a
 * dead-letter queue each (redrive after maxReceiveCount receives), poison, domain-event DLQ.
 */
export function memoryTransport(options: MemoryTransportOptions): Transport {
  const queue = new MemoryQueue();
  const dispatchDlq = queue.createQueue('dispatch-dlq');
  const completionDlq = queue.createQueue('completion-dlq');
  const redrive = (dlq: string, s: QueueSettings) =>
    s.maxReceiveCount === undefined ? {} : { deadLetterQueue: dlq, maxReceiveCount: s.maxReceiveCount };
  const urls: QueueUrls = {
    dispatch: queue.createQueue('dispatch', {
      visibilityTimeoutSeconds: options.dispatchQueue.visibilityTimeoutSeconds,
      ...redrive(dispatchDlq, options.dispatchQueue),
    }),
    namespaceDispatch: {},
    completion: queue.createQueue('completion', {
      visibilityTimeoutSeconds: options.completionQueue.visibilityTimeoutSeconds,
      ...redrive(completionDlq, options.completionQueue),
    }),
    poison: queue.createQueue('poison'),
    domainEventDlq: queue.createQueue('domain-event-dlq'),
    dispatchDlq,
    completionDlq,
  };
  return {
    kind: 'memory',
    queue,
    counts: queue,
    bus: new MemoryEventBus('tasker-local'),
    urls,
    eventBusName: 'tasker-local',
    memory: queue,
    waitTimeSeconds: 20,
    close: () => queue.close(),
  };
}

/**
 * SQS and EventBridge (LocalStack with AWS_ENDPOINT_URL, else AWS), with the queue URLs and bus
 * name from the environment (the ENV names of lib/contracts/runtime-config.ts). The queues must exist.
 */
export function awsTransport(env: Record<string, string | undefined> = process.env): Transport {
  const config = loadConfig(env);
  requireSettings(config, ['completionQueueUrl', 'poisonQueueUrl']);
  requireDispatchQueue(config);
  const sqs = createSqsClient();
  const events = createEventBridgeClient();
  const urls: QueueUrls = {
    dispatch: config.dispatchQueueUrl,
    namespaceDispatch: config.namespaceQueueUrls,
    completion: config.completionQueueUrl as string,
    poison: config.poisonQueueUrl as string,
    domainEventDlq: config.domainEventDlqUrl,
    dispatchDlq: undefined,
    completionDlq: undefined,
  };
  const close = () => {
    sqs.destroy();
    events.destroy();
  };
  const queue = new SqsQueue(sqs);
  return {
    kind: 'aws',
    queue,
    counts: queue,
    bus: new EventBridgeBus(events, config.eventBusName),
    urls,
    eventBusName: config.eventBusName,
    memory: undefined,
    waitTimeSeconds: 2,
    close,
  };
}

/**
 * `auto`: AWS when an endpoint (AWS_ENDPOINT_URL) or credentials are configured AND the completion
 * queue URL and a dispatch queue URL (default or per namespace) are set; otherwise the in-process queues. Credentials alone never send
 * a local run to AWS.
 */
export function chooseTransport(
  wanted: TransportKind | 'auto',
  env: Record<string, string | undefined> = process.env,
): TransportKind {
  if (wanted !== 'auto') return wanted;
  const awsConfigured = Boolean(
    env.AWS_ENDPOINT_URL || env.AWS_ENDPOINT_URL_SQS || env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE,
  );
  const queuesConfigured = Boolean(
    env[ENV.completionQueueUrl] && (env[ENV.dispatchQueueUrl] || env[ENV.namespaceQueueUrls]),
  );
  return awsConfigured && queuesConfigured ? 'aws' : 'memory';
}
