import type { EventBusEntry } from '../../../lib/contracts/domain-event.js';
import type { EventBus, PublishOutcome } from '../../../lib/ports/event-bus.js';
import { currentInvocation, never } from './invocation-context.js';
import type { Ledger } from './ledger.js';

/**
 * The bus as a scenario sees it: every entry the underlying bus accepted is put in the ledger (in
 * order with the results sent); a killed invocation's publishes never happen.
 */
export class FaultBus implements EventBus {
  constructor(
    private readonly inner: EventBus,
    private readonly ledger: Ledger,
  ) {}

  async publish(entries: readonly EventBusEntry[]): Promise<PublishOutcome> {
    const invocation = currentInvocation();
    if (invocation?.beforeSend(false)) return never();
    const outcome = await this.inner.publish(entries);
    const failed = new Set(outcome.failed.map((f) => f.entry));
    for (const entry of entries) if (!failed.has(entry)) this.ledger.recordEntry(entry);
    if (invocation?.killed) return never();
    return outcome;
  }
}
