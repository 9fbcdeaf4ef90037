import { z } from 'zod';
import { ERROR_TYPES } from '../domain/error-type.js';
import { schemaVersion, timestamp, uuid } from './schema-version.js';

export const stepError = z.object({
  error_type: z.enum(ERROR_TYPES),
  message: z.string(),
  retryable: z.boolean(),
  retry_after_ms: z.number().int().min(0).nullable().default(null),
  /** The error's class name or code, when the handler gave one. */
  code: z.string().nullable().default(null),
});

export type StepError = z.infer<typeof stepError>;

const timing = z.object({
  started_at: timestamp,
  completed_at: timestamp,
  duration_ms: z.number().min(0),
});

const worker = z.object({
  worker_id: z.string(),
  /** `lambda`, `pull`, `sweeper` or `orchestration` (a result applied on the handler's behalf). */
  kind: z.string(),
});

const common = {
  schema_version: schemaVersion,
  message_type: z.literal('step_result'),
  event_id: uuid,
  task_uuid: uuid,
  step_uuid: uuid,
  correlation_id: uuid.nullable().default(null),
  step_name: z.string().nullable().default(null),
  attempt: z.number().int().min(1).nullable().default(null),
  timing,
  worker,
  /**
   * A batch worker's last `checkpoint(cursor)` in this attempt (issue 15), carried on its failure:
   * a retry of the instance is dispatched with it. Absent: no checkpoint was saved.
   */
  checkpoint: z.unknown().optional(),
};

/** The outcome of one step attempt, sent to the completion queue (StepExecutionResult). */
export const stepExecutionResult = z.discriminatedUnion('status', [
  z.object({ ...common, status: z.literal('success'), result: z.unknown(), error: z.null().default(null) }),
  z.object({ ...common, status: z.literal('failure'), result: z.null().default(null), error: stepError }),
]);

export type StepExecutionResult = z.infer<typeof stepExecutionResult>;
export type StepExecutionResultInput = z.input<typeof stepExecutionResult>;
