import { z } from 'zod';
import { schemaVersion, timestamp } from './schema-version.js';

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
