import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { TaskerEngineSettings } from './resolve-engine-props.js';

/** Work queues keep a message 4 days; dead-letter queues the SQS maximum, 14 days, longer than any source (SQS keeps the original enqueue time). */
export const WORK_QUEUE_RETENTION = Duration.days(4);
export const DEAD_LETTER_RETENTION = Duration.days(14);

/** A queue a function consumes, with the dead-letter queue its redrive policy points at. */
export interface WorkQueue {
  readonly label: string;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
}

/** A queue nothing consumes automatically: a message on it needs a person. */
export interface TerminalQueue {
  readonly label: string;
  readonly queue: sqs.Queue;
}

export interface TaskerQueues {
  /** The default pool's dispatch queue (namespaces without a queue of their own); none when `workerPools` leave out the default pool. */
  readonly dispatch: WorkQueue | undefined;
  /** namespace -> its own dispatch queue: one per worker pool (or per deprecated `namespaceQueues` entry, a queue of the default pool). */
  readonly namespaceDispatch: ReadonlyMap<string, WorkQueue>;
  readonly completion: WorkQueue;
  /** Requests to start a task (sent directly, by the `task.requested` rule, by schedules), consumed by the ingress function. */
  readonly taskRequests: WorkQueue;
  /** Messages the step handler or completion function could not parse. */
  readonly poison: TerminalQueue;
  /** Domain events whose PutEvents failed (a failed publish never fails the step). */
  readonly domainEventDlq: TerminalQueue;
  /** Events the example rule could not deliver to its target. */
  readonly eventTargetDlq: TerminalQueue;
  /** What the default pool's function consumes: the default dispatch queue and its deprecated `namespaceQueues` (no worker pool's queue). */
  readonly defaultPoolDispatch: readonly WorkQueue[];
  readonly allDispatch: readonly WorkQueue[];
  readonly work: readonly WorkQueue[];
  readonly terminal: readonly TerminalQueue[];
}

/**
 * Every queue of the engine: encrypted at rest (SQS-managed keys, no KMS cost), TLS-only, redrive on every work queue.
 * The queues holding what needs a person (dead letters, poison, parked events) get `deadLetterRemovalPolicy`.
 */
export class TaskerQueueSet extends Construct {
  readonly queues: TaskerQueues;
  private readonly terminalRemoval: RemovalPolicy;

  constructor(scope: Construct, id: string, settings: TaskerEngineSettings) {
    super(scope, id);
    this.terminalRemoval = settings.deadLetterRemovalPolicy;
    const { defaultPool } = settings;
    const dispatch = defaultPool
      ? this.workQueue('Dispatch', 'dispatch', defaultPool.visibilityTimeout, settings.maxReceiveCount)
      : undefined;
    const namespaceDispatch = new Map(
      namespaceQueueSpecs(settings).map(([ns, visibility]) => [
        ns,
        this.workQueue(`Dispatch-${ns}`, `dispatch-${ns}`, visibility, settings.maxReceiveCount),
      ]),
    );
    const completion = this.workQueue(
      'Completion',
      'completion',
      settings.completion.visibilityTimeout,
      settings.maxReceiveCount,
    );
    const taskRequests = this.workQueue(
      'TaskRequests',
      'task-requests',
      settings.ingress.visibilityTimeout,
      settings.maxReceiveCount,
    );
    const allDispatch = [...(dispatch ? [dispatch] : []), ...namespaceDispatch.values()];
    const defaultPoolDispatch =
      dispatch && defaultPool
        ? [dispatch, ...defaultPool.namespaceQueues.map((ns) => namespaceDispatch.get(ns) as WorkQueue)]
        : [];
    const poison = this.terminalQueue('Poison', 'poison');
    const domainEventDlq = this.terminalQueue('DomainEventDlq', 'domain-event-dlq');
    const eventTargetDlq = this.terminalQueue('EventTargetDlq', 'event-target-dlq');
    const work = [...allDispatch, completion, taskRequests];
    const terminal = [
      ...work.map((w) => ({ label: `${w.label}-dlq`, queue: w.deadLetterQueue })),
      poison,
      domainEventDlq,
      eventTargetDlq,
    ];
    this.queues = {
      dispatch,
      namespaceDispatch,
      completion,
      taskRequests,
      poison,
      domainEventDlq,
      eventTargetDlq,
      defaultPoolDispatch,
      allDispatch,
      work,
      terminal,
    };
  }

  private workQueue(id: string, label: string, visibilityTimeout: Duration, maxReceiveCount: number): WorkQueue {
    const deadLetterQueue = new sqs.Queue(this, `${id}Dlq`, {
      ...BASE_QUEUE_PROPS,
      retentionPeriod: DEAD_LETTER_RETENTION,
      removalPolicy: this.terminalRemoval,
    });
    const queue = new sqs.Queue(this, `${id}Queue`, {
      ...BASE_QUEUE_PROPS,
      retentionPeriod: WORK_QUEUE_RETENTION,
      visibilityTimeout,
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount },
    });
    return { label, queue, deadLetterQueue };
  }

  /** Nothing may use these as a redrive target: they are written to directly. */
  private terminalQueue(id: string, label: string): TerminalQueue {
    const queue = new sqs.Queue(this, `${id}Queue`, {
      ...BASE_QUEUE_PROPS,
      retentionPeriod: DEAD_LETTER_RETENTION,
      redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.DENY_ALL },
      removalPolicy: this.terminalRemoval,
    });
    return { label, queue };
  }
}

/** namespace -> its queue's visibility timeout: the default pool's for its `namespaceQueues` (its function consumes them), each pool's own otherwise. */
function namespaceQueueSpecs({ defaultPool, workerPools }: TaskerEngineSettings): [string, Duration][] {
  const ofDefaultPool = defaultPool
    ? defaultPool.namespaceQueues.map((ns): [string, Duration] => [ns, defaultPool.visibilityTimeout])
    : [];
  return [...ofDefaultPool, ...workerPools.map((pool): [string, Duration] => [pool.namespace, pool.visibilityTimeout])];
}

const BASE_QUEUE_PROPS = {
  encryption: sqs.QueueEncryption.SQS_MANAGED,
  enforceSSL: true,
} as const satisfies sqs.QueueProps;
