import { CfnOutput, type Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { API_URL_OUTPUT_DESCRIPTION } from '../lib/contracts/api-endpoint.js';
import { domainEventSource } from '../lib/contracts/domain-event.js';
import { allowReadSecret, allowSend } from './permissions.js';
import type { TaskerQueues } from './queues.js';
import { TaskerFunction, type FunctionNetwork } from './tasker-function.js';

/** The SQS actions the API takes on the queues an operator inspects and redrives, and on nothing else. */
export const DEAD_LETTER_ACTIONS = [
  'sqs:ChangeMessageVisibility',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:ReceiveMessage',
] as const;

export interface TaskerApiProps {
  readonly entry: string;
  readonly timeout: Duration;
  readonly logRetention: logs.RetentionDays;
  readonly bundleAwsSdk: boolean;
  readonly network: FunctionNetwork;
  /** The orchestration environment (queues, bus, the runtime login's secret, the database budget). */
  readonly environment: Record<string, string>;
  readonly queues: TaskerQueues;
  readonly bus: events.IEventBus;
  readonly runtimeSecret: secretsmanager.ISecret;
  /** Principals allowed to call the API (lambda:InvokeFunctionUrl and lambda:InvokeFunction on it). */
  readonly invokers: readonly iam.IGrantable[];
}

/**
 * The engine's HTTP API (lib/api/routes.ts): one function behind a Lambda function URL with AWS_IAM, so no request
 * reaches it without a SigV4 signature from a principal allowed `lambda:InvokeFunctionUrl` (docs/deploy.md says why a
 * function URL). The function logs in as the runtime (it reads and operates through the engine's SQL functions; it
 * cannot migrate), sends what the orchestration outbox and a redrive send, puts lifecycle and redriven domain events,
 * and receives and deletes only on the dead-letter, poison and parked-event queues. The stack outputs its URL.
 */
export class TaskerApi extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly url: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: TaskerApiProps) {
    super(scope, id);
    const q = props.queues;
    const fn = new TaskerFunction(this, 'Function', {
      entry: props.entry,
      description:
        'tasker API: create, read and operate tasks; inspect and redrive dead letters (function URL, AWS_IAM)',
      timeout: props.timeout,
      memorySize: 256,
      logRetention: props.logRetention,
      bundleAwsSdk: props.bundleAwsSdk,
      network: props.network,
      environment: props.environment,
    });
    this.function = fn.function;
    this.role = fn.role;
    this.url = fn.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    allowReadSecret(fn.role, props.runtimeSecret);
    allowSend(fn.role, [...q.allDispatch.map((d) => d.queue), q.completion.queue]);
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [props.bus.eventBusArn],
        conditions: { StringLike: { 'events:source': domainEventSource('*') } },
      }),
    );
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [...DEAD_LETTER_ACTIONS],
        resources: operatedQueues(q).map((queue) => queue.queueArn),
      }),
    );
    for (const invoker of props.invokers) this.grantInvoke(invoker);
    new CfnOutput(this, 'Url', { value: this.url.url, description: API_URL_OUTPUT_DESCRIPTION });
  }

  /** Lets `grantee` call the API: lambda:InvokeFunctionUrl (with AWS_IAM) and lambda:InvokeFunction on this function. */
  grantInvoke(grantee: iam.IGrantable): void {
    this.url.grantInvokeUrl(grantee);
    this.function.grantInvoke(grantee);
  }
}

/** The queues the API receives from: each work queue's dead-letter queue, the poison queue and the parked events. */
export function operatedQueues(q: TaskerQueues): sqs.IQueue[] {
  return [...q.work.map((w) => w.deadLetterQueue), q.poison.queue, q.domainEventDlq.queue];
}

/** TASKER_DEAD_LETTER_QUEUES: each work queue's dead letters back to it, the poison queue back to each message's source. */
export function deadLetterQueuesSetting(q: TaskerQueues) {
  return [
    ...q.work.map((w) => ({ name: `${w.label}-dlq`, url: w.deadLetterQueue.queueUrl, redrive_to: w.queue.queueUrl })),
    { name: 'poison', url: q.poison.queue.queueUrl, redrive_to: null },
  ];
}
