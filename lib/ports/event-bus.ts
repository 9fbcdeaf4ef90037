import type { EventBusEntry } from '../contracts/domain-event.js';

export interface PublishFailure {
  readonly entry: EventBusEntry;
  readonly code: string;
  readonly message: string;
}

export interface PublishOutcome {
  readonly failed: readonly PublishFailure[];
}

/** Puts events on a bus (EventBridge PutEvents); batched by the adapter. Never throws: a failed call reports each of its entries as failed. */
export interface EventBus {
  publish(entries: readonly EventBusEntry[]): Promise<PublishOutcome>;
}
