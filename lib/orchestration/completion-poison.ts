import { sendToPoisonQueue } from '../ports/poison-queue.js';
import { retryOf, type OrchestrationDeps } from './orchestration-deps.js';

/** A queue record as the completion function sees it (an SQS record, or the local runner's). */
export interface CompletionRecord {
  readonly messageId: string;
  readonly body: string;
}

/**
 * Moves a completion record that can never apply to the poison queue, with its reason and code,
 * and logs it. Throws when there is no poison queue or it refused the record: the caller reports
 * the record as a batch item failure, and SQS keeps it (its dead-letter queue catches it later).
 */
export async function poisonCompletionRecord(
  deps: OrchestrationDeps,
  record: CompletionRecord,
  code: string,
  reason: string,
): Promise<void> {
  const url = deps.routing.poisonQueueUrl;
  if (!url) throw new Error(`no poison queue configured for a record that can never apply: ${reason}`);
  const input = {
    reason,
    errorCode: code,
    sourceQueue: deps.routing.completionQueueUrl,
    sourceMessageId: record.messageId,
    originalBody: record.body,
    movedAt: deps.clock.now(),
  };
  const report = await sendToPoisonQueue({ queue: deps.queues, url, retry: retryOf(deps) }, input);
  if (!report.moved) throw new Error(`poison queue send failed: ${report.problem}`);
  deps.logger.error('completion record moved to the poison queue', {
    message_id: record.messageId,
    error_code: code,
    reason,
  });
}
