import { z } from 'zod';
import { byteLength, jsonObject, schemaVersion, timestamp, uuid } from './schema-version.js';

/** Metadata every domain event carries: enough to find the step, never the whole task context. */
export const domainEventMetadata = z.object({
  task_uuid: uuid,
  step_uuid: uuid,
  step_name: z.string(),
  namespace: z.string(),
  task_name: z.string(),
  correlation_id: uuid,
  /** The dispatch attempt whose result this event describes. */
  source_event_id: uuid,
  attempt: z.number().int().min(1),
  outcome: z.enum(['success', 'retryable_failure', 'permanent_failure']),
  fired_at: timestamp,
});

/** The `Detail` of a domain event on EventBridge. */
export const domainEventEnvelope = z.object({
  schema_version: schemaVersion,
  event_id: uuid,
  event_name: z.string(),
  event_version: z.string(),
  /** The step's result on success; the error on failure. */
  payload: z.unknown(),
  error: jsonObject.nullable(),
  metadata: domainEventMetadata,
});

export type DomainEventEnvelope = z.infer<typeof domainEventEnvelope>;

/** An EventBridge PutEvents entry. */
export interface EventBusEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
  readonly EventBusName?: string;
}

/** A PutEvents entry's size as EventBridge counts it: Source, DetailType and Detail in UTF-8 bytes. */
export function eventBusEntryBytes(entry: EventBusEntry): number {
  return byteLength(entry.Source) + byteLength(entry.DetailType) + byteLength(entry.Detail);
}

export function domainEventSource(namespace: string): string {
  return `tasker.${namespace}`;
}
