import { TASK_LIFECYCLE_SOURCE } from '../contracts/task-lifecycle-event.js';
import type { EventBusEntry } from '../contracts/domain-event.js';
import { byteLength } from '../contracts/schema-version.js';
import { errorMessage } from '../domain/error-message.js';
import type { OutgoingMessage, SendFailure } from '../ports/message-queue.js';
import type { OutboxEntry } from '../ports/orchestration-store.js';
import type { OrchestrationDeps } from './orchestration-deps.js';
import { timeoutOrFailureResult } from './sweeper-result.js';

export interface DeliveryReport {
  readonly sent: number;
  /** Left in the outbox after a transient failure; the sweeper re-sends them. */
  readonly deferred: number;
  /** Could never be sent (too large); their step was failed instead. */
  readonly refused: number;
}

/** What one destination did with its entries. */
interface Delivered {
  /** Ids of the outbox rows sent. */
  readonly sent: readonly string[];
  /** Step dispatches the queue refused for good (too large). */
  readonly refused: readonly OutboxEntry[];
}

/**
 * Sends what a committed state change put in the outbox: step dispatches to their namespace's
 * queue, retry ticks (delayed) to the completion queue, lifecycle events (and wait steps' domain events) to the bus. Rows are
 * deleted only once sent; a crash in between leaves them for the sweeper's re-send.
 */
export async function deliverOutbox(deps: OrchestrationDeps, entries: readonly OutboxEntry[]): Promise<DeliveryReport> {
  if (entries.length === 0) return { sent: 0, deferred: 0, refused: 0 };
  const delivered = await Promise.all(deliveries(deps, entries));
  const sent = delivered.flatMap((d) => d.sent);
  const refused = delivered.flatMap((d) => d.refused);
  await deps.store.markOutboxSent([...sent, ...refused.map((e) => e.id)]);
  for (const entry of refused) await failUndeliverable(deps, entry);
  return { sent: sent.length, deferred: entries.length - sent.length - refused.length, refused: refused.length };
}

/** One delivery per queue the entries go to, and one to the bus for the lifecycle events. */
function deliveries(deps: OrchestrationDeps, entries: readonly OutboxEntry[]): Promise<Delivered>[] {
  const events = entries.filter(isBusEntry);
  const queues = [
    ...byQueue(
      deps,
      entries.filter((e) => !isBusEntry(e)),
    ),
  ];
  const out = queues.map(([url, group]) => sendToQueue(deps, url, group));
  if (events.length > 0) out.push(publishToBus(deps, events));
  return out;
}

/** The entries by the queue they go to; one with no queue for its namespace is left out (it stays in the outbox). */
function byQueue(deps: OrchestrationDeps, entries: readonly OutboxEntry[]): Map<string, OutboxEntry[]> {
  const queues = new Map<string, OutboxEntry[]>();
  for (const entry of entries) {
    const url =
      entry.kind === 'step_dispatch'
        ? deps.routing.dispatchQueueFor(entry.namespace ?? '')
        : deps.routing.completionQueueUrl;
    if (url) queues.set(url, [...(queues.get(url) ?? []), entry]);
    else
      deps.logger.error('no dispatch queue for namespace; message stays in the outbox', {
        namespace: entry.namespace,
        outbox_id: entry.id,
      });
  }
  return queues;
}

async function sendToQueue(deps: OrchestrationDeps, url: string, group: readonly OutboxEntry[]): Promise<Delivered> {
  const outcome = await deps.queues
    .send(
      url,
      group.map((e) => toMessage(deps, e)),
    )
    .catch((error: unknown) => unavailable(deps, url, group, error));
  const failures = new Map<string, SendFailure>(outcome.failed.map((f) => [f.id, f]));
  const refused = group.filter((e) => isRefused(e, failures.get(e.id)));
  for (const entry of group) {
    const failure = failures.get(entry.id);
    if (failure && !refused.includes(entry))
      deps.logger.warn('outbox send failed; will retry', {
        outbox_id: entry.id,
        kind: entry.kind,
        code: failure.code,
        error: failure.message,
        ...ids(entry),
      });
  }
  return { sent: group.filter((e) => !failures.has(e.id)).map((e) => e.id), refused };
}

/** A dispatch the queue can never take; anything else that failed is retried by the sweeper. */
function isRefused(entry: OutboxEntry, failure: SendFailure | undefined): boolean {
  return failure?.permanent === true && entry.kind === 'step_dispatch';
}

/** A send that threw (queue unreachable): every message stays in the outbox for the sweeper. */
function unavailable(
  deps: OrchestrationDeps,
  url: string,
  group: readonly OutboxEntry[],
  error: unknown,
): { failed: SendFailure[] } {
  deps.logger.warn('queue unavailable; messages stay in the outbox', {
    queue: url,
    count: group.length,
    error: errorMessage(error),
  });
  return {
    failed: group.map((e) => ({ id: e.id, code: 'QueueUnavailable', message: String(error), permanent: false })),
  };
}

function toMessage(deps: OrchestrationDeps, entry: OutboxEntry): OutgoingMessage {
  const delayMs = entry.availableAt.getTime() - deps.clock.now().getTime();
  // Whole seconds, rounded down: the tick arrives at most a second early and waits out the rest.
  const delaySeconds = entry.kind === 'retry_due' ? Math.min(900, Math.max(0, Math.floor(delayMs / 1000))) : 0;
  return { id: entry.id, body: JSON.stringify(entry.payload), delaySeconds };
}

/** Lifecycle events, and the domain events of wait steps, go to the bus. */
function isBusEntry(entry: OutboxEntry): boolean {
  return entry.kind === 'task_lifecycle' || entry.kind === 'domain_event';
}

function toBusEntry(e: OutboxEntry): EventBusEntry {
  if (e.kind === 'domain_event')
    return {
      Source: String(e.payload.source),
      DetailType: String(e.payload.detail_type),
      Detail: JSON.stringify(e.payload.detail),
    };
  return { Source: TASK_LIFECYCLE_SOURCE, DetailType: String(e.payload.event_name), Detail: JSON.stringify(e.payload) };
}

async function publishToBus(deps: OrchestrationDeps, events: readonly OutboxEntry[]): Promise<Delivered> {
  const entries: EventBusEntry[] = events.map(toBusEntry);
  const outcome = await deps.events.publish(entries).catch((error: unknown) => ({
    failed: entries.map((entry) => ({ entry, code: 'BusUnavailable', message: String(error) })),
  }));
  const failed = new Set(outcome.failed.map((f) => f.entry.Detail));
  if (failed.size > 0) deps.logger.warn('lifecycle event publish failed; will retry', { failed: failed.size });
  return { sent: events.filter((_, i) => !failed.has(entries[i]!.Detail)).map((e) => e.id), refused: [] };
}

/** A dispatch message that can never be sent fails its step permanently instead of waiting forever. */
async function failUndeliverable(deps: OrchestrationDeps, entry: OutboxEntry): Promise<void> {
  const result = timeoutOrFailureResult(
    entry.payload,
    deps.clock.now(),
    {
      error_type: 'payload_too_large',
      message: `the dispatch message (${byteLength(entry.payload)} bytes: context plus dependency results) exceeds the SQS limit of 256 KB`,
    },
    'orchestration',
  );
  const outcome = await deps.store.applyStepResult(result, deps.random.next());
  deps.logger.error('dispatch message too large; step failed', { ...ids(entry), status: outcome.status });
  await deliverOutbox(deps, outcome.outbox);
}

function ids(entry: OutboxEntry): Record<string, unknown> {
  const p = entry.payload;
  return { task_uuid: p.task_uuid, step_uuid: p.step_uuid, event_id: p.event_id, correlation_id: p.correlation_id };
}
