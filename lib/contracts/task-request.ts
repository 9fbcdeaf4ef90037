import { z } from 'zod';
import { IDENTITY_STRATEGIES, type IdentityStrategy } from '../domain/identity-strategy.js';
import { createTaskRequestFields, type CreateTaskRequestInput } from './create-task-request.js';

/** The `detail-type` of an EventBridge event that asks the engine to start a task (its `detail` is a TaskRequest). */
export const TASK_REQUESTED_DETAIL_TYPE = 'task.requested';

/**
 * A request to start a task, as it arrives on the task-request queue: sent there directly, put on the bus as the
 * `detail` of a `task.requested` event, or by a schedule. The fields of a CreateTaskRequest, except that the identity
 * strategy follows from the idempotency key when left out: `caller_provided` with a key (a redelivered request creates
 * one task), `strict` without.
 *
 * @example
 * ```json
 * { "namespace": "billing", "name": "invoice", "context": { "account": "a-1" }, "idempotency_key": "invoice-a-1-2026-11" }
 * ```
 */
export const taskRequest = createTaskRequestFields.extend({
  identity_strategy: z.enum(IDENTITY_STRATEGIES).optional(),
});

export type TaskRequest = z.infer<typeof taskRequest>;

/** The identity strategy a request asks for, or the one its idempotency key implies. */
export function identityOf(request: Pick<TaskRequest, 'identity_strategy' | 'idempotency_key'>): IdentityStrategy {
  return request.identity_strategy ?? (request.idempotency_key === undefined ? 'strict' : 'caller_provided');
}

/** The create request a task request stands for. */
export function toCreateTaskRequest(request: TaskRequest): CreateTaskRequestInput {
  return { ...request, identity_strategy: identityOf(request) };
}
