import type { EventBusEntry } from '../contracts/domain-event.js';
import type { PARK_CODES, ParkedDomainEventWire } from '../contracts/parked-domain-event.js';
import { SCHEMA_VERSION } from '../contracts/schema-version.js';

/** Why a domain event was not published. */
export type ParkCode = (typeof PARK_CODES)[number];

/** A domain event that could not be published, kept whole with the reason. */
export interface ParkedEvent {
  readonly eventId: string;
  readonly eventName: string;
  readonly entry: EventBusEntry;
  readonly code: ParkCode;
  readonly reason: string;
}

/** The body put on the domain-event dead-letter queue (contract: lib/contracts/parked-domain-event.ts). */
export type ParkedDomainEventMessage = ParkedDomainEventWire;

export function buildParkedDomainEventMessage(parked: ParkedEvent, parkedAt: Date): ParkedDomainEventMessage {
  return {
    schema_version: SCHEMA_VERSION,
    message_type: 'parked_domain_event',
    error_code: parked.code,
    reason: parked.reason,
    event_id: parked.eventId,
    event_name: parked.eventName,
    entry: parked.entry,
    parked_at: parkedAt.toISOString(),
  };
}
