import type { EventBusEntry } from '../../lib/contracts/domain-event.js';
import type { EventBus, PublishOutcome } from '../../lib/ports/event-bus.js';

export interface BusFailureRule {
  /** How many publish calls fail before the rule is used up (Infinity: always). */
  readonly times: number;
  /** `throw`: the call rejects; `reject`: the call resolves with the entries reported failed. */
  readonly mode?: 'throw' | 'reject';
  readonly code?: string;
  /** Only these entries fail (mode `reject`); all of them when left out. */
  readonly match?: (entry: EventBusEntry) => boolean;
}

/** An in-memory EventBus that records what it published and fails on demand (whole calls or single entries). */
export class FakeEventBus implements EventBus {
  readonly published: EventBusEntry[] = [];
  readonly calls: (readonly EventBusEntry[])[] = [];
  private readonly rules: { rule: BusFailureRule; left: number }[] = [];

  /** @param journal shared with other fakes to check the order of sends and publishes. */
  constructor(private readonly journal: string[] = []) {}

  failNext(times: number, rule: Omit<BusFailureRule, 'times'> = {}): this {
    this.rules.push({ rule: { ...rule, times }, left: times });
    return this;
  }

  failAlways(rule: Omit<BusFailureRule, 'times'> = {}): this {
    return this.failNext(Number.POSITIVE_INFINITY, rule);
  }

  async publish(entries: readonly EventBusEntry[]): Promise<PublishOutcome> {
    this.calls.push(entries);
    const active = this.rules.find((r) => r.left > 0);
    if (active) active.left -= 1;
    if (active?.rule.mode === 'throw')
      throw new Error(`${active.rule.code ?? 'EventBusUnavailable'}: PutEvents failed`);
    const failing = active ? entries.filter((e) => active.rule.match?.(e) ?? true) : [];
    for (const entry of entries.filter((e) => !failing.includes(e))) {
      this.published.push(entry);
      this.journal.push(`publish ${entry.DetailType}`);
    }
    const code = active?.rule.code ?? 'InternalFailure';
    return { failed: failing.map((entry) => ({ entry, code, message: 'fake publish failure' })) };
  }

  /** The Detail of every published entry, parsed. */
  details(): Record<string, unknown>[] {
    return this.published.map((e) => JSON.parse(e.Detail) as Record<string, unknown>);
  }
}
