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
] as const;

export type ErrorType = (typeof ERROR_TYPES)[number];

/** Error types that can never succeed on a retry of the same input. */
export const PERMANENT_ERROR_TYPES: readonly ErrorType[] = [
  'handler_not_found',
  'invalid_dispatch',
  'payload_too_large',
  'result_too_large',
  'result_not_storable',
];
