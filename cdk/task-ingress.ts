import { Duration } from 'aws-cdk-lib';
import { TimeZone } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { TASK_REQUESTED_DETAIL_TYPE } from '../lib/contracts/task-request.js';
import { ORCHESTRATION_SOURCES } from './event-sources.js';
import { allowPutEvents, allowReadSecret, allowSend } from './permissions.js';
import type { WorkQueue } from './queues.js';
import type { IngressSettings, TaskScheduleSettings } from './resolve-ingress.js';
import { TaskerFunction, type TaskerFunctionProps } from './tasker-function.js';

export interface TaskIngressProps {
  readonly settings: IngressSettings;
  readonly schedules: readonly TaskScheduleSettings[];
  /** The task-request queue (with its dead-letter queue). */
  readonly queue: WorkQueue;
  readonly entry: string;
  /** What every database function shares: logs, bundling, the VPC; and the orchestration environment. */
  readonly function: Pick<TaskerFunctionProps, 'logRetention' | 'bundleAwsSdk' | 'network' | 'environment'>;
  readonly runtimeSecret: secretsmanager.ISecret;
  readonly bus: events.IEventBus;
  /** Where the ingress sends what creating a task dispatches: the dispatch queues, and the completion queue (delayed starts' ticks). */
  readonly sendQueues: readonly sqs.IQueue[];
  /** Where the rules and schedules put what they could not deliver. */
  readonly deliveryDlq: sqs.IQueue;
}

/** Events that could not be delivered are retried this long, as the engine's other rule. */
const DELIVERY_RETRIES = { retryAttempts: 8, maxEventAge: Duration.hours(24) };

/**
 * The stack's front door for starting tasks: the task-request queue's consumer (the ingress function, which can create
 * tasks and nothing else), a rule on the engine's bus (and optionally the default bus) turning `task.requested` events
 * into requests, and the `schedules` as EventBridge Scheduler schedules putting requests on the queue.
 *
 * @example
 * ```ts
 * aws events put-events --entries '[{"EventBusName":"<bus>","Source":"my.app","DetailType":"task.requested","Detail":"{\"namespace\":\"billing\",\"name\":\"invoice\"}"}]'
 * ```
 */
export class TaskIngress extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly rules: readonly events.Rule[];
  readonly schedules: ReadonlyMap<string, scheduler.Schedule>;

  constructor(scope: Construct, id: string, props: TaskIngressProps) {
    super(scope, id);
    this.function = this.createFunction(props);
    this.rules = [
      this.requestRule('TaskRequestedRule', props.bus, props),
      ...(props.settings.defaultBusRule
        ? [
            this.requestRule(
              'DefaultBusTaskRequestedRule',
              events.EventBus.fromEventBusName(this, 'DefaultBus', 'default'),
              props,
            ),
          ]
        : []),
    ];
    this.schedules = new Map(props.schedules.map((s) => [s.name, this.schedule(s, props)]));
  }

  /** Consumes the request queue; the runtime login, the engine's lifecycle source on the bus, sends to what creation dispatches to. */
  private createFunction(props: TaskIngressProps): nodejs.NodejsFunction {
    const s = props.settings;
    const fn = new TaskerFunction(this, 'Function', {
      ...props.function,
      entry: props.entry,
      description:
        'tasker ingress: creates tasks from the task-request queue in batches, answers task.created or task.rejected',
      timeout: s.timeout,
      memorySize: s.memorySize,
    });
    fn.function.addEventSource(
      new sources.SqsEventSource(props.queue.queue, {
        batchSize: s.batchSize,
        maxBatchingWindow: s.maxBatchingWindow,
        maxConcurrency: s.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    allowReadSecret(fn.role, props.runtimeSecret);
    allowPutEvents(fn.role, props.bus, ORCHESTRATION_SOURCES);
    allowSend(fn.role, props.sendQueues);
    return fn.function;
  }

  /** `detail-type: task.requested` on `bus` -> the event's detail as a request on the queue. */
  private requestRule(id: string, bus: events.IEventBus, props: TaskIngressProps): events.Rule {
    return new events.Rule(this, id, {
      eventBus: bus,
      description: 'tasker: task.requested events become requests on the task-request queue (their detail)',
      eventPattern: { detailType: [TASK_REQUESTED_DETAIL_TYPE] },
      targets: [
        new targets.SqsQueue(props.queue.queue, {
          message: events.RuleTargetInput.fromEventPath('$.detail'),
          deadLetterQueue: props.deliveryDlq,
          ...DELIVERY_RETRIES,
        }),
      ],
    });
  }

  /** One schedule: its request, keyed by its name and the scheduled time, on the queue at each time (no flexible window). */
  private schedule(s: TaskScheduleSettings, props: TaskIngressProps): scheduler.Schedule {
    return new scheduler.Schedule(this, `Schedule-${s.name}`, {
      schedule: scheduler.ScheduleExpression.expression(s.expression.trim(), TimeZone.of(s.timeZone)),
      description: s.description ?? `tasker: starts ${s.namespace}/${s.template} (${s.name})`,
      enabled: s.enabled,
      timeWindow: scheduler.TimeWindow.off(),
      target: new schedulerTargets.SqsSendMessage(props.queue.queue, {
        input: scheduler.ScheduleTargetInput.fromObject(scheduledRequest(s)),
        deadLetterQueue: props.deliveryDlq,
        ...DELIVERY_RETRIES,
      }),
    });
  }
}

/**
 * The request a schedule sends: its task, and the idempotency key of this run (`caller_provided` identity), Scheduler
 * filling in the scheduled time.
 *
 * @example
 * ```ts
 * scheduledRequest(s).idempotency_key // 'schedule:nightly-report:<aws.scheduler.scheduled-time>'
 * ```
 */
export function scheduledRequest(s: TaskScheduleSettings): Record<string, unknown> {
  return {
    namespace: s.namespace,
    name: s.template,
    ...(s.version ? { version: s.version } : {}),
    context: s.context,
    identity_strategy: 'caller_provided',
    idempotency_key: `schedule:${s.name}:${scheduler.ContextAttribute.scheduledTime}`,
    initiator: `schedule:${s.name}`,
  };
}
