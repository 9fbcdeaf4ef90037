import type { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';

/**
 * What a Lambda pool (the default pool, or one of `workerPools`) runs with when it leaves a setting out. Give it as
 * `lambdaPoolDefaults` to change it for every Lambda pool at once; each pool's own setting wins.
 */
export interface LambdaPoolDefaults {
  /** The pool function's reserved concurrency: its handlers running at once. Default 10; at least 2. */
  readonly maxConcurrentHandlers?: number;
  /** The pool function's timeout, which is its handler timeout. Default 30 s; at most 900 s. */
  readonly handlerTimeout?: Duration;
  /** The deadline race ends this long before the function timeout. Default 2 s; less than `handlerTimeout`. */
  readonly deadlineSafetyMargin?: Duration;
  /** Dispatch messages per invocation, 1..10 (a batch runs its steps in parallel). Default 1. */
  readonly dispatchBatchSize?: number;
  /** Default none (0 s). At most 300 s. */
  readonly maxBatchingWindow?: Duration;
  /** Default 512 MB. */
  readonly memorySize?: number;
  /** Environment for the handlers (names must not collide with the engine's). A pool's own `environment` is added to it. Default none. */
  readonly environment?: Record<string, string>;
}

/**
 * A pool served by a step-handler Lambda function of its own: its own queue (with its dead-letter queue), reserved
 * concurrency and timeout. What it leaves out comes from `lambdaPoolDefaults`, and its code from `functionEntries.stepHandler`.
 * The default pool (`defaultPool`) is one too; in `workerPools` it serves one namespace.
 *
 * @example
 * ```ts
 * const ecommerce: LambdaWorkerPoolProps = { kind: 'lambda', maxConcurrentHandlers: 20, handlerTimeout: Duration.minutes(2), entry: ecommerceEntry };
 * ```
 */
export interface LambdaWorkerPoolProps extends LambdaPoolDefaults {
  readonly kind: 'lambda';
  /** The pool queue's visibility timeout. Default 6 x handlerTimeout + maxBatchingWindow; never less. */
  readonly visibilityTimeout?: Duration;
  /** Your entry file exporting `handler = createStepHandlerLambda(handlers)` with this pool's handlers. Default `functionEntries.stepHandler`. */
  readonly entry?: string;
}

/**
 * A namespace served by pull workers you run outside Lambda (ECS, EC2, Kubernetes, on premises):
 * `tasker worker --namespace <ns> --handlers <module>`, or any worker speaking docs/protocol/worker-protocol.md.
 * The engine creates the pool's queue and an IAM managed policy with exactly what such a worker needs.
 *
 * @example
 * ```ts
 * const reports: PullWorkerPoolProps = { kind: 'pull', createRole: true, handlerTimeout: Duration.minutes(5) };
 * ```
 */
export interface PullWorkerPoolProps {
  readonly kind: 'pull';
  /**
   * The pool queue's visibility timeout; the workers should ask for the same on receive and heartbeat every third of it
   * (the TypeScript worker's default is 30 s). Default 30 s; 6 s to 12 h.
   */
  readonly visibilityTimeout?: Duration;
  /** The workers' time cap on one step (its completion timeout, ENV.completionTimeoutMs, in the pool's environment). Default 30 s; at most 900 s. */
  readonly handlerTimeout?: Duration;
  /** Handlers one worker runs at once (ENV.maxConcurrentHandlers in the pool's environment). Default 10. */
  readonly maxConcurrentHandlers?: number;
  /** Also create a role with the pool's policy (for an ECS task role). Default false: attach the policy to a role of yours. */
  readonly createRole?: boolean;
  /** Who assumes the created role. Default the ECS tasks service (`ecs-tasks.amazonaws.com`). */
  readonly roleAssumedBy?: iam.IPrincipal;
}

/** A namespace's worker pool: on Lambda, or pull workers of yours. */
export type WorkerPoolProps = LambdaWorkerPoolProps | PullWorkerPoolProps;
