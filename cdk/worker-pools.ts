import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { WorkQueue } from './queues.js';
import type { LambdaPoolSettings, PullPoolSettings } from './pool-settings.js';

/** A namespace served by a step-handler function of its own, consuming only the pool's queue. */
export interface LambdaWorkerPool {
  readonly kind: 'lambda';
  readonly namespace: string;
  readonly queue: WorkQueue;
  readonly settings: LambdaPoolSettings;
  /** Grant it what this namespace's handlers call (`pool.function.addToRolePolicy(...)`). */
  readonly function: nodejs.NodejsFunction;
}

/** A namespace served by pull workers you run: the queue, the policy their role needs, and the environment they need. */
export interface PullWorkerPool {
  readonly kind: 'pull';
  readonly namespace: string;
  readonly queue: WorkQueue;
  readonly settings: PullPoolSettings;
  /** Exactly what a worker of this pool does: attach it to the workers' role (an ECS task role). */
  readonly policy: iam.ManagedPolicy;
  /** A role with the policy, when the pool asked for one (`createRole`). */
  readonly role: iam.Role | undefined;
  /** The variables `tasker worker --namespace <ns>` reads (queue URLs, bus, time cap, concurrency, log level). */
  readonly environment: Readonly<Record<string, string>>;
}

export type TaskerWorkerPool = LambdaWorkerPool | PullWorkerPool;

/** `order_processing` -> `OrderProcessing`: a namespace as part of a CloudFormation logical id (letters and digits only). */
export function pascalCaseOf(namespace: string): string {
  return namespace
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
