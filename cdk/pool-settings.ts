import type { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';

/** What a step-handler function runs with: the resolved `lambdaPoolDefaults`, or a Lambda pool's settings. */
export interface StepHandlerSettings {
  readonly maxConcurrentHandlers: number;
  readonly handlerTimeout: Duration;
  readonly deadlineSafetyMargin: Duration;
  readonly dispatchBatchSize: number;
  readonly maxBatchingWindow: Duration | undefined;
  /** The user's entry file (`handler = createStepHandlerLambda(handlers)`); undefined when none was given, which the props checks refuse. */
  readonly entry: string | undefined;
  readonly memorySize: number;
  readonly environment: Readonly<Record<string, string>>;
}

/** A Lambda pool's function and the visibility timeout of the queue it consumes. */
export interface LambdaFunctionPoolSettings extends StepHandlerSettings {
  readonly visibilityTimeout: Duration;
}

/** The default pool: the `StepHandler` function on the default dispatch queue. */
export interface DefaultPoolSettings extends LambdaFunctionPoolSettings {
  readonly kind: 'lambda';
  /** Namespaces with a queue of their own that this pool's function consumes too (the deprecated `namespaceQueues`). */
  readonly namespaceQueues: readonly string[];
  /** The `maxConcurrency` of each of its queues' event sources: its handler concurrency split evenly between them. */
  readonly queueMaxConcurrency: number;
}

/** A namespace served by a step-handler function of its own. */
export interface LambdaPoolSettings extends LambdaFunctionPoolSettings {
  readonly kind: 'lambda';
  readonly namespace: string;
}

/** A namespace served by pull workers outside the stack. */
export interface PullPoolSettings {
  readonly kind: 'pull';
  readonly namespace: string;
  readonly visibilityTimeout: Duration;
  readonly handlerTimeout: Duration;
  readonly maxConcurrentHandlers: number;
  readonly createRole: boolean;
  readonly roleAssumedBy: iam.IPrincipal | undefined;
}

/** A namespace's worker pool, with every default applied. */
export type WorkerPoolSettings = LambdaPoolSettings | PullPoolSettings;
