/** Which limit set a handler's deadline. */
export type DeadlineBound = 'step_timeout' | 'lambda_remaining_time' | 'dispatch_deadline';

/** The reason a handler's AbortSignal is aborted with when its deadline passes. */
export class HandlerTimeoutError extends Error {
  override readonly name = 'HandlerTimeoutError';

  constructor(
    readonly budgetMs: number,
    readonly bound: DeadlineBound,
  ) {
    super(`handler did not finish within ${budgetMs} ms (deadline set by ${bound.replaceAll('_', ' ')})`);
  }
}
