import type { DispatchQueueObservation } from '../ports/orchestration-store.js';

/** Every dispatch queue: the default one, and the namespaces that have their own. */
export type DispatchRoutes = Pick<DispatchQueueObservation, 'defaultQueue' | 'namespaceQueues'>;

/** Where orchestration sends things: each namespace's dispatch queue, and the completion queue. */
export interface QueueRouting {
  /** The dispatch queue of a namespace's worker pool, or null when the namespace has none. */
  dispatchQueueFor(namespace: string): string | null;
  /** All of them, as the sweeper looks at them (see observe-dispatch-queues.ts). */
  readonly dispatchRoutes: DispatchRoutes;
  readonly completionQueueUrl: string;
  readonly poisonQueueUrl: string | null;
}

/** A default dispatch queue, with per-namespace overrides. */
export function staticRouting(options: {
  dispatchQueueUrl?: string;
  namespaceQueueUrls?: Record<string, string>;
  completionQueueUrl: string;
  poisonQueueUrl?: string | null;
}): QueueRouting {
  const byNamespace = options.namespaceQueueUrls ?? {};
  return {
    dispatchQueueFor: (namespace) => byNamespace[namespace] ?? options.dispatchQueueUrl ?? null,
    dispatchRoutes: { defaultQueue: options.dispatchQueueUrl ?? null, namespaceQueues: { ...byNamespace } },
    completionQueueUrl: options.completionQueueUrl,
    poisonQueueUrl: options.poisonQueueUrl ?? null,
  };
}
