/** When a step's declared domain event fires. */
export const EVENT_CONDITIONS = ['success', 'failure', 'retryable_failure', 'permanent_failure', 'always'] as const;

export type EventCondition = (typeof EVENT_CONDITIONS)[number];

/** How one step execution ended, as far as domain events are concerned. */
export type StepOutcome = 'success' | 'retryable_failure' | 'permanent_failure';

export function conditionMatches(condition: EventCondition, outcome: StepOutcome): boolean {
  switch (condition) {
    case 'always':
      return true;
    case 'success':
      return outcome === 'success';
    case 'failure':
      return outcome !== 'success';
    case 'retryable_failure':
    case 'permanent_failure':
      return condition === outcome;
  }
}

/**
 * A failure is retryable for domain-event purposes when the handler said so and the step has
 * attempts left; the last attempt's failure is permanent whatever the handler said.
 */
export function outcomeOf(success: boolean, retryable: boolean, attempt: number, maxAttempts: number): StepOutcome {
  if (success) return 'success';
  return retryable && attempt < maxAttempts ? 'retryable_failure' : 'permanent_failure';
}
