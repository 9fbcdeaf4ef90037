import { randomUUID } from 'node:crypto';
import type { EventBusEntry } from '../../contracts/domain-event.js';
import type { EventBus, PublishFailure, PublishOutcome } from '../../ports/event-bus.js';
import type { QueueSender } from '../../ports/message-queue.js';
import { entryRefusal } from '../eventbridge/eventbridge-limits.js';
import { realScheduler, type Scheduler } from './scheduler.js';

/** Matches entries by source and detail type (each: one value, any of several, or anything when absent). */
export interface MemoryEventPattern {
  readonly source?: string | readonly string[];
  readonly detailType?: string | readonly string[];
}

/** Where a matching entry goes: a callback, or a queue that receives the event as EventBridge delivers it to SQS. */
export type MemoryRuleTarget =
  | { readonly callback: (entry: EventBusEntry) => void | Promise<void> }
  | { readonly queue: QueueSender; readonly queueUrl: string };

export interface MemoryRule extends MemoryEventPattern {
  readonly target: MemoryRuleTarget;
}

/** The failure an injected hook makes an entry report; undefined lets the entry through. */
export type FailureInjector = (entry: EventBusEntry) => { code: string; message: string } | undefined;

export interface DeliveryError {
  readonly entry: EventBusEntry;
  readonly error: unknown;
}

/**
 * An event bus in this process. It refuses entries EventBridge would refuse (too large, Detail not a JSON
 * object), keeps every accepted entry, delivers to matching rules, and lets tests
 * make entries fail (`injectFailure`) or the whole call throw (`injectCallError`). A target that fails does
 * not fail the publish, as with EventBridge; such failures are kept in `deliveryErrors`.
 */
export class MemoryEventBus implements EventBus {
  readonly published: EventBusEntry[] = [];
  readonly deliveryErrors: DeliveryError[] = [];
  private readonly rules: MemoryRule[] = [];
  private failureInjector: FailureInjector | undefined;
  private callError: Error | undefined;

  constructor(
    readonly busName = 'default',
    private readonly scheduler: Scheduler = realScheduler,
  ) {}

  addRule(rule: MemoryRule): void {
    this.rules.push(rule);
  }

  injectFailure(injector: FailureInjector | undefined): void {
    this.failureInjector = injector;
  }

  /** Makes every publish reject with this error until cleared with undefined. */
  injectCallError(error: Error | undefined): void {
    this.callError = error;
  }

  async publish(entries: readonly EventBusEntry[]): Promise<PublishOutcome> {
    if (this.callError) throw this.callError;
    const failed: PublishFailure[] = [];
    for (const entry of entries) {
      const failure = entryRefusal(entry) ?? this.failureInjector?.(entry);
      if (failure) failed.push({ entry, ...failure });
      else await this.accept(entry);
    }
    return { failed };
  }

  /** Accepted entries whose detail type is this one, with their Detail parsed. */
  detailsOf(detailType: string): unknown[] {
    return this.published.filter((entry) => entry.DetailType === detailType).map((entry) => JSON.parse(entry.Detail));
  }

  private async accept(entry: EventBusEntry): Promise<void> {
    this.published.push(entry);
    for (const rule of this.rules.filter((candidate) => ruleMatches(candidate, entry))) {
      try {
        await this.deliver(rule.target, entry);
      } catch (error) {
        this.deliveryErrors.push({ entry, error });
      }
    }
  }

  private async deliver(target: MemoryRuleTarget, entry: EventBusEntry): Promise<void> {
    if ('callback' in target) return target.callback(entry);
    const body = JSON.stringify(this.envelope(entry));
    const outcome = await target.queue.send(target.queueUrl, [{ id: 'event', body }]);
    const failure = outcome.failed[0];
    if (failure) throw new Error(`delivery to ${target.queueUrl} failed: ${failure.code} ${failure.message}`);
  }

  /** The JSON EventBridge puts on an SQS target. */
  private envelope(entry: EventBusEntry) {
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: '000000000000',
      time: new Date(this.scheduler.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: 'us-east-1',
      resources: [],
      detail: JSON.parse(entry.Detail) as unknown,
    };
  }
}

function ruleMatches(rule: MemoryEventPattern, entry: EventBusEntry): boolean {
  return matchesValue(rule.source, entry.Source) && matchesValue(rule.detailType, entry.DetailType);
}

function matchesValue(expected: string | readonly string[] | undefined, actual: string): boolean {
  if (expected === undefined) return true;
  return typeof expected === 'string' ? expected === actual : expected.includes(actual);
}
