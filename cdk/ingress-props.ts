import type { Duration } from 'aws-cdk-lib';

/** The ingress: the task-request queue and the function that creates tasks from it. */
export interface IngressProps {
  /** Requests per invocation (one transaction creates them all), 1..10. Default 10. */
  readonly batchSize?: number;
  /** Default none (0 s). At most 300 s. */
  readonly maxBatchingWindow?: Duration;
  /** Concurrent invocations the event source may use, at least 2. Default 2. */
  readonly maxConcurrency?: number;
  /** Function timeout. Default 30 s, at most 900 s. */
  readonly timeout?: Duration;
  /** Default 6 x timeout + batching window; never less. */
  readonly visibilityTimeout?: Duration;
  /** Default 512 MB. */
  readonly memorySize?: number;
  /**
   * Also turn `task.requested` events on the account's default bus into task requests (the engine's own bus always
   * does). Default false.
   */
  readonly defaultBusRule?: boolean;
}

/**
 * A task started on a schedule: an EventBridge Scheduler schedule puts a request for it on the task-request queue, with
 * the idempotency key `schedule:<name>:<scheduled time>`, so a schedule delivered twice for one time creates one task.
 *
 * @example
 * ```ts
 * { name: 'nightly-report', namespace: 'reports', template: 'daily', expression: 'cron(0 2 * * ? *)', timeZone: 'Europe/Paris', context: { scope: 'all' } }
 * ```
 */
export interface TaskScheduleProps {
  /** Names the schedule in the idempotency key (and the construct id): letters, digits, `-`, `_`, `.`; up to 64. */
  readonly name: string;
  readonly namespace: string;
  /** The template's name. */
  readonly template: string;
  /** Default: the newest registered version at each run. */
  readonly version?: string;
  /** `cron(...)` or `rate(...)`, as EventBridge Scheduler reads them. */
  readonly expression: string;
  /** The IANA time zone the cron expression is read in. Default 'UTC'. */
  readonly timeZone?: string;
  /** The task context. Default {}. */
  readonly context?: Record<string, unknown>;
  readonly description?: string;
  /** Default true. */
  readonly enabled?: boolean;
}
