import { DEFAULT_STEP_TIMEOUT_SECONDS, type TaskTemplate } from '../domain/task-template.js';

/**
 * `tasker run`'s limit on one attempt of a step that sets no `timeout_seconds`, in seconds. Without
 * it such a step would get the template default (30 s), cut to the local Lambda's remaining time
 * (~28 s): three attempts of a hung handler outlast the default `--timeout 60`.
 */
export const RUN_STEP_TIMEOUT_SECONDS = 10;

/** What `--step-timeout` says in `tasker run --help`. */
export const STEP_TIMEOUT_HELP = `the most one attempt of a step without timeout_seconds may run (default: ${RUN_STEP_TIMEOUT_SECONDS}, or --timeout / (2 x the step's max_attempts) when that is less, so every attempt and its backoff fit in --timeout)`;

/**
 * A step's per-attempt limit in a run that waits `runTimeoutSeconds`: `stepTimeoutSeconds` when
 * given, else RUN_STEP_TIMEOUT_SECONDS, lowered so that `maxAttempts` attempts and their backoff
 * fit in the run (at least one second).
 *
 * @example
 * ```ts
 * runStepTimeoutSeconds({ runTimeoutSeconds: 60, maxAttempts: 3 }); // 10
 * runStepTimeoutSeconds({ runTimeoutSeconds: 12, maxAttempts: 3 }); // 2
 * ```
 */
export function runStepTimeoutSeconds(input: {
  runTimeoutSeconds: number;
  maxAttempts: number;
  stepTimeoutSeconds?: number;
}): number {
  if (input.stepTimeoutSeconds !== undefined) return input.stepTimeoutSeconds;
  const fitting = Math.floor(input.runTimeoutSeconds / (2 * Math.max(1, input.maxAttempts)));
  return Math.max(1, Math.min(RUN_STEP_TIMEOUT_SECONDS, fitting));
}

/**
 * The template as `tasker run` registers it: each step that sets no `timeout_seconds` (it has the
 * template default) gets the run's per-attempt limit; a step's own timeout_seconds is kept, and so is
 * a wait step's (it runs no handler: its timeout is how long it waits for its signal).
 */
export function withRunStepTimeouts(
  template: TaskTemplate,
  run: { runTimeoutSeconds: number; stepTimeoutSeconds?: number },
): TaskTemplate {
  return {
    ...template,
    steps: template.steps.map((step) =>
      step.timeoutSeconds === DEFAULT_STEP_TIMEOUT_SECONDS && step.type !== 'wait'
        ? { ...step, timeoutSeconds: runStepTimeoutSeconds({ ...run, maxAttempts: step.retry.maxAttempts }) }
        : step,
    ),
  };
}
