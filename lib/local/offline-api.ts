import type { ApiRequest, ApiResponse } from '../api/api-call.js';
import { createApiHandler } from '../api/handle-api-request.js';
import { PostgresOrchestrationStore } from '../adapters/postgres/postgres-orchestration-store.js';
import type { Queryable } from '../adapters/postgres/queryable.js';
import { staticRouting } from '../orchestration/queue-routing.js';
import type { EventBus } from '../ports/event-bus.js';
import type { QueueSender } from '../ports/message-queue.js';
import { silentLogger } from './silent-logger.js';

/** Where nothing is sent: every message stays in the outbox. */
const OUTBOX_ONLY = 'outbox://unsent';

const notSent: QueueSender = {
  send: async (_url, messages) => ({
    failed: messages.map((m) => ({
      id: m.id,
      code: 'offline',
      message: 'no queue: left in the outbox',
      permanent: false,
    })),
  }),
};

const notPublished: EventBus = {
  publish: async (entries) => ({
    failed: entries.map((entry) => ({ entry, code: 'offline', message: 'no bus: left in the outbox' })),
  }),
};

/**
 * The API on a database no runtime is attached to (`tasker task … --data-dir|--database-url`): it reads and writes
 * the database as the API function does, and what a change asks to send (dispatches, lifecycle events) stays in the
 * outbox, for the sweeper of the next `tasker dev|run` on that database to send. No queue routes: they answer 503.
 *
 * @example
 * ```ts
 * const handle = offlineApiHandler(database.pool);
 * await handle({ method: 'POST', path: `/tasks/${uuid}/cancel`, query: {}, body: '{"reason":"r"}', actor: localActor() });
 * ```
 */
export function offlineApiHandler(db: Queryable): (request: ApiRequest) => Promise<ApiResponse> {
  return createApiHandler({
    orchestration: {
      store: new PostgresOrchestrationStore(db),
      queues: notSent,
      events: notPublished,
      routing: staticRouting({ dispatchQueueUrl: OUTBOX_ONLY, completionQueueUrl: OUTBOX_ONLY }),
      clock: { now: () => new Date() },
      random: { next: Math.random },
      logger: silentLogger,
      retry: { delaysMs: [], sleep: async () => undefined },
    },
    queue: undefined,
    domainEventDlqUrl: undefined,
    deadLetters: [],
  });
}
