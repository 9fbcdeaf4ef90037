import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/**
 * Runs the sweeper on a schedule (timeouts of overdue dispatches, the outbox re-send, due retries). A missed or failed tick
 * is not retried: the next tick does the same work.
 */
export class SweepSchedule extends Construct {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, sweeper: lambda.IFunction, schedule: events.Schedule) {
    super(scope, id);
    this.rule = new events.Rule(this, 'Rule', {
      description: 'tasker sweeper: overdue dispatches, outbox re-send, due retries',
      schedule,
      targets: [new targets.LambdaFunction(sweeper, { retryAttempts: 0, maxEventAge: Duration.minutes(1) })],
    });
  }
}
