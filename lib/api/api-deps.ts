import type { OrchestrationDeps } from '../orchestration/orchestration-deps.js';
import type { MessageQueue } from '../ports/message-queue.js';
import type { QueueCounter } from '../ports/queue-counts.js';

/**
 * A queue an operator can inspect and redrive. `redriveTo`: the work queue its messages go back to (a work queue's
 * dead-letter queue); null for the poison queue, whose messages each go back to the queue they came from
 * (`source_queue`), when that is one of the others' `redriveTo`.
 */
export interface DeadLetterQueue {
  readonly name: string;
  readonly url: string;
  readonly redriveTo: string | null;
}

/** What the API needs: orchestration (store, queues, bus, logger), and the queues operators work on. */
export interface ApiDeps {
  readonly orchestration: OrchestrationDeps;
  /** Receives from and sends to the dead-letter queues; undefined: the queue routes answer 503. */
  readonly queue: MessageQueue | undefined;
  readonly counts?: QueueCounter;
  /** Where domain events whose publish failed are parked (`POST /events/redrive`). */
  readonly domainEventDlqUrl: string | undefined;
  readonly deadLetters: readonly DeadLetterQueue[];
}
