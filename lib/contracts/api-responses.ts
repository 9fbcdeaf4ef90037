import { z } from 'zod';
import { STEP_STATES } from '../domain/step-state.js';
import { TASK_STATES } from '../domain/task-state.js';
import { jsonObject, timestamp, uuid } from './schema-version.js';

/**
 * Every refusal of the API: a machine-readable `error` (`unknown_task`, `invalid_request`, `invalid_transition`, …),
 * a sentence, and every problem when the request was invalid.
 */
export const apiError = z.object({
  error: z.string(),
  message: z.string(),
  problems: z.array(z.string()).optional(),
});

/** `POST /tasks`: 201 when created, 200 when a task with the same identity already existed. */
export const taskCreatedResponse = z.object({
  task_uuid: uuid,
  state: z.enum(TASK_STATES),
  created: z.boolean(),
  correlation_id: uuid,
});

const taskFields = {
  task_uuid: uuid,
  namespace: z.string(),
  name: z.string(),
  version: z.string(),
  state: z.enum(TASK_STATES),
  correlation_id: uuid,
  priority: z.number().int(),
  created_at: timestamp,
  completed_at: timestamp.nullable(),
};

export const stepDetail = z.object({
  step_uuid: uuid,
  name: z.string(),
  namespace: z.string(),
  state: z.enum(STEP_STATES),
  attempts: z.number().int(),
  max_attempts: z.number().int(),
  retryable: z.boolean(),
  dependencies: z.array(z.string()),
  result: z.unknown(),
  error: jsonObject.nullable(),
  next_attempt_at: timestamp.nullable(),
  last_attempted_at: timestamp.nullable(),
  /** The template's step type: absent or null for a step a handler runs; `wait`, `decision`, `batchable`, `batch_worker`. */
  type: z.string().nullable().optional(),
  /** A wait step's deadline while it waits for its signal. */
  wait_deadline: timestamp.nullable().optional(),
  /** A batch worker's instance: `index` (from 0) of `count`; the instances share the step's name. */
  batch: z.object({ index: z.number().int(), count: z.number().int() }).optional(),
});

/** One event of the audit trail; `actor` is who took the operator action that caused it (null otherwise). */
export const transitionDetail = z.object({
  entity: z.enum(['task', 'step']),
  uuid,
  from_state: z.string().nullable(),
  to_state: z.string(),
  reason: z.string().nullable(),
  actor: z.string().nullable(),
  metadata: jsonObject,
  created_at: timestamp,
});

/** `GET /tasks/{task_uuid}`: the task, its steps (results, errors) and its transitions. */
export const taskDetailResponse = z.object({
  task: z.object({ ...taskFields, context: jsonObject }),
  steps: z.array(stepDetail),
  transitions: z.array(transitionDetail),
});

/** `GET /tasks`: one page, newest first; `next_cursor` null on the last page. */
export const taskListResponse = z.object({
  tasks: z.array(z.object(taskFields)),
  next_cursor: z.string().nullable(),
});

/** An operator action that was applied, with who took it and why. */
export const operatorActionResponse = z.object({
  task_uuid: uuid,
  step_name: z.string().nullable(),
  action: z.enum(['cancel', 'reset_for_retry', 'resolve_manually', 'complete_manually']),
  actor: z.string(),
  reason: z.string(),
});

/** `POST /events/redrive`, `POST /dead-letters/{queue}/redrive`: what became of the messages looked at. */
export const redriveResponse = z.object({
  redriven: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
});

/** `GET /dead-letters`: the queues an operator can inspect and redrive. */
export const deadLetterQueuesResponse = z.object({
  queues: z.array(
    z.object({
      name: z.string(),
      /** Where a redrive sends its messages: a work queue's URL, or `source_queue` (poison: each message's own). */
      returns_to: z.string(),
      /** Approximate (SQS); null when the queue could not be counted. */
      messages: z.number().int().nullable(),
    }),
  ),
});

/** `GET /dead-letters/{queue}`: messages shown and left on the queue (visible again at once). */
export const deadLetterMessagesResponse = z.object({
  queue: z.string(),
  messages: z.array(
    z.object({
      message_id: z.string(),
      receive_count: z.number().int(),
      sent_at: timestamp,
      body: z.string(),
    }),
  ),
});

export type ApiError = z.infer<typeof apiError>;
export type TaskCreatedResponse = z.infer<typeof taskCreatedResponse>;
export type TaskDetailResponse = z.infer<typeof taskDetailResponse>;
export type TaskListResponse = z.infer<typeof taskListResponse>;
export type OperatorActionResponse = z.infer<typeof operatorActionResponse>;
export type RedriveResponse = z.infer<typeof redriveResponse>;
