import type { StepExecutionResult } from '../contracts/step-execution-result.js';
import type { AnswerDeps } from './dispatch-deps.js';
import { describeSendFailures } from '../ports/message-queue.js';
import { sendWithRetry } from '../ports/send-with-retry.js';

/** Sends a result to the completion queue, retrying transient failures; returns the final problem, or null when sent. */
export async function sendResult(result: StepExecutionResult, deps: AnswerDeps): Promise<string | null> {
  const report = await sendWithRetry(
    deps.queue,
    deps.config.completionQueueUrl,
    [{ id: 'result', body: JSON.stringify(result) }],
    deps.retry,
  );
  if (report.failed.length === 0) return null;
  return `completion send failed after ${report.attempts} attempt(s): ${describeSendFailures(report.failed)}`;
}
