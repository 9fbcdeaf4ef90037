import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type BatchResultErrorEntry,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { SQS_MAX_MESSAGE_BYTES, byteLength } from '../../contracts/schema-version.js';
import type {
  MessageQueue,
  OutgoingMessage,
  ReceiveOptions,
  ReceivedMessage,
  SendFailure,
  SendOutcome,
} from '../../ports/message-queue.js';
import type { MessageCounts, QueueCounter } from '../../ports/queue-counts.js';
import { summarizeAwsError } from '../aws-error.js';
import { sendInBatches } from '../batching.js';
import { SQS_MAX_BATCH_ENTRIES, tooLongRefusal } from './sqs-limits.js';

const PERMANENT_CODE = /invalid|too ?(long|large)|missingrequired|unsupported/i;

/** A queue on Amazon SQS (or LocalStack). Sends never throw: failures come back per message. */
export class SqsQueue implements MessageQueue, QueueCounter {
  constructor(private readonly client: SQSClient) {}

  async send(queueUrl: string, messages: readonly OutgoingMessage[]): Promise<SendOutcome> {
    const failed = await sendInBatches(messages, {
      maxEntries: SQS_MAX_BATCH_ENTRIES,
      maxBytes: SQS_MAX_MESSAGE_BYTES,
      sizeOf: (message) => byteLength(message.body),
      refusalOf: tooLongRefusal,
      sendBatch: (batch) => this.sendBatch(queueUrl, batch),
    });
    return { failed };
  }

  async receive(queueUrl: string, options: ReceiveOptions): Promise<ReceivedMessage[]> {
    const output = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: options.maxMessages,
        WaitTimeSeconds: options.waitTimeSeconds,
        VisibilityTimeout: options.visibilityTimeoutSeconds,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'ApproximateFirstReceiveTimestamp'],
      }),
    );
    return (output.Messages ?? []).map(toReceivedMessage);
  }

  /** One GetQueueAttributes call: the approximate visible, in-flight and delayed counts. Throws when the queue cannot be read. */
  async countMessages(queueUrl: string): Promise<MessageCounts> {
    const output = await this.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    const count = (name: string) => Number(output.Attributes?.[name as keyof typeof output.Attributes] ?? 0);
    return {
      visible: count('ApproximateNumberOfMessages'),
      inFlight: count('ApproximateNumberOfMessagesNotVisible'),
      delayed: count('ApproximateNumberOfMessagesDelayed'),
    };
  }

  async delete(queueUrl: string, receiptHandle: string): Promise<void> {
    await this.client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle }));
  }

  async changeVisibility(queueUrl: string, receiptHandle: string, visibilityTimeoutSeconds: number): Promise<void> {
    await this.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: visibilityTimeoutSeconds,
      }),
    );
  }

  /** Batch entry ids are positional (`m0`..`m9`): SQS restricts their characters, callers' ids are free-form. */
  private async sendBatch(queueUrl: string, batch: readonly OutgoingMessage[]): Promise<SendFailure[]> {
    const entries = batch.map((message, index) => ({
      Id: `m${index}`,
      MessageBody: message.body,
      DelaySeconds: message.delaySeconds,
    }));
    try {
      const output = await this.client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      return (output.Failed ?? []).map((entry) => entryFailure(entry, batch));
    } catch (error) {
      const { code, message } = summarizeAwsError(error);
      return batch.map((outgoing) => ({ id: outgoing.id, code, message, permanent: false }));
    }
  }
}

function entryFailure(entry: BatchResultErrorEntry, batch: readonly OutgoingMessage[]): SendFailure {
  const index = Number((entry.Id ?? '').slice(1));
  const code = entry.Code ?? 'UnknownError';
  return {
    id: batch[index]?.id ?? entry.Id ?? 'unknown',
    code,
    message: entry.Message ?? code,
    permanent: entry.SenderFault === true || PERMANENT_CODE.test(code),
  };
}

function toReceivedMessage(message: Message): ReceivedMessage {
  const attributes: Record<string, string> = { ...(message.Attributes ?? {}) };
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    receiveCount: Number(attributes.ApproximateReceiveCount ?? '1'),
    sentAt: new Date(Number(attributes.SentTimestamp ?? Date.now())),
    attributes,
  };
}
