import { z } from 'zod';
import { schemaVersion, timestamp, uuid } from './schema-version.js';

/**
 * A start marker on the completion queue: a worker reports that it took up one attempt after its
 * dispatch message waited in the queue (or came back after an earlier receive that did not answer
 * it). `started_at` is the message's first receive: from then on the attempt has its full budget
 * (the dispatch deadline moved by the wait). Orchestration applies it once, to an attempt still
 * open; anything else (a duplicate, a closed or unknown attempt) is ignored. Sending it is best
 * effort: an attempt whose marker is lost stays protected by its queue's backlog (docs/reliability.md).
 */
export const stepStartedMessage = z.object({
  schema_version: schemaVersion,
  message_type: z.literal('step_started'),
  event_id: uuid,
  task_uuid: uuid,
  step_uuid: uuid,
  /** The dispatch message's first receive (SQS ApproximateFirstReceiveTimestamp). */
  started_at: timestamp,
  /** How many times the message had been received when this marker was sent. */
  receive_count: z.number().int().min(1),
  worker_id: z.string(),
});

export type StepStartedMessage = z.infer<typeof stepStartedMessage>;
