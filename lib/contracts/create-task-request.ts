import { z } from 'zod';
import { IDENTITY_STRATEGIES } from '../domain/identity-strategy.js';
import { jsonObject, uuid } from './schema-version.js';

/** A request to start a task from a registered template. */
export const createTaskRequest = z.object({
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
});

export type CreateTaskRequest = z.infer<typeof createTaskRequest>;
export type CreateTaskRequestInput = z.input<typeof createTaskRequest>;
