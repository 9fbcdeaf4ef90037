import * as iam from 'aws-cdk-lib/aws-iam';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { poolSources } from './event-sources.js';
import { putEventsStatement } from './permissions.js';

/** What a pull worker does on its pool's dispatch queue (docs/protocol/worker-protocol.md): receive, heartbeat, delete, read the queue's settings. */
export const PULL_CONSUME_ACTIONS = [
  'sqs:ReceiveMessage',
  'sqs:ChangeMessageVisibility',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
] as const;

export interface PullWorkerAccessProps {
  readonly namespace: string;
  /** The pool's dispatch queue. */
  readonly dispatchQueue: sqs.IQueue;
  /** Where a worker sends: the completion queue (results), the poison queue, the domain-event dead-letter queue (parked events). */
  readonly sendQueues: readonly sqs.IQueue[];
  readonly bus: events.IEventBus;
  readonly createRole: boolean;
  /** Default the ECS tasks service. */
  readonly roleAssumedBy: iam.IPrincipal | undefined;
}

/**
 * A customer-managed policy with exactly what a pull worker of one pool needs, on exactly its resources, for an operator
 * to attach to the role the workers run as (an ECS task role); and optionally such a role.
 */
export class PullWorkerAccess extends Construct {
  readonly policy: iam.ManagedPolicy;
  readonly role: iam.Role | undefined;

  constructor(scope: Construct, id: string, props: PullWorkerAccessProps) {
    super(scope, id);
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `tasker pull workers of namespace ${props.namespace}: consume its dispatch queue, send results, put its domain events`,
      statements: [
        new iam.PolicyStatement({
          sid: 'ConsumeDispatchQueue',
          actions: [...PULL_CONSUME_ACTIONS],
          resources: [props.dispatchQueue.queueArn],
        }),
        new iam.PolicyStatement({
          sid: 'SendResultsPoisonAndParkedEvents',
          actions: ['sqs:SendMessage'],
          resources: props.sendQueues.map((q) => q.queueArn),
        }),
        putEventsStatement(props.bus, poolSources(props.namespace), 'PutDomainEvents'),
      ],
    });
    this.role = props.createRole ? this.createRole(props) : undefined;
  }

  private createRole(props: PullWorkerAccessProps): iam.Role {
    return new iam.Role(this, 'Role', {
      assumedBy: props.roleAssumedBy ?? new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `tasker pull workers of namespace ${props.namespace}`,
      managedPolicies: [this.policy],
    });
  }
}
