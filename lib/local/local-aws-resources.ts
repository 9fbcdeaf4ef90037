import { CreateEventBusCommand, DeleteEventBusCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { ENV } from '../contracts/runtime-config.js';
import { awsRegion } from '../lambda/aws-clients.js';
import { DEPLOYED_DEFAULTS, DISPATCH_QUEUE_DEFAULTS, COMPLETION_QUEUE_DEFAULTS } from './deployed-defaults.js';

/**
 * The queues and the event bus of a tasker engine, created on the SQS/EventBridge endpoint the SDK is configured
 * with (LocalStack: AWS_ENDPOINT_URL), named `<prefix>-<label>`, laid out as TaskerEngine deploys them: a default
 * dispatch queue, one per namespace given, the completion queue (each with a dead-letter queue after
 * `maxReceiveCount` receipts), the poison queue and the domain-event DLQ. `tasker local-aws create` prints its
 * environment; the conformance kit builds its scratch engine with it.
 */
export interface LocalAwsSpec {
  readonly prefix: string;
  /** Namespaces that get a dispatch queue of their own (pull workers need one). */
  readonly namespaces: readonly string[];
  /** Every dispatch queue's visibility timeout; default the deployed one (6 x the handler timeout). */
  readonly dispatchVisibilityTimeoutSeconds?: number;
  /** Leave out the default dispatch queue (every namespace has its own). */
  readonly withoutDefaultDispatch?: boolean;
}

export interface LocalAwsResources {
  readonly prefix: string;
  readonly dispatch: string | undefined;
  readonly namespaceDispatch: Readonly<Record<string, string>>;
  readonly completion: string;
  readonly poison: string;
  readonly domainEventDlq: string;
  readonly busName: string;
  /** Every queue created, by label (`dispatch`, `dispatch-<ns>`, `completion`, `<label>-dlq`, `poison`, `domain-event-dlq`). */
  readonly queues: Readonly<Record<string, string>>;
}

export interface LocalAwsClients {
  readonly sqs: SQSClient;
  readonly events: EventBridgeClient;
}

/** A queue name SQS accepts: `<prefix>-<label>`, letters, digits, `-` and `_`, at most 80 characters. */
export function queueNameOf(prefix: string, label: string): string {
  return `${prefix}-${label}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80);
}

/**
 * Creates (or finds: CreateQueue and CreateEventBus are idempotent for equal attributes) the engine's queues and bus.
 *
 * @example
 * ```ts
 * const made = await createLocalAws({ prefix: 'tasker-local', namespaces: ['pyw'] }, clients);
 * made.namespaceDispatch.pyw; // http://127.0.0.1:4566/queue/us-east-1/000000000000/tasker-local-dispatch-pyw
 * ```
 */
export async function createLocalAws(spec: LocalAwsSpec, clients: LocalAwsClients): Promise<LocalAwsResources> {
  const queues: Record<string, string> = {};
  const work = async (label: string, visibility: number) => {
    const dlq = await createQueue(clients.sqs, queueNameOf(spec.prefix, `${label}-dlq`), {});
    queues[`${label}-dlq`] = dlq;
    const redrive = {
      deadLetterTargetArn: await queueArn(clients.sqs, dlq),
      maxReceiveCount: DEPLOYED_DEFAULTS.maxReceiveCount,
    };
    const url = await createQueue(clients.sqs, queueNameOf(spec.prefix, label), {
      VisibilityTimeout: String(visibility),
      RedrivePolicy: JSON.stringify(redrive),
    });
    queues[label] = url;
    return url;
  };
  const dispatchVisibility = spec.dispatchVisibilityTimeoutSeconds ?? DISPATCH_QUEUE_DEFAULTS.visibilityTimeoutSeconds;
  const dispatch = spec.withoutDefaultDispatch ? undefined : await work('dispatch', dispatchVisibility);
  const namespaceDispatch: Record<string, string> = {};
  for (const ns of spec.namespaces) namespaceDispatch[ns] = await work(`dispatch-${ns}`, dispatchVisibility);
  const completion = await work('completion', COMPLETION_QUEUE_DEFAULTS.visibilityTimeoutSeconds);
  const poison = await createQueue(clients.sqs, queueNameOf(spec.prefix, 'poison'), {});
  const domainEventDlq = await createQueue(clients.sqs, queueNameOf(spec.prefix, 'domain-event-dlq'), {});
  Object.assign(queues, { poison, 'domain-event-dlq': domainEventDlq });
  const busName = queueNameOf(spec.prefix, 'bus').slice(0, 64);
  await createBus(clients.events, busName);
  return { prefix: spec.prefix, dispatch, namespaceDispatch, completion, poison, domainEventDlq, busName, queues };
}

/** The variables `tasker dev --transport aws`, `tasker worker` and any protocol worker read, for these resources. */
export function localAwsEnvironment(
  made: LocalAwsResources,
  env: Record<string, string | undefined> = process.env,
): Record<string, string> {
  const region = awsRegion(env as NodeJS.ProcessEnv);
  return {
    ...(made.dispatch ? { [ENV.dispatchQueueUrl]: made.dispatch } : {}),
    ...(Object.keys(made.namespaceDispatch).length > 0
      ? { [ENV.namespaceQueueUrls]: JSON.stringify(made.namespaceDispatch) }
      : {}),
    [ENV.completionQueueUrl]: made.completion,
    [ENV.poisonQueueUrl]: made.poison,
    [ENV.domainEventDlqUrl]: made.domainEventDlq,
    [ENV.eventBusName]: made.busName,
    ...(env.AWS_ENDPOINT_URL ? { AWS_ENDPOINT_URL: env.AWS_ENDPOINT_URL } : {}),
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID ?? 'test',
    AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY ?? 'test',
  };
}

/** Deletes every queue and the bus `createLocalAws` made with this prefix and these namespaces; what is gone already is skipped. */
export async function deleteLocalAws(
  spec: Pick<LocalAwsSpec, 'prefix' | 'namespaces'>,
  clients: LocalAwsClients,
): Promise<string[]> {
  const labels = ['dispatch', ...spec.namespaces.map((ns) => `dispatch-${ns}`), 'completion'].flatMap((l) => [
    l,
    `${l}-dlq`,
  ]);
  const deleted: string[] = [];
  for (const label of [...labels, 'poison', 'domain-event-dlq']) {
    const url = await existingQueue(clients.sqs, queueNameOf(spec.prefix, label));
    if (url === undefined) continue;
    await clients.sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    deleted.push(url);
  }
  const bus = queueNameOf(spec.prefix, 'bus').slice(0, 64);
  await clients.events.send(new DeleteEventBusCommand({ Name: bus })).then(
    () => deleted.push(bus),
    () => undefined,
  );
  return deleted;
}

export async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string>): Promise<string> {
  const made = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  return made.QueueUrl as string;
}

export async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const found = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return found.Attributes?.QueueArn as string;
}

async function existingQueue(sqs: SQSClient, name: string): Promise<string | undefined> {
  try {
    return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch {
    return undefined;
  }
}

async function createBus(events: EventBridgeClient, name: string): Promise<void> {
  try {
    await events.send(new CreateEventBusCommand({ Name: name }));
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceAlreadyExistsException') throw error;
  }
}
