import { z } from 'zod';
import { schemaVersion, timestamp, uuid } from './schema-version.js';

/**
 * A delayed tick on the completion queue: a step of this task was put into backoff and becomes
 * ready at `due_at`. The completion function then dispatches whatever is ready.
 */
export const retryDueMessage = z.object({
  schema_version: schemaVersion,
  message_type: z.literal('retry_due'),
  task_uuid: uuid,
  due_at: timestamp,
});

export type RetryDueMessage = z.infer<typeof retryDueMessage>;
