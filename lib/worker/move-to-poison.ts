import type { AnswerDeps, DispatchRecord } from './dispatch-deps.js';
import { fitPoisonMessage } from '../contracts/fit-poison-message.js';
import { sendWithRetry } from '../ports/send-with-retry.js';

export interface PoisonReport {
  /** False when the poison queue refused it: the record must then be redelivered (SQS's own DLQ catches it eventually). */
  readonly moved: boolean;
  readonly problem: string | null;
}

/** Moves a record nobody can answer to the poison queue, with the reason. */
export async function moveToPoison(record: DispatchRecord, code: string, reason: string, deps: AnswerDeps): Promise<PoisonReport> {
  const poison = fitPoisonMessage({
    reason,
    errorCode: code,
    sourceQueue: record.sourceQueue ?? deps.config.sourceQueue,
    sourceMessageId: record.messageId,
    originalBody: record.body,
    movedAt: deps.clock.now(),
  });
  const report = await sendWithRetry(deps.queue, deps.config.poisonQueueUrl, [{ id: 'poison', body: JSON.stringify(poison) }], deps.retry);
  const problem = report.failed.map((f) => `${f.code}: ${f.message}`).join('; ');
  return { moved: report.failed.length === 0, problem: problem === '' ? null : problem };
}
