import { randomUUID } from 'node:crypto';
import {
  DeleteRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  type EventBridgeClient,
} from '@aws-sdk/client-eventbridge';
import {
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { domainEventSource } from '../contracts/domain-event.js';
import { ENV } from '../contracts/runtime-config.js';
import {
  createLocalAws,
  createQueue,
  deleteLocalAws,
  localAwsEnvironment,
  queueArn,
  queueNameOf,
  type LocalAwsResources,
} from '../local/local-aws-resources.js';

/**
 * The conformance kit's scratch engine on the configured endpoint: the namespace's dispatch queue, the poison
 * queue, the domain-event DLQ and the bus of `tasker local-aws create`, a capture queue a rule fills with every
 * event of source `tasker.<namespace>`, and a completion queue that does NOT exist until `createCompletion()`:
 * the first scenario proves the worker deletes nothing before its result is sent.
 */
export interface KitResources {
  readonly namespace: string;
  readonly prefix: string;
  readonly dispatch: string;
  readonly completion: string;
  readonly poison: string;
  readonly domainEventDlq: string;
  readonly capture: string;
  readonly busName: string;
  readonly visibilityTimeoutSeconds: number;
  /** What the worker command is started with (over the caller's environment). */
  readonly workerEnv: Record<string, string>;
  createCompletion(): Promise<void>;
  teardown(): Promise<void>;
}

export interface KitClients {
  readonly sqs: SQSClient;
  readonly events: EventBridgeClient;
}

/** Created with this visibility timeout; the heartbeat scenario runs a handler for three of them. */
export const KIT_VISIBILITY_TIMEOUT_SECONDS = 2;

export async function createKitResources(namespace: string, clients: KitClients): Promise<KitResources> {
  const prefix = `conformance-${randomUUID().slice(0, 8)}`;
  const spec = { prefix, namespaces: [namespace], withoutDefaultDispatch: true };
  const made = await createLocalAws(
    { ...spec, dispatchVisibilityTimeoutSeconds: KIT_VISIBILITY_TIMEOUT_SECONDS },
    clients,
  );
  const completionName = queueNameOf(prefix, 'late-completion');
  const completion = made.poison.replace(/[^/]+$/, completionName);
  const capture = await createQueue(clients.sqs, queueNameOf(prefix, 'capture'), {});
  const rule = queueNameOf(prefix, 'capture').slice(0, 64);
  await subscribe(clients, made, rule, capture, domainEventSource(namespace));
  const dispatch = made.namespaceDispatch[namespace] as string;
  let completionMade = false;
  return {
    namespace,
    prefix,
    dispatch,
    completion,
    poison: made.poison,
    domainEventDlq: made.domainEventDlq,
    capture,
    busName: made.busName,
    visibilityTimeoutSeconds: KIT_VISIBILITY_TIMEOUT_SECONDS,
    workerEnv: workerEnvironment(made, namespace, completion),
    async createCompletion() {
      const url = await createQueue(clients.sqs, completionName, {});
      if (url !== completion) throw new Error(`the completion queue was created at ${url}, not ${completion}`);
      completionMade = true;
    },
    async teardown() {
      await clients.events
        .send(new RemoveTargetsCommand({ Rule: rule, EventBusName: made.busName, Ids: ['capture'] }))
        .catch(() => undefined);
      await clients.events
        .send(new DeleteRuleCommand({ Name: rule, EventBusName: made.busName }))
        .catch(() => undefined);
      for (const url of [capture, ...(completionMade ? [completion] : [])])
        await clients.sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
      await deleteLocalAws(spec, clients);
    },
  };
}

function workerEnvironment(made: LocalAwsResources, namespace: string, completion: string): Record<string, string> {
  return {
    ...localAwsEnvironment(made),
    [ENV.namespaceQueueUrls]: JSON.stringify({ [namespace]: made.namespaceDispatch[namespace] }),
    [ENV.completionQueueUrl]: completion,
    [ENV.visibilityTimeoutSeconds]: String(KIT_VISIBILITY_TIMEOUT_SECONDS),
    [ENV.completionTimeoutMs]: '30000',
    [ENV.workerId]: 'conformance-worker',
  };
}

/** A rule on the bus sending the namespace's domain events to the capture queue (with the queue policy SQS needs on AWS). */
async function subscribe(
  clients: KitClients,
  made: LocalAwsResources,
  rule: string,
  capture: string,
  source: string,
): Promise<void> {
  const arn = await queueArn(clients.sqs, capture);
  const put = await clients.events.send(
    new PutRuleCommand({ Name: rule, EventBusName: made.busName, EventPattern: JSON.stringify({ source: [source] }) }),
  );
  const policy = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: arn,
        Condition: { ArnEquals: { 'aws:SourceArn': put.RuleArn } },
      },
    ],
  };
  await clients.sqs.send(
    new SetQueueAttributesCommand({ QueueUrl: capture, Attributes: { Policy: JSON.stringify(policy) } }),
  );
  await clients.events.send(
    new PutTargetsCommand({ Rule: rule, EventBusName: made.busName, Targets: [{ Id: 'capture', Arn: arn }] }),
  );
}

/** Messages on a queue: visible, in flight and delayed. */
export async function queueDepth(sqs: SQSClient, url: string): Promise<{ visible: number; inFlight: number }> {
  const found = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(found.Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(found.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}
