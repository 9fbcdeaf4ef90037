import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { MonitoredFunction } from './alarms.js';
import type { TaskerQueues } from './queues.js';

export interface TaskerDashboardProps {
  readonly queues: TaskerQueues;
  readonly functions: readonly MonitoredFunction[];
  readonly alarms: readonly cloudwatch.IAlarm[];
}

const MINUTE = Duration.minutes(1);

/** One dashboard: alarm states, step throughput, queue depth and age, dead letters, and each function's health. */
export class TaskerDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: TaskerDashboardProps) {
    super(scope, id);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24 }));
    this.dashboard.addWidgets(throughputWidget(props.queues), depthWidget(props.queues), ageWidget(props.queues));
    this.dashboard.addWidgets(deadLetterWidget(props.queues), ...props.functions.map(functionWidget));
  }
}

/** Steps dispatched (sent to a dispatch queue), handled (deleted from it) and results applied (deleted from the completion queue), per minute. */
function throughputWidget(queues: TaskerQueues): cloudwatch.GraphWidget {
  const sum = { period: MINUTE, statistic: 'Sum' };
  return new cloudwatch.GraphWidget({
    title: 'Step throughput (per minute)',
    width: 8,
    left: [
      ...queues.allDispatch.map((d) => d.queue.metricNumberOfMessagesSent({ ...sum, label: `${d.label}: dispatched` })),
      ...queues.allDispatch.map((d) => d.queue.metricNumberOfMessagesDeleted({ ...sum, label: `${d.label}: handled` })),
      queues.completion.queue.metricNumberOfMessagesDeleted({ ...sum, label: 'completion: results applied' }),
    ],
  });
}

function depthWidget(queues: TaskerQueues): cloudwatch.GraphWidget {
  const metrics = queues.work.map((w) => w.queue.metricApproximateNumberOfMessagesVisible({ period: MINUTE, statistic: 'Maximum', label: w.label }));
  return new cloudwatch.GraphWidget({ title: 'Queue depth (visible messages)', width: 8, left: metrics });
}

function ageWidget(queues: TaskerQueues): cloudwatch.GraphWidget {
  const metrics = queues.work.map((w) => w.queue.metricApproximateAgeOfOldestMessage({ period: MINUTE, statistic: 'Maximum', label: w.label }));
  return new cloudwatch.GraphWidget({ title: 'Oldest message age (s)', width: 8, left: metrics });
}

function deadLetterWidget(queues: TaskerQueues): cloudwatch.GraphWidget {
  const metrics = queues.terminal.map((t) => t.queue.metricApproximateNumberOfMessagesVisible({ period: MINUTE, statistic: 'Maximum', label: t.label }));
  return new cloudwatch.GraphWidget({ title: 'Dead-letter and poison queues', width: 6, left: metrics });
}

function functionWidget({ label, function: fn }: MonitoredFunction): cloudwatch.GraphWidget {
  const sum = { period: MINUTE, statistic: 'Sum' };
  return new cloudwatch.GraphWidget({
    title: `${label} function`,
    width: 6,
    left: [fn.metricInvocations(sum), fn.metricErrors(sum), fn.metricThrottles(sum)],
    right: [fn.metric('ConcurrentExecutions', { period: MINUTE, statistic: 'Maximum' }), fn.metricDuration({ period: MINUTE, statistic: 'p99' })],
  });
}
