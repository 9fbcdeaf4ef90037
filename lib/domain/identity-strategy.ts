/**
 * How a task's identity is decided, so that creating the same task twice returns the first one.
 * - strict: the template and the normalized context (key order does not matter)
 * - caller_provided: an idempotency key given by the caller
 * - always_unique: every request makes a new task
 */
export const IDENTITY_STRATEGIES = ['strict', 'caller_provided', 'always_unique'] as const;

export type IdentityStrategy = (typeof IDENTITY_STRATEGIES)[number];
