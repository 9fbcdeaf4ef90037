import type { AnswerDeps, DispatchRecord } from './dispatch-deps.js';
import { sendToPoisonQueue, type PoisonReport } from '../ports/poison-queue.js';

/** Moves a dispatch record nobody can answer to the worker's poison queue, with the reason. */
export async function moveToPoison(
  record: DispatchRecord,
  code: string,
  reason: string,
  deps: AnswerDeps,
): Promise<PoisonReport> {
  return sendToPoisonQueue(
    { queue: deps.queue, url: deps.config.poisonQueueUrl, retry: deps.retry },
    {
      reason,
      errorCode: code,
      sourceQueue: record.sourceQueue ?? deps.config.sourceQueue,
      sourceMessageId: record.messageId,
      originalBody: record.body,
      movedAt: deps.clock.now(),
    },
  );
}
