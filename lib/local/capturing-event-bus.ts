import type { EventBusEntry } from '../contracts/domain-event.js';
import type { EventBus, PublishOutcome } from '../ports/event-bus.js';

export type EntryListener = (entry: EventBusEntry) => void;

/** Passes entries to another bus and keeps (and announces) every entry it accepted. */
export class CapturingEventBus implements EventBus {
  readonly entries: EventBusEntry[] = [];
  private readonly listeners = new Set<EntryListener>();

  constructor(private readonly inner: EventBus) {}

  onEntry(listener: EntryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async publish(entries: readonly EventBusEntry[]): Promise<PublishOutcome> {
    const outcome = await this.inner.publish(entries);
    const failed = new Set(outcome.failed.map((f) => f.entry));
    for (const entry of entries.filter((e) => !failed.has(e))) {
      this.entries.push(entry);
      for (const listener of this.listeners) listener(entry);
    }
    return outcome;
  }
}
