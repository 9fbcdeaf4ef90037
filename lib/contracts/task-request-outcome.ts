import { z } from 'zod';
import { TASK_STATES } from '../domain/task-state.js';
import { schemaVersion, timestamp, uuid } from './schema-version.js';

/**
 * Why a task request was refused; a refused request is final (never retried):
 * - malformed: not JSON, or not a task request (every problem named)
 * - unknown_template: no template of that namespace, name (and version) is registered
 * - invalid_context: the context does not match the template's input_schema (every problem), or cannot be stored
 * - too_large: the context is over the limit (it travels in every dispatch message)
 * - no_worker_pool: a namespace of the template's steps has no worker pool in this deployment
 */
export const TASK_REJECTION_REASONS = [
  'malformed',
  'unknown_template',
  'invalid_context',
  'too_large',
  'no_worker_pool',
] as const;

export type TaskRejectionReason = (typeof TASK_REJECTION_REASONS)[number];

/** What the request said about itself, as far as it could be read: for the requester to match the outcome. */
const requestEcho = {
  /** The id of the message that carried the request (the SQS message id). */
  request_id: z.string(),
  namespace: z.string().nullable(),
  task_name: z.string().nullable(),
  idempotency_key: z.string().nullable(),
  fired_at: timestamp,
};

/** The Detail of `task.created` on the engine's bus (Source tasker.orchestration): the request's task exists. */
export const taskCreatedEvent = z.object({
  schema_version: schemaVersion,
  event_id: uuid,
  event_name: z.literal('task.created'),
  ...requestEcho,
  task_uuid: uuid,
  /** True when the request named a task that already existed (same identity): no new task was made. */
  duplicate: z.boolean(),
  task_version: z.string(),
  correlation_id: uuid,
  state: z.enum(TASK_STATES),
  /** The requested delayed start, or null. */
  run_at: timestamp.nullable(),
});

/** The Detail of `task.rejected` on the engine's bus (Source tasker.orchestration): the request was refused for good. */
export const taskRejectedEvent = z.object({
  schema_version: schemaVersion,
  event_id: uuid,
  event_name: z.literal('task.rejected'),
  ...requestEcho,
  reason: z.enum(TASK_REJECTION_REASONS),
  message: z.string(),
  /** Every problem found (the first hundred, then how many more). */
  problems: z.array(z.string()),
  correlation_id: uuid.nullable(),
});

/** What became of one task request. */
export const taskRequestOutcomeEvent = z.discriminatedUnion('event_name', [taskCreatedEvent, taskRejectedEvent]);

export type TaskCreatedEvent = z.infer<typeof taskCreatedEvent>;
export type TaskRejectedEvent = z.infer<typeof taskRejectedEvent>;
export type TaskRequestOutcomeEvent = z.infer<typeof taskRequestOutcomeEvent>;
