import { TASK_LIFECYCLE_SOURCE } from '../contracts/task-lifecycle-event.js';
import type { EventBusEntry } from '../contracts/domain-event.js';
import { errorMessage } from '../domain/error-message.js';
import type { OutgoingMessage, SendFailure } from '../ports/message-queue.js';
import type { OutboxEntry } from '../ports/orchestration-store.js';
import type { OrchestrationDeps } from './orchestration-deps.js';
import { timeoutOrFailureResult } from './sweeper-result.js';

export interface DeliveryReport {
  sent: number;
  /** Left in the outbox after a transient failure; the sweeper re-sends them. */
  deferred: number;
  /** Could never be sent (too large); their step was failed instead. */
  refused: number;
}

/**
 * Sends what a committed state change put in the outbox: step dispatches to their namespace's
 * queue, retry ticks (delayed) to the completion queue, lifecycle events to the bus. Rows are
 * deleted only once sent; a crash in between leaves them for the sweeper's re-send.
 */
export async function deliverOutbox(deps: OrchestrationDeps, entries: readonly OutboxEntry[]): Promise<DeliveryReport> {
  const report: DeliveryReport = { sent: 0, deferred: 0, refused: 0 };
  if (entries.length === 0) return report;
  const sent: string[] = [];
  const refused: OutboxEntry[] = [];
  await Promise.all(destinations(deps, entries, report).map((d) => d.deliver(sent, refused)));
  await deps.store.markOutboxSent([...sent, ...refused.map((e) => e.id)]);
  report.sent += sent.length;
  report.refused += refused.length;
  report.deferred = entries.length - report.sent - report.refused;
  for (const entry of refused) await failUndeliverable(deps, entry);
  return report;
}

interface Destination {
  deliver(sent: string[], refused: OutboxEntry[]): Promise<void>;
}

function destinations(deps: OrchestrationDeps, entries: readonly OutboxEntry[], report: DeliveryReport): Destination[] {
  const queues = new Map<string, OutboxEntry[]>();
  const events: OutboxEntry[] = [];
  for (const entry of entries) {
    if (entry.kind === 'task_lifecycle') events.push(entry);
    else addToQueue(deps, queues, entry);
  }
  const out: Destination[] = [...queues].map(([url, group]) => queueDestination(deps, url, group));
  if (events.length > 0) out.push(busDestination(deps, events));
  return out;
}

function addToQueue(deps: OrchestrationDeps, queues: Map<string, OutboxEntry[]>, entry: OutboxEntry): void {
  const url = entry.kind === 'step_dispatch' ? deps.routing.dispatchQueueFor(entry.namespace ?? '') : deps.routing.completionQueueUrl;
  if (!url) {
    deps.logger.error('no dispatch queue for namespace; message stays in the outbox', { namespace: entry.namespace, outbox_id: entry.id });
    return;
  }
  queues.set(url, [...(queues.get(url) ?? []), entry]);
}

function queueDestination(deps: OrchestrationDeps, url: string, group: OutboxEntry[]): Destination {
  return {
    async deliver(sent, refused) {
      const outcome = await deps.queues.send(url, group.map((e) => toMessage(deps, e))).catch((error: unknown) => unavailable(deps, url, group, error));
      const failures = new Map<string, SendFailure>(outcome.failed.map((f) => [f.id, f]));
      for (const entry of group) sortOutcome(deps, entry, failures.get(entry.id), sent, refused);
    },
  };
}

function sortOutcome(deps: OrchestrationDeps, entry: OutboxEntry, failure: SendFailure | undefined, sent: string[], refused: OutboxEntry[]): void {
  if (!failure) sent.push(entry.id);
  else if (failure.permanent && entry.kind === 'step_dispatch') refused.push(entry);
  else deps.logger.warn('outbox send failed; will retry', { outbox_id: entry.id, kind: entry.kind, code: failure.code, error: failure.message, ...ids(entry) });
}

/** A send that threw (queue unreachable): every message stays in the outbox for the sweeper. */
function unavailable(deps: OrchestrationDeps, url: string, group: OutboxEntry[], error: unknown): { failed: SendFailure[] } {
  deps.logger.warn('queue unavailable; messages stay in the outbox', { queue: url, count: group.length, error: errorMessage(error) });
  return { failed: group.map((e) => ({ id: e.id, code: 'QueueUnavailable', message: String(error), permanent: false })) };
}

function toMessage(deps: OrchestrationDeps, entry: OutboxEntry): OutgoingMessage {
  const delayMs = entry.availableAt.getTime() - deps.clock.now().getTime();
  // Whole seconds, rounded down: the tick arrives at most a second early and waits out the rest.
  const delaySeconds = entry.kind === 'retry_due' ? Math.min(900, Math.max(0, Math.floor(delayMs / 1000))) : 0;
  return { id: entry.id, body: JSON.stringify(entry.payload), delaySeconds };
}

function busDestination(deps: OrchestrationDeps, events: OutboxEntry[]): Destination {
  return {
    async deliver(sent) {
      const entries: EventBusEntry[] = events.map((e) => ({ Source: TASK_LIFECYCLE_SOURCE, DetailType: String(e.payload.event_name), Detail: JSON.stringify(e.payload) }));
      const outcome = await deps.events.publish(entries).catch((error: unknown) => ({ failed: entries.map((entry) => ({ entry, code: 'BusUnavailable', message: String(error) })) }));
      const failed = new Set(outcome.failed.map((f) => f.entry.Detail));
      events.forEach((e, i) => (failed.has(entries[i]!.Detail) ? undefined : sent.push(e.id)));
      if (failed.size > 0) deps.logger.warn('lifecycle event publish failed; will retry', { failed: failed.size });
    },
  };
}

/** A dispatch message that can never be sent fails its step permanently instead of waiting forever. */
async function failUndeliverable(deps: OrchestrationDeps, entry: OutboxEntry): Promise<void> {
  const result = timeoutOrFailureResult(entry.payload, deps.clock.now(), {
    error_type: 'payload_too_large',
    message: `the dispatch message (${Buffer.byteLength(JSON.stringify(entry.payload))} bytes: context plus dependency results) exceeds the SQS limit of 256 KB`,
  }, 'orchestration');
  const outcome = await deps.store.applyStepResult(result, deps.random.next());
  deps.logger.error('dispatch message too large; step failed', { ...ids(entry), status: outcome.status });
  await deliverOutbox(deps, outcome.outbox);
}

function ids(entry: OutboxEntry): Record<string, unknown> {
  const p = entry.payload;
  return { task_uuid: p.task_uuid, step_uuid: p.step_uuid, event_id: p.event_id, correlation_id: p.correlation_id };
}
