import { errorMessage } from '../domain/error-message.js';
import type { OutgoingMessage, QueueSender, SendFailure } from './message-queue.js';
import type { RetrySettings } from './retry-settings.js';

export interface SendReport {
  /** The messages that were finally not sent, with the last failure of each. */
  readonly failed: readonly SendFailure[];
  readonly attempts: number;
}

/**
 * Sends messages, resending those that failed transiently (or all, when the call threw) after each
 * delay in turn. Permanent failures are not resent. Never throws.
 */
export async function sendWithRetry(queue: QueueSender, queueUrl: string, messages: readonly OutgoingMessage[], retry: RetrySettings): Promise<SendReport> {
  const finalFailures: SendFailure[] = [];
  let pending = messages;
  let attempts = 0;
  for (;;) {
    attempts += 1;
    const failed = await trySend(queue, queueUrl, pending);
    finalFailures.push(...failed.filter((f) => f.permanent));
    const transient = failed.filter((f) => !f.permanent);
    pending = pending.filter((m) => transient.some((f) => f.id === m.id));
    const delay = retry.delaysMs[attempts - 1];
    if (pending.length === 0 || delay === undefined) return { failed: [...finalFailures, ...transient], attempts };
    await retry.sleep(delay);
  }
}

async function trySend(queue: QueueSender, queueUrl: string, messages: readonly OutgoingMessage[]): Promise<readonly SendFailure[]> {
  try {
    return (await queue.send(queueUrl, messages)).failed;
  } catch (error) {
    const message = errorMessage(error);
    const code = error instanceof Error ? error.name : 'SendError';
    return messages.map((m) => ({ id: m.id, code, message, permanent: false }));
  }
}
