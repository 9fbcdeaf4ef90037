import { z } from 'zod';
import { schemaVersion, timestamp, uuid } from './schema-version.js';

/** Why a domain event was not published. */
export const PARK_CODES = ['schema_mismatch', 'schema_invalid', 'event_too_large', 'publish_failed'] as const;

/**
 * A domain event that could not be published, on the domain-event dead-letter queue: the
 * EventBridge entry kept whole, so a redrive puts it back on the bus as it was.
 */
export const parkedDomainEventMessage = z.object({
  schema_version: schemaVersion,
  message_type: z.literal('parked_domain_event'),
  error_code: z.enum(PARK_CODES),
  reason: z.string(),
  event_id: uuid,
  event_name: z.string(),
  entry: z.object({
    Source: z.string(),
    DetailType: z.string(),
    Detail: z.string(),
    EventBusName: z.string().optional(),
  }),
  parked_at: timestamp,
});

export type ParkedDomainEventWire = z.infer<typeof parkedDomainEventMessage>;
