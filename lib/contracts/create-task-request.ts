import { z } from 'zod';
import { IDENTITY_STRATEGIES } from '../domain/identity-strategy.js';
import { jsonObject, timestamp, uuid } from './schema-version.js';

/** The fields of a task request, without the rule between them (task-request.ts builds the queue's message from them). */
export const createTaskRequestFields = z.object({
  namespace: z.string().min(1),
  name: z.string().min(1),
  /** A semver version; the newest registered version when left out. */
  version: z.string().min(1).optional(),
  context: jsonObject.default({}),
  correlation_id: uuid.optional(),
  priority: z.number().int().min(-100).max(100).default(0),
  identity_strategy: z.enum(IDENTITY_STRATEGIES).default('strict'),
  idempotency_key: z.string().min(1).max(255).optional(),
  initiator: z.string().max(255).optional(),
  reason: z.string().max(1000).optional(),
  /**
   * When the task's first steps are due (ISO 8601 with an offset). Later than now: the task is created pending and its
   * root steps are claimed when due (no process waits for it); now or earlier: it starts at once.
   */
  run_at: timestamp.optional(),
});

/** A `caller_provided` identity is the caller's idempotency key: a request with that strategy must carry one. */
function keyedWhenCallerProvided(r: { identity_strategy?: string; idempotency_key?: string | undefined }): boolean {
  return r.identity_strategy !== 'caller_provided' || r.idempotency_key !== undefined;
}

export const CALLER_PROVIDED_NEEDS_KEY = 'identity_strategy caller_provided needs an idempotency_key';

/** A request to start a task from a registered template. */
export const createTaskRequest = createTaskRequestFields.refine(keyedWhenCallerProvided, {
  message: CALLER_PROVIDED_NEEDS_KEY,
  path: ['idempotency_key'],
});

export type CreateTaskRequest = z.infer<typeof createTaskRequest>;
export type CreateTaskRequestInput = z.input<typeof createTaskRequest>;
