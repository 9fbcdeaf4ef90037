import type { EventBusEntry } from '../contracts/domain-event.js';
import { SCHEMA_VERSION } from '../contracts/schema-version.js';

/** Why a domain event was not published. */
export type ParkCode = 'schema_mismatch' | 'schema_invalid' | 'event_too_large' | 'publish_failed';

/** A domain event that could not be published, kept whole with the reason. */
export interface ParkedEvent {
  readonly eventId: string;
  readonly eventName: string;
  readonly entry: EventBusEntry;
  readonly code: ParkCode;
  readonly reason: string;
}

/** The body put on the domain-event dead-letter queue; a redrive puts `entry` back on the bus as it is. */
export interface ParkedDomainEventMessage {
  readonly schema_version: typeof SCHEMA_VERSION;
  readonly message_type: 'parked_domain_event';
  readonly error_code: ParkCode;
  readonly reason: string;
  readonly event_id: string;
  readonly event_name: string;
  readonly entry: EventBusEntry;
  readonly parked_at: string;
}

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
