import {
  domainEventEnvelope,
  type DomainEventEnvelope,
  type EventBusEntry,
} from '../../../lib/contracts/domain-event.js';
import { TASK_LIFECYCLE_SOURCE } from '../../../lib/contracts/task-lifecycle-event.js';

/** A domain event as it reached the bus, with its place in the scenario's timeline. */
export interface CapturedEvent {
  readonly envelope: DomainEventEnvelope;
  readonly seq: number;
}

/**
 * What a scenario observed at its edges, in one order: every step result that reached the
 * completion queue (first time, by event_id) and every domain event the bus accepted. `seq` is a
 * counter shared by both, so "the event came after its result" is a comparison of two numbers.
 */
export class Ledger {
  private counter = 0;
  private readonly resultSent = new Map<string, number>();
  readonly events: CapturedEvent[] = [];
  /** Entries the bus accepted that are neither domain events nor lifecycle events (should stay empty). */
  readonly unreadable: EventBusEntry[] = [];

  seq(): number {
    this.counter += 1;
    return this.counter;
  }

  /** A step result was accepted by the completion queue. */
  recordResultSent(eventId: string): void {
    if (!this.resultSent.has(eventId)) this.resultSent.set(eventId, this.seq());
  }

  resultSentSeq(eventId: string): number | undefined {
    return this.resultSent.get(eventId);
  }

  get resultsSent(): number {
    return this.resultSent.size;
  }

  /** An entry the bus accepted. */
  recordEntry(entry: EventBusEntry): void {
    if (entry.Source === TASK_LIFECYCLE_SOURCE) return;
    const parsed = domainEventEnvelope.safeParse(safeJson(entry.Detail));
    if (parsed.success) this.events.push({ envelope: parsed.data, seq: this.seq() });
    else this.unreadable.push(entry);
  }

  /** Captures of each domain event id. */
  eventCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const e of this.events) counts.set(e.envelope.event_id, (counts.get(e.envelope.event_id) ?? 0) + 1);
    return counts;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
