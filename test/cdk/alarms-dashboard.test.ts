import * as sns from 'aws-cdk-lib/aws-sns';
import { Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_EXPIRY_WARNING } from '../../cdk/alarms.js';
import { synthEngine, testApp } from './support/synth.js';
import { type CfnResource, logicalIdOf, referencedId, resourceOf, resourcesOf } from './support/template-queries.js';

const { template, engine } = synthEngine({ namespaceQueues: ['billing'], maxConcurrentHandlers: 6 });
const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'));

function alarmsOn(namespace: string, metric: string, dimension: string, id: string): CfnResource[] {
  return alarms.filter(
    (a) =>
      a.Properties.Namespace === namespace &&
      a.Properties.MetricName === metric &&
      a.Properties.Dimensions?.some((d: any) => d.Name === dimension && referencedId(d.Value) === id),
  );
}

describe('alarms', () => {
  it('watches the oldest-message age and the depth of every work queue', () => {
    for (const { label, queue } of engine.queues.work) {
      const id = logicalIdOf(queue);
      expect(alarmsOn('AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', id), label).toHaveLength(1);
      expect(
        alarmsOn('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', id)[0]?.Properties.Threshold,
        label,
      ).toBe(1000);
      expect(
        alarmsOn('AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', id)[0]?.Properties.Threshold,
        label,
      ).toBe(300);
    }
  });

  it('alarms on any message on a dead-letter or poison queue, and on dead letters about to expire', () => {
    expect(engine.queues.terminal.map((t) => t.label).sort()).toEqual([
      'completion-dlq',
      'dispatch-billing-dlq',
      'dispatch-dlq',
      'domain-event-dlq',
      'event-target-dlq',
      'poison',
      'task-requests-dlq',
    ]);
    for (const { label, queue } of engine.queues.terminal) {
      const [depth] = alarmsOn('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', logicalIdOf(queue));
      expect(depth?.Properties, label).toMatchObject({
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
      });
      const [age] = alarmsOn('AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', logicalIdOf(queue));
      expect(age?.Properties.Threshold, label).toBe(DEAD_LETTER_EXPIRY_WARNING.toSeconds());
    }
  });

  it('alarms on errors and throttles of the step handler, completion, sweeper, ingress and api', () => {
    for (const fn of [
      engine.stepHandler!,
      engine.completionHandler,
      engine.sweeper,
      engine.ingress.function,
      engine.api!.function,
    ]) {
      for (const metric of ['Errors', 'Throttles']) {
        const [alarm] = alarmsOn('AWS/Lambda', metric, 'FunctionName', logicalIdOf(fn));
        expect(alarm?.Properties, `${metric} of ${logicalIdOf(fn)}`).toMatchObject({
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
        });
      }
    }
  });

  it('treats missing data (idle queues publish no metrics) as not breaching', () => {
    for (const alarm of alarms) expect(alarm.Properties.TreatMissingData).toBe('notBreaching');
  });

  it('has no actions unless given a topic; then every alarm notifies it on alarm and on OK', () => {
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toBeUndefined();
    const scope = new Stack(testApp(), 'TopicStack');
    const withTopic = synthEngine({
      alarmTopic: sns.Topic.fromTopicArn(scope, 'Ops', 'arn:aws:sns:eu-west-1:123456789012:ops'),
    });
    for (const alarm of Object.values(resourcesOf(withTopic.template, 'AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toEqual(['arn:aws:sns:eu-west-1:123456789012:ops']);
      expect(alarm.Properties.OKActions).toEqual(['arn:aws:sns:eu-west-1:123456789012:ops']);
    }
  });
});

describe('the dashboard', () => {
  const body = JSON.stringify(resourceOf(template, engine.dashboard).Properties.DashboardBody);

  it('shows step throughput: steps dispatched, handled and results applied', () => {
    expect(body).toContain('Step throughput');
    expect(body).toContain('NumberOfMessagesSent');
    expect(body).toContain('NumberOfMessagesDeleted');
  });

  it('shows queue depth and age, dead letters, alarms and each function', () => {
    for (const text of [
      'ApproximateNumberOfMessagesVisible',
      'ApproximateAgeOfOldestMessage',
      'Dead-letter and poison queues',
      'step-handler function',
      'completion function',
      'sweeper function',
      'ingress function',
      'api function',
      'Throttles',
    ]) {
      expect(body, text).toContain(text);
    }
    for (const alarm of engine.alarms) expect(body).toContain(logicalIdOf(alarm));
  });
});
