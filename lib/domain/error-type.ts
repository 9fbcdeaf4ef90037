/** The `error_type` of a failed step execution result. */
export const ERROR_TYPES = [
  'handler_error',
  'handler_timeout',
  'handler_panic',
  'handler_not_found',
  'invalid_dispatch',
  'payload_too_large',
  'result_too_large',
  'result_not_storable',
  'semaphore_acquisition_failed',
  /** A decision's result activates a step that is not among its dependents, or is not `{ activate: [names] }`. */
  'invalid_decision',
  /** A batchable step's result is not `{ batches: [...] }`, or holds more than its `max_batches`. */
  'invalid_batches',
] as const;

export type ErrorType = (typeof ERROR_TYPES)[number];

/** Error types that can never succeed on a retry of the same input. */
export const PERMANENT_ERROR_TYPES: readonly ErrorType[] = [
  'handler_not_found',
  'invalid_dispatch',
  'payload_too_large',
  'result_too_large',
  'result_not_storable',
  'invalid_decision',
  'invalid_batches',
];
