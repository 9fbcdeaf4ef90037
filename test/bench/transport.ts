import { randomBytes } from 'node:crypto';
import { CreateQueueCommand, DeleteQueueCommand } from '@aws-sdk/client-sqs';
import { EventBridgeBus } from '../../lib/adapters/eventbridge/eventbridge-bus.js';
import { MemoryEventBus } from '../../lib/adapters/memory/memory-event-bus.js';
import { MemoryQueue } from '../../lib/adapters/memory/memory-queue.js';
import { SqsQueue } from '../../lib/adapters/sqs/sqs-queue.js';
import type { EventBus } from '../../lib/ports/event-bus.js';
import type { MessageQueue } from '../../lib/ports/message-queue.js';
import { createEventBridgeClient, createSqsClient } from '../../lib/lambda/aws-clients.js';
import { isLoopbackUrl } from './databases.js';

export type TransportKind = 'memory' | 'localstack';

/** The queues and the bus between orchestration and the step handlers. */
export interface Transport {
  readonly kind: TransportKind;
  readonly queue: MessageQueue;
  readonly bus: EventBus;
  readonly dispatchUrl: string;
  readonly completionUrl: string;
  readonly poisonUrl: string;
  /** Ends pending long polls (memory) and deletes the queues (LocalStack). */
  close(): Promise<void>;
}

/** In-process queues with SQS semantics and an in-process bus (lib/adapters/memory). */
export function memoryTransport(): Transport {
  const queue = new MemoryQueue();
  return {
    kind: 'memory',
    queue,
    bus: new MemoryEventBus(),
    dispatchUrl: queue.createQueue('dispatch'),
    completionUrl: queue.createQueue('completion'),
    poisonUrl: queue.createQueue('poison'),
    close: async () => queue.close(),
  };
}

/** Where LocalStack is, or why it is not used: AWS_ENDPOINT_URL must be set, on loopback, and healthy. */
export async function findLocalstack(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ endpoint: string } | { skipped: string }> {
  const endpoint = env.AWS_ENDPOINT_URL;
  if (!endpoint) return { skipped: 'AWS_ENDPOINT_URL is not set' };
  if (!isLoopbackUrl(endpoint))
    return { skipped: `AWS_ENDPOINT_URL is not on loopback (${endpoint}); the benchmark only talks to this machine` };
  try {
    const response = await fetch(new URL('/_localstack/health', endpoint), { signal: AbortSignal.timeout(2_000) });
    const health = (await response.json()) as { services?: Record<string, string> };
    const ok = ['sqs', 'events'].every((s) => ['available', 'running'].includes(health.services?.[s] ?? ''));
    return ok ? { endpoint } : { skipped: `LocalStack at ${endpoint} does not report sqs and events available` };
  } catch (error) {
    return { skipped: `LocalStack does not answer at ${endpoint}: ${(error as Error).message}` };
  }
}

/** SQS queues and the default EventBridge bus on LocalStack, through the engine's own adapters and client settings. */
export async function localstackTransport(): Promise<Transport> {
  const sqs = createSqsClient();
  const run = `tasker-bench-${randomBytes(4).toString('hex')}`;
  const create = async (name: string) =>
    (await sqs.send(new CreateQueueCommand({ QueueName: `${run}-${name}`, Attributes: { VisibilityTimeout: '30' } })))
      .QueueUrl!;
  const [dispatchUrl, completionUrl, poisonUrl] = await Promise.all([
    create('dispatch'),
    create('completion'),
    create('poison'),
  ]);
  return {
    kind: 'localstack',
    queue: new SqsQueue(sqs),
    bus: new EventBridgeBus(createEventBridgeClient(), 'default'),
    dispatchUrl,
    completionUrl,
    poisonUrl,
    async close() {
      await Promise.all(
        [dispatchUrl, completionUrl, poisonUrl].map((url) =>
          sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined),
        ),
      );
      sqs.destroy();
    },
  };
}

export function newTransport(kind: TransportKind): Promise<Transport> {
  return kind === 'memory' ? Promise.resolve(memoryTransport()) : localstackTransport();
}
