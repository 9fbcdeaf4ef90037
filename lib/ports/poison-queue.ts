import { fitPoisonMessage } from '../contracts/fit-poison-message.js';
import type { PoisonInput } from '../contracts/poison-message.js';
import { describeSendFailures, type QueueSender } from './message-queue.js';
import type { RetrySettings } from './retry-settings.js';
import { sendWithRetry } from './send-with-retry.js';

/** Where poison goes: the queue client, the poison queue's URL, and how transient failures are retried. */
export interface PoisonQueue {
  readonly queue: QueueSender;
  readonly url: string;
  readonly retry: RetrySettings;
}

/** Whether a message reached the poison queue. */
export interface PoisonReport {
  /** False when the poison queue refused it: the record must then be redelivered (SQS's own DLQ catches it eventually). */
  readonly moved: boolean;
  /** The last failure of each send attempt that gave up, as `code: message`; null when moved. */
  readonly problem: string | null;
}

/**
 * The one way a message nobody can process is put on a poison queue, by the worker and the
 * completion function alike: the poison message is fitted in one SQS message (a body too large
 * to keep whole is cut by bytes, and the reason says so), and transient send failures are
 * retried. Never throws.
 *
 * @example
 * ```ts
 * const report = await sendToPoisonQueue({ queue, url: poisonQueueUrl, retry }, {
 *   reason: 'the body is not valid JSON', errorCode: 'unparseable_json', sourceQueue: 'dispatch',
 *   sourceMessageId: record.messageId, originalBody: record.body, movedAt: clock.now(),
 * });
 * if (!report.moved) redeliver(record);
 * ```
 */
export async function sendToPoisonQueue(target: PoisonQueue, input: PoisonInput): Promise<PoisonReport> {
  const body = JSON.stringify(fitPoisonMessage(input));
  const report = await sendWithRetry(target.queue, target.url, [{ id: 'poison', body }], target.retry);
  return { moved: report.failed.length === 0, problem: describeSendFailures(report.failed) };
}
