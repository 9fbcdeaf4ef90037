import type { StepTemplate } from './task-template.js';

/**
 * Longest a wait step may wait for its signal: 30 days. A wait holds no Lambda and no message, only
 * an open attempt in PostgreSQL, so it may outlast a handler's 900 s by far; past this, model the
 * pause as two tasks.
 */
export const MAX_WAIT_TIMEOUT_SECONDS = 30 * 24 * 3600;

/** The error_type of a wait that no signal reached before its timeout (`on_timeout: fail`). */
export const WAIT_TIMEOUT_ERROR = 'wait_timeout';

/** Whether the step waits for a signal instead of running a handler. */
export function isWaitStep(step: Pick<StepTemplate, 'type'>): boolean {
  return step.type === 'wait';
}
