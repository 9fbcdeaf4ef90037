import { errorMessage } from '../domain/error-message.js';
import type { DispatchQueueObservation } from '../ports/orchestration-store.js';
import type { QueueCounter } from '../ports/queue-counts.js';
import type { OrchestrationDeps } from './orchestration-deps.js';

/**
 * What the sweeper sees of the dispatch queues before it times anything out: one count per queue
 * (one GetQueueAttributes call on SQS), and which queues hold messages waiting for a receive
 * (visible or delayed). In-flight messages are left out: a handler has them (and reported their
 * start when it mattered). A queue that cannot be read counts as holding messages, so a failed read
 * delays a time-out instead of failing an attempt that may still wait there; it is logged as an
 * error. Undefined when the deps cannot count queues (only deadlines count then).
 *
 * @example
 * ```ts
 * const queues = await observeDispatchQueues(deps); // { defaultQueue, namespaceQueues, backlogged: ['https://sqs…/dispatch'] }
 * const overdue = await deps.store.findTimedOutDispatches(500, queues);
 * ```
 */
export async function observeDispatchQueues(deps: OrchestrationDeps): Promise<DispatchQueueObservation | undefined> {
  const counter = deps.queueCounts;
  if (counter === undefined) return undefined;
  const routes = deps.routing.dispatchRoutes;
  const urls = [...new Set([routes.defaultQueue, ...Object.values(routes.namespaceQueues)])].filter(
    (url): url is string => url !== null,
  );
  const waiting = await Promise.all(urls.map((url) => waitingIn(counter, url, deps)));
  const backlogged = urls.filter((_, i) => waiting[i]! > 0);
  if (backlogged.length > 0)
    deps.logger.info('dispatch queues hold a backlog; attempts there that nobody reported started are held', {
      queues: backlogged.length,
      waiting: waiting.reduce((a, b) => a + b, 0),
    });
  return { ...routes, backlogged };
}

/** Messages waiting for a receive; 1 when the queue cannot be read (counted as a backlog). */
async function waitingIn(counter: QueueCounter, url: string, deps: OrchestrationDeps): Promise<number> {
  try {
    const counts = await counter.countMessages(url);
    return counts.visible + counts.delayed;
  } catch (error) {
    deps.logger.error(
      'could not count a dispatch queue; its attempts nobody reported started are held as if it held a backlog',
      { queue: url, error: errorMessage(error) },
    );
    return 1;
  }
}
