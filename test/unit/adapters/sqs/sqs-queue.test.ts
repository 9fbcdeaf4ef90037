import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  type SendMessageBatchCommandOutput,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { describe, expect, it, vi } from 'vitest';
import { SqsQueue } from '../../../../lib/adapters/sqs/sqs-queue.js';
import type { OutgoingMessage } from '../../../../lib/ports/message-queue.js';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/dispatch';

type Answer = (input: SendMessageBatchCommandInput, call: number) => Partial<SendMessageBatchCommandOutput> | Error;

/** A client whose send answers SendMessageBatch with `answer` (all succeed by default) and records every command. */
function fakeClient(answer: Answer = () => ({})) {
  const commands: unknown[] = [];
  const send = vi.fn(async (command: unknown) => {
    commands.push(command);
    if (!(command instanceof SendMessageBatchCommand)) return {};
    const result = answer(command.input, commands.length - 1);
    if (result instanceof Error) throw result;
    return result;
  });
  const batches = () =>
    commands
      .filter((command) => command instanceof SendMessageBatchCommand)
      .map((command) => (command as SendMessageBatchCommand).input);
  return { client: { send } as unknown as SQSClient, send, commands, batches };
}

function messages(count: number, bodyBytes = 10): OutgoingMessage[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `step-${index}`,
    body: `${index}`.padEnd(bodyBytes, 'x'),
  }));
}

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'server' });
}

describe('SqsQueue.send batching', () => {
  it('sends 25 messages as batches of 10, 10 and 5, in order, with positional entry ids', async () => {
    const fake = fakeClient();
    const outcome = await new SqsQueue(fake.client).send(QUEUE_URL, messages(25));
    expect(outcome).toEqual({ failed: [] });
    const batches = fake.batches();
    expect(batches.map((batch) => batch.Entries?.length)).toEqual([10, 10, 5]);
    expect(batches.every((batch) => batch.QueueUrl === QUEUE_URL)).toBe(true);
    expect(batches[1]?.Entries?.map((entry) => entry.Id)).toEqual(
      Array.from({ length: 10 }, (_, index) => `m${index}`),
    );
    expect(batches.flatMap((batch) => batch.Entries?.map((entry) => entry.MessageBody))).toEqual(
      messages(25).map((m) => m.body),
    );
  });

  it('starts a new batch before the bodies would pass 256 KiB', async () => {
    const fake = fakeClient();
    const outcome = await new SqsQueue(fake.client).send(QUEUE_URL, messages(5, 100_000));
    expect(outcome.failed).toEqual([]);
    const sizes = fake
      .batches()
      .map((batch) => batch.Entries?.reduce((sum, entry) => sum + (entry.MessageBody?.length ?? 0), 0));
    expect(sizes).toEqual([200_000, 200_000, 100_000]);
  });

  it('counts UTF-8 bytes, not characters, against the limit', async () => {
    const fake = fakeClient();
    const wide = [1, 2].map((n) => ({ id: `wide-${n}`, body: 'é'.repeat(70_000) }));
    await new SqsQueue(fake.client).send(QUEUE_URL, wide);
    expect(fake.batches().map((batch) => batch.Entries?.length)).toEqual([1, 1]);
  });

  it('passes a message delay through', async () => {
    const fake = fakeClient();
    await new SqsQueue(fake.client).send(QUEUE_URL, [{ id: 'later', body: 'x', delaySeconds: 30 }]);
    expect(fake.batches()[0]?.Entries?.[0]?.DelaySeconds).toBe(30);
  });

  it('refuses a message over 256 KiB as permanent without calling AWS, and sends the rest', async () => {
    const fake = fakeClient();
    const tooBig = { id: 'too-big', body: 'x'.repeat(262_145) };
    const outcome = await new SqsQueue(fake.client).send(QUEUE_URL, [tooBig, { id: 'fine', body: 'ok' }]);
    expect(outcome.failed).toEqual([
      expect.objectContaining({ id: 'too-big', code: 'MessageTooLong', permanent: true }),
    ]);
    expect(fake.batches().flatMap((batch) => batch.Entries?.map((entry) => entry.MessageBody))).toEqual(['ok']);
    const alone = fakeClient();
    await new SqsQueue(alone.client).send(QUEUE_URL, [tooBig]);
    expect(alone.send).not.toHaveBeenCalled();
  });

  it('makes no call for an empty list', async () => {
    const fake = fakeClient();
    expect(await new SqsQueue(fake.client).send(QUEUE_URL, [])).toEqual({ failed: [] });
    expect(fake.send).not.toHaveBeenCalled();
  });
});

describe('SqsQueue.send failure mapping', () => {
  it('maps per-entry failures to the caller ids, permanent on SenderFault or an invalid/too-large code', async () => {
    const fake = fakeClient((_, call) =>
      call === 1
        ? {
            Failed: [
              { Id: 'm0', SenderFault: true, Code: 'InvalidParameterValue', Message: 'bad' },
              { Id: 'm1', SenderFault: false, Code: 'InternalError', Message: 'try again' },
              { Id: 'm2', SenderFault: false, Code: 'InvalidMessageContents', Message: 'bad chars' },
              { Id: 'm3', SenderFault: false, Code: 'MessageTooLong', Message: 'long' },
            ],
          }
        : {},
    );
    const outcome = await new SqsQueue(fake.client).send(QUEUE_URL, messages(14));
    expect(outcome.failed.map((failure) => [failure.id, failure.code, failure.permanent, failure.message])).toEqual([
      ['step-10', 'InvalidParameterValue', true, 'bad'],
      ['step-11', 'InternalError', false, 'try again'],
      ['step-12', 'InvalidMessageContents', true, 'bad chars'],
      ['step-13', 'MessageTooLong', true, 'long'],
    ]);
  });

  it('reports every message of a batch whose call was throttled as a transient failure, without throwing', async () => {
    const fake = fakeClient((_, call) => (call === 0 ? awsError('ThrottlingException', 'Rate exceeded') : {}));
    const outcome = await new SqsQueue(fake.client).send(QUEUE_URL, messages(12));
    expect(outcome.failed).toHaveLength(10);
    expect(outcome.failed.map((failure) => failure.id)).toEqual(messages(10).map((message) => message.id));
    expect(outcome.failed.every((failure) => failure.code === 'ThrottlingException' && !failure.permanent)).toBe(true);
    expect(fake.batches()).toHaveLength(2);
  });

  it('names a network error by its system code', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const fake = fakeClient(() => refused);
    const outcome = await new SqsQueue(fake.client).send(QUEUE_URL, messages(2));
    expect(outcome.failed).toEqual([
      { id: 'step-0', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1', permanent: false },
      { id: 'step-1', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1', permanent: false },
    ]);
  });
});

describe('SqsQueue receive, delete, changeVisibility', () => {
  it('long-polls for the receive count and sent time and maps the messages', async () => {
    const send = vi.fn(async (_command: unknown) => ({
      Messages: [
        {
          MessageId: 'id-1',
          ReceiptHandle: 'rh-1',
          Body: '{"a":1}',
          Attributes: { ApproximateReceiveCount: '3', SentTimestamp: '1767225600000' },
        },
      ],
    }));
    const queue = new SqsQueue({ send } as unknown as SQSClient);
    const received = await queue.receive(QUEUE_URL, {
      maxMessages: 10,
      waitTimeSeconds: 20,
      visibilityTimeoutSeconds: 45,
    });
    const command = send.mock.calls[0]?.[0] as ReceiveMessageCommand;
    expect(command).toBeInstanceOf(ReceiveMessageCommand);
    expect(command.input).toEqual({
      QueueUrl: QUEUE_URL,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 20,
      VisibilityTimeout: 45,
      MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'ApproximateFirstReceiveTimestamp'],
    });
    expect(received).toEqual([
      {
        messageId: 'id-1',
        receiptHandle: 'rh-1',
        body: '{"a":1}',
        receiveCount: 3,
        sentAt: new Date('2026-01-01T00:00:00Z'),
        attributes: { ApproximateReceiveCount: '3', SentTimestamp: '1767225600000' },
      },
    ]);
  });

  it('returns [] when the long poll ends empty, and lets a failed receive throw', async () => {
    const empty = new SqsQueue({ send: async () => ({}) } as unknown as SQSClient);
    expect(await empty.receive(QUEUE_URL, { maxMessages: 1, waitTimeSeconds: 1 })).toEqual([]);
    const failing = new SqsQueue({
      send: async () => Promise.reject(awsError('QueueDoesNotExist', 'gone')),
    } as unknown as SQSClient);
    await expect(failing.receive(QUEUE_URL, { maxMessages: 1, waitTimeSeconds: 0 })).rejects.toThrow('gone');
  });

  it('deletes and changes visibility by receipt handle', async () => {
    const fake = fakeClient();
    const queue = new SqsQueue(fake.client);
    await queue.delete(QUEUE_URL, 'rh-1');
    await queue.changeVisibility(QUEUE_URL, 'rh-2', 0);
    const [deleted, changed] = fake.commands as [DeleteMessageCommand, ChangeMessageVisibilityCommand];
    expect(deleted).toBeInstanceOf(DeleteMessageCommand);
    expect(deleted.input).toEqual({ QueueUrl: QUEUE_URL, ReceiptHandle: 'rh-1' });
    expect(changed).toBeInstanceOf(ChangeMessageVisibilityCommand);
    expect(changed.input).toEqual({ QueueUrl: QUEUE_URL, ReceiptHandle: 'rh-2', VisibilityTimeout: 0 });
  });
});

describe('SqsQueue.countMessages', () => {
  it('asks GetQueueAttributes for the three approximate counts, in one call', async () => {
    const send = vi.fn(async (_command: unknown) => ({
      Attributes: {
        ApproximateNumberOfMessages: '312',
        ApproximateNumberOfMessagesNotVisible: '10',
        ApproximateNumberOfMessagesDelayed: '2',
      },
    }));
    const queue = new SqsQueue({ send } as unknown as SQSClient);
    expect(await queue.countMessages(QUEUE_URL)).toEqual({ visible: 312, inFlight: 10, delayed: 2 });
    const command = send.mock.calls[0]?.[0] as GetQueueAttributesCommand;
    expect(send).toHaveBeenCalledTimes(1);
    expect(command).toBeInstanceOf(GetQueueAttributesCommand);
    expect(command.input).toEqual({
      QueueUrl: QUEUE_URL,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    });
  });

  it('lets a failed call throw (the sweeper counts an unreadable queue as holding a backlog)', async () => {
    const failing = new SqsQueue({
      send: async () => Promise.reject(awsError('AccessDenied', 'not allowed')),
    } as unknown as SQSClient);
    await expect(failing.countMessages(QUEUE_URL)).rejects.toThrow('not allowed');
  });
});
