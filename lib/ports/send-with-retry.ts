import { errorMessage } from '../domain/error-message.js';
import type { OutgoingMessage, QueueSender, SendFailure } from './message-queue.js';
import type { RetrySettings } from './retry-settings.js';

/** The last value of a retried operation and how many attempts it took. */
export interface RetryOutcome<T> {
  readonly value: T;
  readonly attempts: number;
}

/**
 * Runs `operation`, and again after each delay in turn while `retryable` says its value calls for
 * another attempt. Returns the last value: `operation` reports failures as values and never throws.
 *
 * @example
 * ```ts
 * const { value: problem, attempts } = await retryOperation(() => tryDelete(handle), (p) => p !== null, retry);
 * ```
 */
export async function retryOperation<T>(
  operation: () => Promise<T>,
  retryable: (value: T) => boolean,
  retry: RetrySettings,
): Promise<RetryOutcome<T>> {
  for (let attempts = 1; ; attempts += 1) {
    const value = await operation();
    const delay = retry.delaysMs[attempts - 1];
    if (!retryable(value) || delay === undefined) return { value, attempts };
    await retry.sleep(delay);
  }
}

export interface SendReport {
  /** The messages that were finally not sent, with the last failure of each. */
  readonly failed: readonly SendFailure[];
  readonly attempts: number;
}

/**
 * Sends messages, resending those that failed transiently (or all, when the call threw) after each
 * delay in turn. Permanent failures are not resent. Never throws.
 */
export async function sendWithRetry(
  queue: QueueSender,
  queueUrl: string,
  messages: readonly OutgoingMessage[],
  retry: RetrySettings,
): Promise<SendReport> {
  const permanent: SendFailure[] = [];
  let pending = messages;
  const sendPending = async (): Promise<readonly SendFailure[]> => {
    const failed = await trySend(queue, queueUrl, pending);
    permanent.push(...failed.filter((f) => f.permanent));
    const transient = failed.filter((f) => !f.permanent);
    pending = pending.filter((m) => transient.some((f) => f.id === m.id));
    return transient;
  };
  const { value: transient, attempts } = await retryOperation(sendPending, () => pending.length > 0, retry);
  return { failed: [...permanent, ...transient], attempts };
}

async function trySend(
  queue: QueueSender,
  queueUrl: string,
  messages: readonly OutgoingMessage[],
): Promise<readonly SendFailure[]> {
  try {
    return (await queue.send(queueUrl, messages)).failed;
  } catch (error) {
    const message = errorMessage(error);
    const code = error instanceof Error ? error.name : 'SendError';
    return messages.map((m) => ({ id: m.id, code, message, permanent: false }));
  }
}
