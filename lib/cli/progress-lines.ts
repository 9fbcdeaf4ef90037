import { describeHeldRetry } from '../domain/held-retry.js';
import type { ProgressEvent } from '../local/step-progress.js';

/** One plain line per progress event (for logs and pipes: no colour, no redraw). */
export function progressLine(event: ProgressEvent): string {
  switch (event.type) {
    case 'step_started':
      return `step ${event.stepName} started attempt ${event.attempt}`;
    case 'step_waiting':
      return `step ${event.stepName} waiting for a signal until ${event.deadline.toISOString()}`;
    case 'step_completed':
      return `step ${event.stepName} complete (attempt ${event.attempt}, ${event.durationMs} ms)`;
    case 'step_retrying':
      return `step ${event.stepName} retrying${event.retryInMs === null ? '' : ` after ${event.retryInMs} ms`} (${event.errorType}: ${event.message})`;
    case 'step_failed':
      return `step ${event.stepName} failed (${event.errorType}: ${event.message})`;
    case 'step_retry_held':
      return `step ${event.stepName} retry held after attempt ${event.attempt}: ${describeHeldRetry(event.held)} (${event.errorType}: ${event.message})`;
    case 'domain_event':
      return `event ${event.eventName} from ${event.stepName} (${event.outcome})`;
    case 'task_finished':
      return `task ${event.taskUuid} ${event.state}`;
  }
}
