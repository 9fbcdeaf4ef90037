import { createHash } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import type { ReceivedMessage } from '../ports/message-queue.js';

const LOCAL_ACCOUNT = '000000000000';
const LOCAL_REGION = 'us-east-1';

/** The queue's ARN: from an SQS URL (`https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`, LocalStack's path style) or a memory URL. */
export function queueArnOf(queueUrl: string): string {
  const parts = queueUrl.replace(/\/+$/, '').split('/');
  const name = parts.at(-1) ?? 'queue';
  const account = parts.at(-2) ?? '';
  const region =
    /sqs\.([a-z0-9-]+)\.amazonaws/.exec(queueUrl)?.[1] ??
    (parts.at(-3)?.match(/^[a-z]{2}-[a-z]+-\d$/) ? parts.at(-3) : undefined);
  return `arn:aws:sqs:${region ?? LOCAL_REGION}:${/^\d{12}$/.test(account) ? account : LOCAL_ACCOUNT}:${name}`;
}

/** The record Lambda's SQS event source gives a function for a received message. */
export function toSqsRecord(message: ReceivedMessage, queueArn: string, receivedAt: number): SQSRecord {
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.sentAt.getTime()),
      SenderId: message.attributes.SenderId ?? 'AIDALOCALRUNNER',
      ApproximateFirstReceiveTimestamp: message.attributes.ApproximateFirstReceiveTimestamp ?? String(receivedAt),
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(message.body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: queueArn.split(':')[3] ?? LOCAL_REGION,
  };
}
