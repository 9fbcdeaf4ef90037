import { domainEventSource } from '../lib/contracts/domain-event.js';
import { TASK_LIFECYCLE_SOURCE } from '../lib/contracts/task-lifecycle-event.js';

/**
 * The `events:source` values a role may put on the bus: exactly `only`, or any `tasker.*` source except `except`. A step's
 * domain events carry its namespace's source (`tasker.<namespace>`, lib/worker/plan-domain-events.ts); the task lifecycle
 * events carry `tasker.orchestration` (lib/orchestration/deliver-outbox.ts), which no handler may forge.
 */
export type EventSourceScope = { readonly only: readonly string[] } | { readonly except: readonly string[] };

/** Completion and sweeper: the lifecycle events, nothing else. */
export const ORCHESTRATION_SOURCES: EventSourceScope = { only: [TASK_LIFECYCLE_SOURCE] };

/** A worker pool's step handlers (Lambda or pull): its namespace's domain events. */
export function poolSources(namespace: string): EventSourceScope {
  return { only: [domainEventSource(namespace)] };
}

/**
 * The default pool's step handler runs every namespace without a pool of its own, so it may put any `tasker.*` source
 * but the lifecycle events' and those of the namespaces that have their own pool.
 *
 * @example
 * ```ts
 * defaultPoolSources(['reports']) // { except: ['tasker.orchestration', 'tasker.reports'] }
 * ```
 */
export function defaultPoolSources(pooledNamespaces: readonly string[]): EventSourceScope {
  return { except: [TASK_LIFECYCLE_SOURCE, ...pooledNamespaces.map(domainEventSource)] };
}

/** The IAM condition block that allows exactly the scope's sources. */
export function sourceConditions(scope: EventSourceScope): Record<string, Record<string, string | string[]>> {
  if ('only' in scope) return { StringEquals: { 'events:source': [...scope.only] } };
  return {
    StringLike: { 'events:source': domainEventSource('*') },
    StringNotEquals: { 'events:source': [...scope.except] },
  };
}
