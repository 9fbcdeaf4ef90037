import { errorMessage } from '../../domain/error-message.js';
import type { LogFields } from '../../ports/logger.js';
import type { QueueReceiver, ReceivedMessage } from '../../ports/message-queue.js';
import { retryOperation } from '../../ports/send-with-retry.js';
import type { AnswerDeps } from '../dispatch-deps.js';
import { moveToPoison } from '../move-to-poison.js';
import type { ParsedDispatch } from '../parse-dispatch-body.js';
import { answerInvalid } from '../process-dispatch-record.js';
import type { ResolvedPullWorkerConfig } from './pull-worker-config.js';

/** What one receive brought: a batch (perhaps empty), or why the receive failed. */
export type ReceiveOutcome =
  | { readonly ok: true; readonly messages: readonly ReceivedMessage[] }
  | { readonly ok: false; readonly problem: string };

/** A received body no handler can run: answerable with an `invalid_dispatch` failure, or poison. */
export type Unrunnable = Exclude<ParsedDispatch, { readonly kind: 'valid' }>;

/** The settings the dispatch queue calls read. */
export type DispatchQueueSettings = Pick<
  ResolvedPullWorkerConfig,
  'dispatchQueueUrl' | 'receiveBatchSize' | 'pollWaitSeconds' | 'visibilityTimeoutSeconds'
>;

/**
 * The namespace's dispatch queue as the pull worker calls it: a receive with the worker's batch
 * size, short wait and visibility timeout; turning away what no handler can run; a delete, retried
 * like every send; ChangeMessageVisibility. Each reports a failure as a value and never throws.
 *
 * @example
 * ```ts
 * const problem = await queue.delete(event.receiptHandle); // null when deleted
 * ```
 */
export class DispatchQueue {
  constructor(
    private readonly receiver: QueueReceiver,
    private readonly settings: DispatchQueueSettings,
    /** Answers turned-away messages (failure result, poison entry) and retries deletes. */
    private readonly deps: AnswerDeps,
  ) {}

  /** The queue's URL, as logs and poison messages name it. */
  get url(): string {
    return this.settings.dispatchQueueUrl;
  }

  /** Receives a small batch with the worker's short wait; the messages stay invisible for the visibility timeout. */
  async receive(): Promise<ReceiveOutcome> {
    const { receiveBatchSize, pollWaitSeconds, visibilityTimeoutSeconds } = this.settings;
    try {
      const messages = await this.receiver.receive(this.url, {
        maxMessages: receiveBatchSize,
        waitTimeSeconds: pollWaitSeconds,
        visibilityTimeoutSeconds,
      });
      return { ok: true, messages };
    } catch (error) {
      return { ok: false, problem: describe(error) };
    }
  }

  /**
   * Turns away a message no handler can run: an invalid one whose ids are readable is answered with
   * an `invalid_dispatch` failure, one nobody can answer goes to the poison queue; once answered it
   * is deleted, and when the answer could not be sent it is left for redelivery.
   */
  async turnAway(received: ReceivedMessage, parsed: Unrunnable): Promise<void> {
    if (parsed.kind === 'invalid') {
      const report = await answerInvalid(parsed.subject, parsed.problems, this.deps);
      return this.settle(received, report.redeliver, { ...report.fields, status: 'invalid_dispatch' });
    }
    const record = {
      messageId: received.messageId,
      body: received.body,
      receiveCount: received.receiveCount,
      sourceQueue: this.url,
    };
    const poison = await moveToPoison(record, parsed.code, parsed.reason, this.deps);
    return this.settle(received, !poison.moved, {
      status: 'poison',
      error_type: parsed.code,
      reason: parsed.reason,
      problem: poison.problem,
    });
  }

  /**
   * Deletes a message by its newest receipt handle, retrying transient failures after each delay in
   * turn. Returns the final problem, or null when deleted. A message left undeleted is redelivered
   * after its visibility timeout, and the completion side drops the repeated result by its event_id.
   */
  async delete(receiptHandle: string): Promise<string | null> {
    const tryDelete = async (): Promise<string | null> => {
      try {
        await this.receiver.delete(this.url, receiptHandle);
        return null;
      } catch (error) {
        return `${error instanceof Error ? error.name : 'DeleteError'}: ${errorMessage(error)}`;
      }
    };
    const { value: problem, attempts } = await retryOperation(tryDelete, (p) => p !== null, this.deps.retry);
    return problem === null ? null : `delete failed after ${attempts} attempt(s): ${problem}`;
  }

  /** Sets the message's visibility timeout (0: visible at once); the problem, or null when done. */
  async changeVisibility(receiptHandle: string, seconds: number): Promise<string | null> {
    try {
      await this.receiver.changeVisibility(this.url, receiptHandle, seconds);
      return null;
    } catch (error) {
      return describe(error);
    }
  }

  private async settle(received: ReceivedMessage, redeliver: boolean, fields: LogFields): Promise<void> {
    const logFields = {
      ...fields,
      message_id: received.messageId,
      receive_count: received.receiveCount,
      redelivered: redeliver,
    };
    if (redeliver) return this.deps.logger.error('dispatch message not answered; left for redelivery', logFields);
    const problem = await this.delete(received.receiptHandle);
    this.deps.logger.warn('dispatch message answered without running a handler', {
      ...logFields,
      delete_problem: problem,
    });
  }
}

/** `Name: message` of what the queue threw; anything else as a string. */
function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${errorMessage(error)}` : errorMessage(error);
}
