/** Where orchestration sends things: each namespace's dispatch queue, and the completion queue. */
export interface QueueRouting {
  /** The dispatch queue of a namespace's worker pool, or null when the namespace has none. */
  dispatchQueueFor(namespace: string): string | null;
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
    completionQueueUrl: options.completionQueueUrl,
    poisonQueueUrl: options.poisonQueueUrl ?? null,
  };
}
