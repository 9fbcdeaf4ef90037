import { z } from 'zod';
import { SCHEMA_VERSION, schemaVersion, timestamp } from './schema-version.js';

/** A message moved aside because it can never be processed; kept whole, with the reason. */
export const poisonMessage = z.object({
  schema_version: schemaVersion,
  message_type: z.literal('poison'),
  reason: z.string(),
  /** A short machine-readable cause: unparseable_json, invalid_message, unknown_message_type, ... */
  error_code: z.string(),
  source_queue: z.string(),
  source_message_id: z.string().nullable(),
  original_body: z.string(),
  moved_at: timestamp,
});

export type PoisonMessage = z.infer<typeof poisonMessage>;

export interface PoisonInput {
  readonly reason: string;
  readonly errorCode: string;
  readonly sourceQueue: string;
  readonly sourceMessageId: string | null;
  readonly originalBody: string;
  readonly movedAt: Date;
}

export function buildPoisonMessage(input: PoisonInput): PoisonMessage {
  return {
    schema_version: SCHEMA_VERSION,
    message_type: 'poison',
    reason: input.reason,
    error_code: input.errorCode,
    source_queue: input.sourceQueue,
    source_message_id: input.sourceMessageId,
    original_body: input.originalBody,
    moved_at: input.movedAt.toISOString(),
  };
}
