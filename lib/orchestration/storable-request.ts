import type { CreateTaskRequest } from '../contracts/create-task-request.js';
import { findUnstorableValue } from '../domain/storable-json.js';

/** Why a task request cannot be stored, as createTask refuses it. */
export interface UnstorableRequest {
  readonly code: 'invalid_context' | 'invalid_request';
  readonly message: string;
  readonly problems: readonly string[];
}

/**
 * The first place of a task request PostgreSQL cannot store (findUnstorableValue: a lone
 * surrogate, U+0000, a non-finite number such as NaN, nesting past 100 levels), as a refusal
 * naming it: `invalid_context` when it is in the context, `invalid_request` when in another field
 * (an idempotency key, an initiator). Null when the request is storable. Checked before anything
 * is read or written, so such a request is refused instead of failing in the database.
 *
 * @example
 * unstorableRequest({ ...request, context: { title: 'Great product 😀'.slice(0, 15) } });
 * // { code: 'invalid_context', problems: ['title holds a lone UTF-16 surrogate (\ud83d at index 14), …'], … }
 */
export function unstorableRequest(request: CreateTaskRequest): UnstorableRequest | null {
  const inContext = findUnstorableValue(request.context);
  if (inContext)
    return {
      code: 'invalid_context',
      message: `the task context cannot be stored: ${inContext.message}`,
      problems: [inContext.message],
    };
  const inRequest = findUnstorableValue({ ...request, context: null });
  if (inRequest)
    return {
      code: 'invalid_request',
      message: `the task request cannot be stored: ${inRequest.message}`,
      problems: [inRequest.message],
    };
  return null;
}
