import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { SqsQueue } from '../../../lib/adapters/sqs/sqs-queue.js';
import { createSqsClient } from '../../../lib/lambda/aws-clients.js';
import { collectMessages, describeLocalstack, unreachableEndpoint } from '../../helpers/localstack.js';

const RUN = `tasker-it-sqs-${randomUUID().slice(0, 8)}`;

await describeLocalstack('SqsQueue against LocalStack SQS', () => {
  let client: SQSClient;
  let queue: SqsQueue;
  const created: string[] = [];

  async function newQueue(visibilityTimeoutSeconds = 30): Promise<string> {
    const name = `${RUN}-${created.length}`;
    const output = await client.send(
      new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: String(visibilityTimeoutSeconds) } }),
    );
    created.push(output.QueueUrl as string);
    return output.QueueUrl as string;
  }

  function batchCalls(spy: { mock: { calls: unknown[][] } }): number {
    return spy.mock.calls.filter(([command]) => command instanceof SendMessageBatchCommand).length;
  }

  async function approximateCounts(queueUrl: string) {
    const output = await client.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return [
      Number(output.Attributes?.ApproximateNumberOfMessages),
      Number(output.Attributes?.ApproximateNumberOfMessagesNotVisible),
    ];
  }

  beforeAll(() => {
    client = createSqsClient();
    queue = new SqsQueue(client);
  });

  afterAll(async () => {
    for (const queueUrl of created) await client.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    client.destroy();
  });

  it('sends 23 messages in batches of at most 10 and receives each once with its receive count and sent time', async () => {
    const queueUrl = await newQueue();
    const spy = vi.spyOn(client, 'send');
    const before = Date.now();
    const bodies = Array.from({ length: 23 }, (_, index) => JSON.stringify({ n: index }));
    const outcome = await queue.send(
      queueUrl,
      bodies.map((body, index) => ({ id: `step-${index}`, body })),
    );
    expect(outcome.failed).toEqual([]);
    expect(batchCalls(spy)).toBe(3);
    spy.mockRestore();
    const received = await collectMessages(queue, queueUrl, 23);
    expect(received.map((message) => message.body).sort()).toEqual([...bodies].sort());
    expect(received.every((message) => message.receiveCount === 1)).toBe(true);
    expect(received.every((message) => message.sentAt.getTime() >= before - 1_000)).toBe(true);
    expect(await approximateCounts(queueUrl)).toEqual([0, 0]);
  });

  it('splits a send whose bodies pass 256 KiB into several batches and delivers every body intact', async () => {
    const queueUrl = await newQueue();
    const spy = vi.spyOn(client, 'send');
    const bodies = ['a', 'b', 'c'].map((letter) => letter.repeat(100_000));
    const outcome = await queue.send(
      queueUrl,
      bodies.map((body, index) => ({ id: `big-${index}`, body })),
    );
    expect(outcome.failed).toEqual([]);
    expect(batchCalls(spy)).toBe(2);
    spy.mockRestore();
    const received = await collectMessages(queue, queueUrl, 3);
    expect(received.map((message) => message.body).sort()).toEqual(bodies);
  });

  it('refuses a message over 256 KiB as permanent without sending it, and sends the others', async () => {
    const queueUrl = await newQueue();
    const spy = vi.spyOn(client, 'send');
    const outcome = await queue.send(queueUrl, [
      { id: 'too-big', body: 'x'.repeat(262_145) },
      { id: 'fine', body: 'fine' },
    ]);
    expect(outcome.failed).toEqual([
      expect.objectContaining({ id: 'too-big', code: 'MessageTooLong', permanent: true }),
    ]);
    const sentBodies = spy.mock.calls
      .map(([command]) => command)
      .filter((command) => command instanceof SendMessageBatchCommand)
      .flatMap((command) => (command as SendMessageBatchCommand).input.Entries?.map((entry) => entry.MessageBody));
    expect(sentBodies).toEqual(['fine']);
    spy.mockRestore();
    expect((await collectMessages(queue, queueUrl, 1)).map((message) => message.body)).toEqual(['fine']);
  });

  it('maps a per-entry failure SQS reports (invalid characters) to a permanent failure of that message only', async () => {
    const queueUrl = await newQueue();
    const outcome = await queue.send(queueUrl, [
      { id: 'good', body: 'good' },
      { id: 'nul-byte', body: 'bad\u0000body' },
    ]);
    expect(outcome.failed).toEqual([
      expect.objectContaining({ id: 'nul-byte', code: 'InvalidMessageContents', permanent: true }),
    ]);
    expect((await collectMessages(queue, queueUrl, 1)).map((message) => message.body)).toEqual(['good']);
  });

  it('hides a received message, makes it visible again with changeVisibility 0, and deletes it', async () => {
    const queueUrl = await newQueue();
    await queue.send(queueUrl, [{ id: 'a', body: 'visibility' }]);
    const [first] = await queue.receive(queueUrl, { maxMessages: 1, waitTimeSeconds: 2 });
    expect(await queue.receive(queueUrl, { maxMessages: 1, waitTimeSeconds: 0 })).toEqual([]);
    await queue.changeVisibility(queueUrl, first!.receiptHandle, 0);
    const [second] = await queue.receive(queueUrl, { maxMessages: 1, waitTimeSeconds: 2 });
    expect(second).toMatchObject({ messageId: first!.messageId, receiveCount: 2 });
    await queue.delete(queueUrl, second!.receiptHandle);
    expect(await approximateCounts(queueUrl)).toEqual([0, 0]);
  });

  it('redelivers a message after its visibility timeout', async () => {
    const queueUrl = await newQueue(1);
    await queue.send(queueUrl, [{ id: 'a', body: 'expires' }]);
    const [first] = await queue.receive(queueUrl, { maxMessages: 1, waitTimeSeconds: 2 });
    const [again] = await queue.receive(queueUrl, { maxMessages: 1, waitTimeSeconds: 3 });
    expect(again).toMatchObject({ messageId: first!.messageId, receiveCount: 2 });
  });

  it('delays a message, and a long poll on an empty queue returns [] when the wait ends', async () => {
    const queueUrl = await newQueue();
    await queue.send(queueUrl, [{ id: 'later', body: 'later', delaySeconds: 1 }]);
    expect(await queue.receive(queueUrl, { maxMessages: 1, waitTimeSeconds: 0 })).toEqual([]);
    const [later] = await queue.receive(queueUrl, { maxMessages: 1, waitTimeSeconds: 3 });
    expect(later?.body).toBe('later');
    const started = Date.now();
    expect(await queue.receive(queueUrl, { maxMessages: 1, waitTimeSeconds: 1 })).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('reports a queue that does not exist as transient failures of every message, without throwing', async () => {
    const missing = created[0]!.replace(/[^/]+$/, `${RUN}-missing`);
    const outcome = await queue.send(missing, [
      { id: 'a', body: 'x' },
      { id: 'b', body: 'y' },
    ]);
    expect(outcome.failed.map((failure) => [failure.id, failure.code, failure.permanent])).toEqual([
      ['a', 'QueueDoesNotExist', false],
      ['b', 'QueueDoesNotExist', false],
    ]);
  });

  it('reports an unreachable endpoint as transient failures of every message, without throwing', async () => {
    const endpoint = await unreachableEndpoint();
    const offline = createSqsClient({ endpoint, maxAttempts: 1 });
    const outcome = await new SqsQueue(offline).send(
      `${endpoint}/000000000000/nowhere`,
      Array.from({ length: 12 }, (_, index) => ({ id: `m-${index}`, body: 'x' })),
    );
    offline.destroy();
    expect(outcome.failed).toHaveLength(12);
    expect(outcome.failed.every((failure) => failure.code === 'ECONNREFUSED' && !failure.permanent)).toBe(true);
  });
});
