import { poisonMessage } from '../contracts/poison-message.js';
import type { RedriveResponse } from '../contracts/api-responses.js';
import type { MessageQueue, QueueSender, ReceivedMessage } from '../ports/message-queue.js';
import type { RetrySettings } from '../ports/retry-settings.js';
import { sendWithRetry } from '../ports/send-with-retry.js';
import type { DeadLetterQueue } from './api-deps.js';

/** How long a message looked at stays invisible to others while it is shown or moved. */
const HOLD_SECONDS = 60;

/**
 * Up to `max` messages of a dead-letter queue, left on it: each is received (its receive count grows by one) and made
 * visible again at once.
 */
export async function peekDeadLetters(queue: MessageQueue, dlq: DeadLetterQueue, max: number) {
  const seen: ReceivedMessage[] = [];
  while (seen.length < max) {
    const batch = await queue.receive(dlq.url, {
      maxMessages: Math.min(10, max - seen.length),
      waitTimeSeconds: 0,
      visibilityTimeoutSeconds: HOLD_SECONDS,
    });
    if (batch.length === 0) break;
    seen.push(...batch);
  }
  await Promise.all(seen.map((m) => queue.changeVisibility(dlq.url, m.receiptHandle, 0)));
  return seen.map((m) => ({
    message_id: m.messageId,
    receive_count: m.receiveCount,
    sent_at: m.sentAt.toISOString(),
    body: m.body,
  }));
}

/**
 * Moves up to `max` messages back to where they came from: a work queue's dead letters to the work queue; the poison
 * queue's originals (`original_body`) to their `source_queue`, when that is a queue of `all` (by URL, or by ARN naming
 * the queue), sent by `sender` (the one orchestration dispatches with). Each message sent is deleted; one that cannot be sent, or has nowhere to go, stays (visible again).
 */
export async function redriveDeadLetters(
  queue: MessageQueue,
  sender: QueueSender,
  dlq: DeadLetterQueue,
  all: readonly DeadLetterQueue[],
  max: number,
  retry: RetrySettings,
): Promise<RedriveResponse> {
  const report = { redriven: 0, failed: 0, skipped: 0 };
  const kept: ReceivedMessage[] = [];
  for (let seen = 0; seen < max; ) {
    const batch = await queue.receive(dlq.url, {
      maxMessages: Math.min(10, max - seen),
      waitTimeSeconds: 0,
      visibilityTimeoutSeconds: HOLD_SECONDS,
    });
    if (batch.length === 0) break;
    seen += batch.length;
    for (const message of batch) {
      const target =
        dlq.redriveTo === null ? poisonTarget(message.body, all) : { url: dlq.redriveTo, body: message.body };
      if (!target) {
        report.skipped += 1;
        kept.push(message);
        continue;
      }
      const sent = await sendWithRetry(sender, target.url, [{ id: 'redrive', body: target.body }], retry);
      if (sent.failed.length > 0) {
        report.failed += 1;
        kept.push(message);
        continue;
      }
      await queue.delete(dlq.url, message.receiptHandle);
      report.redriven += 1;
    }
  }
  await Promise.all(kept.map((m) => queue.changeVisibility(dlq.url, m.receiptHandle, 0)));
  return report;
}

/** Where a poison message's original goes back to, or null when it names no queue of ours. */
function poisonTarget(body: string, all: readonly DeadLetterQueue[]): { url: string; body: string } | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  const poison = poisonMessage.safeParse(parsed);
  if (!poison.success) return null;
  const source = poison.data.source_queue;
  const url = all
    .map((q) => q.redriveTo)
    .find((u): u is string => u !== null && (u === source || source.endsWith(`:${queueName(u)}`)));
  return url ? { url, body: poison.data.original_body } : null;
}

function queueName(url: string): string {
  return url.split('/').at(-1) ?? url;
}
