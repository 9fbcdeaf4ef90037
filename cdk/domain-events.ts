import { Aws, Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { TASK_LIFECYCLE_SOURCE } from '../lib/contracts/task-lifecycle-event.js';

export interface DomainEventsProps {
  readonly eventBusName: string | undefined;
  readonly archiveRetention: Duration;
  /** Where the example rule puts events it could not deliver. */
  readonly deadLetterQueue: sqs.IQueue;
}

/** The task lifecycle events the example rule forwards. */
export const TASK_FAILURE_EVENTS = ['task.failed', 'task.blocked_by_failures'] as const;

/** The bus for domain and task lifecycle events, an archive of everything on it for replay, and an example rule. */
export class DomainEvents extends Construct {
  readonly bus: events.EventBus;
  readonly archive: events.Archive;
  /** Example: failed and blocked tasks go to an SNS topic (subscribe e-mail, chat, a queue ...). */
  readonly taskFailureRule: events.Rule;
  readonly taskFailureTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: DomainEventsProps) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: props.eventBusName,
      description: 'tasker domain and task lifecycle events',
    });
    this.archive = this.bus.archive('Archive', {
      description: 'Every event on the tasker bus, for replay',
      eventPattern: { account: [Aws.ACCOUNT_ID] },
      retention: props.archiveRetention,
    });
    this.taskFailureTopic = new sns.Topic(this, 'TaskFailureTopic', {
      displayName: 'tasker: failed tasks',
      enforceSSL: true,
    });
    this.taskFailureRule = new events.Rule(this, 'TaskFailureRule', {
      eventBus: this.bus,
      description: 'Example rule: failed or blocked tasks to the task-failure topic',
      eventPattern: { source: [TASK_LIFECYCLE_SOURCE], detailType: [...TASK_FAILURE_EVENTS] },
      targets: [
        new targets.SnsTopic(this.taskFailureTopic, {
          deadLetterQueue: props.deadLetterQueue,
          retryAttempts: 8,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });
  }
}
