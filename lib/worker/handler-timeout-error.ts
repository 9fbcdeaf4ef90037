import type { DeadlineBound } from './step-deadline.js';

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
