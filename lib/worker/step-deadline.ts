/** Which limit set a handler's deadline. */
export type DeadlineBound = 'step_timeout' | 'lambda_remaining_time' | 'dispatch_deadline';

export interface StepDeadline {
  readonly at: Date;
  /** Milliseconds from now to `at`; zero or less when there is no time left. */
  readonly budgetMs: number;
  readonly bound: DeadlineBound;
}

export interface DeadlineInput {
  readonly now: Date;
  readonly stepTimeoutMs: number;
  /** Time the runtime has left (the Lambda's remaining time; Infinity when unbounded). */
  readonly remainingTimeMs: number;
  readonly safetyMarginMs: number;
  /** The dispatch message's absolute deadline. */
  readonly dispatchDeadline: Date;
}

/** The earliest of: the step timeout, the runtime's remaining time less a safety margin, the message's deadline. */
export function computeStepDeadline(input: DeadlineInput): StepDeadline {
  const candidates: Array<[number, DeadlineBound]> = [
    [input.stepTimeoutMs, 'step_timeout'],
    [input.remainingTimeMs - input.safetyMarginMs, 'lambda_remaining_time'],
    [input.dispatchDeadline.getTime() - input.now.getTime(), 'dispatch_deadline'],
  ];
  const [budgetMs, bound] = candidates.reduce((best, c) => (c[0] < best[0] ? c : best));
  const budget = Math.floor(budgetMs);
  return { at: new Date(input.now.getTime() + budget), budgetMs: budget, bound };
}
