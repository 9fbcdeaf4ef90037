import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { MonitoredFunction } from './alarms.js';
import type { TaskerQueues } from './queues.js';
import type { TaskerWorkerPool } from './worker-pools.js';

export interface TaskerDashboardProps {
  readonly queues: TaskerQueues;
  readonly functions: readonly MonitoredFunction[];
  readonly alarms: readonly cloudwatch.IAlarm[];
  /** One widget each, in a row of their own. Default none. */
  readonly pools?: readonly TaskerWorkerPool[];
}

const MINUTE = Duration.minutes(1);

/** One dashboard: alarm states, step throughput, queue depth and age, dead letters, and each function's health. */
export class TaskerDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: TaskerDashboardProps) {
    super(scope, id);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24 }),
    );
    this.dashboard.addWidgets(throughputWidget(props.queues), depthWidget(props.queues), ageWidget(props.queues));
    this.dashboard.addWidgets(deadLetterWidget(props.queues), ...props.functions.map(functionWidget));
    const pools = props.pools ?? [];
    if (pools.length > 0) this.dashboard.addWidgets(...pools.map(poolWidget));
  }
}

/**
 * A pool at a glance: its backlog (what pull workers scale on), the steps in flight, its dead letters, and the age of its
 * oldest step; for a Lambda pool also its concurrent executions against its cap.
 */
function poolWidget(pool: TaskerWorkerPool): cloudwatch.GraphWidget {
  const max = { period: MINUTE, statistic: 'Maximum' };
  const left: cloudwatch.IMetric[] = [
    pool.queue.queue.metricApproximateNumberOfMessagesVisible({ ...max, label: 'waiting' }),
    pool.queue.queue.metricApproximateNumberOfMessagesNotVisible({ ...max, label: 'in flight' }),
    pool.queue.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ ...max, label: 'dead letters' }),
  ];
  if (pool.kind === 'lambda')
    left.push(pool.function.metric('ConcurrentExecutions', { ...max, label: 'concurrent executions' }));
  const cap =
    pool.kind === 'lambda' ? [{ value: pool.settings.maxConcurrentHandlers, label: 'reserved concurrency' }] : [];
  return new cloudwatch.GraphWidget({
    title: `${pool.namespace} pool (${pool.kind})`,
    width: 6,
    left,
    leftAnnotations: cap,
    right: [pool.queue.queue.metricApproximateAgeOfOldestMessage({ ...max, label: 'oldest step age (s)' })],
  });
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
  const metrics = queues.work.map((w) =>
    w.queue.metricApproximateNumberOfMessagesVisible({ period: MINUTE, statistic: 'Maximum', label: w.label }),
  );
  return new cloudwatch.GraphWidget({ title: 'Queue depth (visible messages)', width: 8, left: metrics });
}

function ageWidget(queues: TaskerQueues): cloudwatch.GraphWidget {
  const metrics = queues.work.map((w) =>
    w.queue.metricApproximateAgeOfOldestMessage({ period: MINUTE, statistic: 'Maximum', label: w.label }),
  );
  return new cloudwatch.GraphWidget({ title: 'Oldest message age (s)', width: 8, left: metrics });
}

function deadLetterWidget(queues: TaskerQueues): cloudwatch.GraphWidget {
  const metrics = queues.terminal.map((t) =>
    t.queue.metricApproximateNumberOfMessagesVisible({ period: MINUTE, statistic: 'Maximum', label: t.label }),
  );
  return new cloudwatch.GraphWidget({ title: 'Dead-letter and poison queues', width: 6, left: metrics });
}

function functionWidget({ label, function: fn }: MonitoredFunction): cloudwatch.GraphWidget {
  const sum = { period: MINUTE, statistic: 'Sum' };
  return new cloudwatch.GraphWidget({
    title: `${label} function`,
    width: 6,
    left: [fn.metricInvocations(sum), fn.metricErrors(sum), fn.metricThrottles(sum)],
    right: [
      fn.metric('ConcurrentExecutions', { period: MINUTE, statistic: 'Maximum' }),
      fn.metricDuration({ period: MINUTE, statistic: 'p99' }),
    ],
  });
}
