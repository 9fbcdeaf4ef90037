import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DEAD_LETTER_RETENTION, type TaskerQueues, type TerminalQueue, type WorkQueue } from './queues.js';

export interface MonitoredFunction {
  readonly label: string;
  readonly function: lambda.IFunction;
}

export interface TaskerAlarmsProps {
  readonly queues: TaskerQueues;
  readonly functions: readonly MonitoredFunction[];
  readonly oldestMessageAge: Duration;
  readonly queueDepth: number;
  readonly topic: sns.ITopic | undefined;
}

/** A message left on a dead-letter queue this long expires within three days: the last call. */
export const DEAD_LETTER_EXPIRY_WARNING = Duration.days(DEAD_LETTER_RETENTION.toDays() - 3);

const MINUTE = Duration.minutes(1);

/**
 * Alarms on every queue's oldest-message age and depth (work queues: backlog; dead-letter and poison queues: any message,
 * and messages about to expire), and on every function's errors and throttles. SQS stops publishing metrics for idle
 * queues, so missing data is "not breaching".
 */
export class TaskerAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(
    scope: Construct,
    id: string,
    private readonly props: TaskerAlarmsProps,
  ) {
    super(scope, id);
    for (const work of props.queues.work) this.workQueueAlarms(work);
    for (const terminal of props.queues.terminal) this.terminalQueueAlarms(terminal);
    for (const fn of props.functions) this.functionAlarms(fn);
    if (props.topic) this.notify(props.topic);
  }

  private workQueueAlarms({ label, queue }: WorkQueue): void {
    const age = this.props.oldestMessageAge.toSeconds();
    this.add(
      `${label}-oldest-message-age`,
      queue.metricApproximateAgeOfOldestMessage({ period: MINUTE, statistic: 'Maximum' }),
      age,
      5,
      `Oldest message on the ${label} queue older than ${age} s for 5 minutes: consumers are behind or failing`,
    );
    const depth = this.props.queueDepth;
    this.add(
      `${label}-depth`,
      queue.metricApproximateNumberOfMessagesVisible({ period: MINUTE, statistic: 'Maximum' }),
      depth,
      5,
      `More than ${depth} messages waiting on the ${label} queue for 5 minutes`,
    );
  }

  private terminalQueueAlarms({ label, queue }: TerminalQueue): void {
    const depth = queue.metricApproximateNumberOfMessagesVisible({ period: MINUTE, statistic: 'Maximum' });
    this.add(
      `${label}-depth`,
      depth,
      0,
      1,
      `A message is on the ${label} queue: inspect it, then redrive or delete it`,
    );
    const expiry = DEAD_LETTER_EXPIRY_WARNING.toSeconds();
    const age = queue.metricApproximateAgeOfOldestMessage({ period: Duration.hours(1), statistic: 'Maximum' });
    this.add(`${label}-oldest-message-age`, age, expiry, 1, `A message on the ${label} queue expires within 3 days`);
  }

  private functionAlarms({ label, function: fn }: MonitoredFunction): void {
    this.add(
      `${label}-errors`,
      fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      0,
      1,
      `The ${label} function failed (an invocation error, not a step failure)`,
    );
    this.add(
      `${label}-throttles`,
      fn.metricThrottles({ period: MINUTE, statistic: 'Sum' }),
      0,
      1,
      `The ${label} function was throttled: its concurrency settings are inconsistent or the account limit is reached`,
    );
  }

  /** Alarms when the metric is above `threshold` in all of the last `periods` periods. */
  private add(id: string, metric: cloudwatch.IMetric, threshold: number, periods: number, description: string): void {
    this.alarms.push(
      new cloudwatch.Alarm(this, id, {
        metric,
        threshold,
        evaluationPeriods: periods,
        datapointsToAlarm: periods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      }),
    );
  }

  private notify(topic: sns.ITopic): void {
    const action = new actions.SnsAction(topic);
    for (const alarm of this.alarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }
}
