/** Which limit set a handler's deadline. */
export type DeadlineBound = 'step_timeout' | 'lambda_remaining_time' | 'dispatch_deadline';
