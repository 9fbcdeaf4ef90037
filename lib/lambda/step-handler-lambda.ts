import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { EventBridgeBus } from '../adapters/eventbridge/eventbridge-bus.js';
import { SqsQueue } from '../adapters/sqs/sqs-queue.js';
import type { RuntimeConfig } from '../contracts/runtime-config.js';
import type { Clock } from '../ports/clock.js';
import type { EventBus } from '../ports/event-bus.js';
import type { Logger } from '../ports/logger.js';
import type { QueueSender } from '../ports/message-queue.js';
import type { DispatchDeps, DispatchRecord } from '../worker/dispatch-deps.js';
import type { HandlerMap } from '../worker/handler-api.js';
import { createHandlerRegistry, type HandlerRegistry } from '../worker/handler-registry.js';
import { processDispatchBatch } from '../worker/process-dispatch-batch.js';
import type { Sleep } from '../ports/retry-settings.js';
import type { WorkerConfig } from '../worker/worker-config.js';
import { createEventBridgeClient, createSqsClient } from './aws-clients.js';
import { loadConfig, requireSettings } from './config.js';
import { markCallables } from './handler-callables.js';
import { createLogger } from './logger.js';
import { systemClock } from './system-clock.js';

/** Ports and settings a test (or another runtime) injects instead of the AWS adapters and the environment. */
export interface StepHandlerLambdaOverrides {
  readonly queue?: QueueSender;
  readonly bus?: EventBus;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Used instead of reading the environment. */
  readonly config?: RuntimeConfig;
  /** Worker settings that have no environment variable (maxResultBytes, retryDelaysMs, ...). */
  readonly worker?: Partial<WorkerConfig>;
  readonly sleep?: Sleep;
}

type ContainerPorts = Omit<DispatchDeps, 'handlers' | 'remainingTimeMs'>;

/**
 * The step-handler Lambda for a map of handlers: consumes the dispatch queue in batches and
 * reports partial batch failures. Adapters are built once per container, on the first invocation.
 * The handler carries its map's callables (handler-callables.ts), which the CDK construct checks against the templates.
 */
export function createStepHandlerLambda(handlers: HandlerMap, overrides: StepHandlerLambdaOverrides = {}) {
  const registry: HandlerRegistry = createHandlerRegistry(handlers);
  let ports: ContainerPorts | undefined;
  const lambda = middy<SQSEvent, SQSBatchResponse>().handler(async (event: SQSEvent, context: Context) => {
    ports ??= buildPorts(overrides, context);
    const records = event.Records.map(toDispatchRecord);
    return processDispatchBatch(records, {
      ...ports,
      handlers: registry,
      remainingTimeMs: () => context.getRemainingTimeInMillis(),
    });
  });
  return markCallables(lambda, handlers);
}

function buildPorts(overrides: StepHandlerLambdaOverrides, context: Context): ContainerPorts {
  const config = overrides.config ?? loadConfig();
  requireSettings(config, ['completionQueueUrl', 'poisonQueueUrl']);
  const logger = overrides.logger ?? createLogger({ level: config.logLevel, base: { service: 'step-handler' } });
  return {
    queue: overrides.queue ?? new SqsQueue(createSqsClient()),
    bus: overrides.bus ?? new EventBridgeBus(createEventBridgeClient(), config.eventBusName),
    clock: overrides.clock ?? systemClock,
    logger,
    config: { ...workerConfigOf(config, context), ...overrides.worker },
    ...(overrides.sleep === undefined ? {} : { sleep: overrides.sleep }),
  };
}

function workerConfigOf(config: RuntimeConfig, context: Context): WorkerConfig {
  return {
    completionQueueUrl: config.completionQueueUrl as string,
    poisonQueueUrl: config.poisonQueueUrl as string,
    domainEventDlqUrl: config.domainEventDlqUrl,
    safetyMarginMs: config.safetyMarginMs,
    workerId: config.workerId ?? `${context.functionName}/${context.logStreamName}`,
    workerKind: 'lambda',
  };
}

function toDispatchRecord(record: SQSRecord): DispatchRecord {
  const receiveCount = Number(record.attributes?.ApproximateReceiveCount);
  const firstReceivedAt = Number(record.attributes?.ApproximateFirstReceiveTimestamp);
  return {
    messageId: record.messageId,
    body: record.body,
    sourceQueue: record.eventSourceARN,
    ...(Number.isFinite(receiveCount) ? { receiveCount } : {}),
    ...(firstReceivedAt > 0 ? { firstReceivedAt: new Date(firstReceivedAt) } : {}),
  };
}
