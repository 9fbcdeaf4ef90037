import { z } from 'zod';
import { TASK_STATES } from '../domain/task-state.js';
import { timestamp } from './schema-version.js';

/** Why an operator acts: required on every operator action, recorded with the transitions it writes. */
export const operatorReason = z.string().trim().min(1, 'a reason is required').max(1000);

/** The body of `POST /tasks/{task_uuid}/cancel` and of the step actions `retry` and `resolve`. */
export const operatorActionRequest = z.object({ reason: operatorReason });

/** The body of `POST /tasks/{task_uuid}/steps/{step_name}/complete`: the result dependents receive. */
export const completeStepRequest = z.object({ reason: operatorReason, result: z.unknown() });

/** The body of `POST /events/redrive` and `POST /dead-letters/{queue}/redrive`; every field may be left out. */
export const redriveRequest = z.object({
  /** Stop after looking at this many messages. */
  max_messages: z.number().int().min(1).max(1000).default(100),
  /** Domain events only: also publish events parked for their schema or size. */
  include_refused: z.boolean().default(false),
});

/** Page sizes of `GET /tasks`. */
export const TASK_PAGE = { default: 50, max: 200 } as const;

/** The query of `GET /tasks`: filters (each optional), page size and the cursor of the previous page. */
export const listTasksQuery = z.object({
  namespace: z.string().min(1).optional(),
  /** The template's name. */
  name: z.string().min(1).optional(),
  state: z.enum(TASK_STATES).optional(),
  /** created_at >= created_from (ISO 8601 with offset). */
  created_from: timestamp.optional(),
  /** created_at < created_to. */
  created_to: timestamp.optional(),
  limit: z.coerce.number().int().min(1).max(TASK_PAGE.max).default(TASK_PAGE.default),
  /** `next_cursor` of the previous page. */
  cursor: z.string().min(1).optional(),
});

/** The query of `GET /dead-letters/{queue}`: how many messages to show. */
export const peekQuery = z.object({ max_messages: z.coerce.number().int().min(1).max(100).default(10) });

export type ListTasksQuery = z.infer<typeof listTasksQuery>;
export type RedriveRequest = z.infer<typeof redriveRequest>;
