import * as iam from 'aws-cdk-lib/aws-iam';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { sourceConditions, type EventSourceScope } from './event-sources.js';

/** sqs:SendMessage on exactly these queues (SSE-SQS needs no KMS permission). */
export function allowSend(role: iam.IRole, queues: readonly sqs.IQueue[]): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: queues.map((q) => q.queueArn) }),
  );
}

/** sqs:GetQueueAttributes on exactly these queues: the sweeper counts the dispatch queues' backlog (observe-dispatch-queues.ts). */
export function allowCountMessages(role: iam.IRole, queues: readonly sqs.IQueue[]): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['sqs:GetQueueAttributes'], resources: queues.map((q) => q.queueArn) }),
  );
}

/** events:PutEvents on exactly this bus, for exactly the sources of `scope` (event-sources.ts). */
export function allowPutEvents(role: iam.IRole, bus: events.IEventBus, scope: EventSourceScope): void {
  role.addToPrincipalPolicy(putEventsStatement(bus, scope));
}

/** The statement of {@link allowPutEvents}, for a managed policy. */
export function putEventsStatement(bus: events.IEventBus, scope: EventSourceScope, sid?: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    ...(sid ? { sid } : {}),
    actions: ['events:PutEvents'],
    resources: [bus.eventBusArn],
    conditions: sourceConditions(scope),
  });
}

/**
 * secretsmanager:GetSecretValue on exactly this secret (and kms:Decrypt on its key when it has a customer-managed one).
 * A secret imported by partial ARN gets Secrets Manager's six-character suffix wildcard, as `grantRead` does.
 */
export function allowReadSecret(role: iam.IRole, secret: secretsmanager.ISecret): void {
  const arn = secret.secretFullArn ?? `${secret.secretArn}-??????`;
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [arn] }));
  secret.encryptionKey?.grantDecrypt(role);
}
