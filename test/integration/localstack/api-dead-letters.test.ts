import { CreateQueueCommand, DeleteQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ApiResponse } from '../../../lib/api/api-call.js';
import { createApiHandler } from '../../../lib/api/handle-api-request.js';
import { EventBridgeBus } from '../../../lib/adapters/eventbridge/eventbridge-bus.js';
import { SqsQueue } from '../../../lib/adapters/sqs/sqs-queue.js';
import { createEventBridgeClient, createSqsClient } from '../../../lib/lambda/aws-clients.js';
import { staticRouting } from '../../../lib/orchestration/queue-routing.js';
import { fakeStore } from '../../helpers/fake-store.js';
import { collectMessages, describeLocalstack } from '../../helpers/localstack.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';

/**
 * The API's dead-letter routes on real SQS (LocalStack): a work queue's dead letters shown, left in place and redriven
 * back to it; a poison message's original back to its source queue; parked domain events back on a real bus.
 */

const RUN = `tasker-it-api-${randomUUID().slice(0, 8)}`;

await describeLocalstack('the API on SQS: dead letters, poison and parked events', () => {
  let client: SQSClient;
  let sqs: SqsQueue;
  const urls: Record<string, string> = {};
  let handle: ReturnType<typeof createApiHandler>;
  const call = (method: string, path: string, body?: unknown): Promise<ApiResponse> => {
    const url = new URL(path, 'http://api');
    return handle({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: body === undefined ? undefined : JSON.stringify(body),
      actor: 'arn:aws:iam::000000000000:user/ops',
    });
  };

  beforeAll(async () => {
    client = createSqsClient();
    sqs = new SqsQueue(client);
    for (const name of ['work', 'work-dlq', 'poison', 'event-dlq'])
      urls[name] = (await client.send(new CreateQueueCommand({ QueueName: `${RUN}-${name}` }))).QueueUrl!;
    handle = createApiHandler({
      orchestration: {
        store: fakeStore(),
        queues: sqs,
        events: new EventBridgeBus(createEventBridgeClient(), 'default'),
        routing: staticRouting({ dispatchQueueUrl: urls.work!, completionQueueUrl: urls.work! }),
        clock: { now: () => new Date() },
        random: { next: () => 0.5 },
        logger: new RecordingLogger(),
        retry: { delaysMs: [10], sleep: async () => undefined },
      },
      queue: sqs,
      counts: sqs,
      domainEventDlqUrl: urls['event-dlq'],
      deadLetters: [
        { name: 'dispatch-dlq', url: urls['work-dlq']!, redriveTo: urls.work! },
        { name: 'poison', url: urls.poison!, redriveTo: null },
      ],
    });
  });

  afterAll(async () => {
    for (const url of Object.values(urls)) await client.send(new DeleteQueueCommand({ QueueUrl: url }));
    client.destroy();
  });

  it('counts and shows the dead letters, leaving them; redrives them to their work queue', async () => {
    await sqs.send(urls['work-dlq']!, [
      { id: 'a', body: '{"n":1}' },
      { id: 'b', body: '{"n":2}' },
    ]);
    const listed = await call('GET', '/dead-letters');
    expect(listed).toMatchObject({
      status: 200,
      body: {
        queues: [
          { name: 'dispatch-dlq', returns_to: urls.work, messages: 2 },
          { name: 'poison', messages: 0 },
        ],
      },
    });
    const shown = (await call('GET', '/dead-letters/dispatch-dlq?max_messages=10')).body as {
      messages: Array<{ body: string; receive_count: number }>;
    };
    expect(shown.messages.map((m) => m.body).sort()).toEqual(['{"n":1}', '{"n":2}']);
    const again = (await call('GET', '/dead-letters/dispatch-dlq')).body as { messages: unknown[] };
    expect(again.messages).toHaveLength(2);
    expect(await call('POST', '/dead-letters/dispatch-dlq/redrive', {})).toEqual({
      status: 200,
      body: { redriven: 2, failed: 0, skipped: 0 },
    });
    const back = await collectMessages(sqs, urls.work!, 2);
    expect(back.map((m) => m.body).sort()).toEqual(['{"n":1}', '{"n":2}']);
    expect((await sqs.countMessages(urls['work-dlq']!)).visible).toBe(0);
  });

  it('sends a poison message’s original back to its source queue; one from elsewhere stays', async () => {
    const poison = (source: string, original: string) =>
      JSON.stringify({
        schema_version: 1,
        message_type: 'poison',
        reason: 'test',
        error_code: 'unparseable_json',
        source_queue: source,
        source_message_id: null,
        original_body: original,
        moved_at: new Date().toISOString(),
      });
    await sqs.send(urls.poison!, [
      { id: 'p', body: poison(urls.work!, 'original-1') },
      { id: 'q', body: poison('arn:aws:sqs:us-east-1:000000000000:somewhere-else', 'original-2') },
    ]);
    expect(await call('POST', '/dead-letters/poison/redrive', { max_messages: 10 })).toEqual({
      status: 200,
      body: { redriven: 1, failed: 0, skipped: 1 },
    });
    expect((await collectMessages(sqs, urls.work!, 1)).map((m) => m.body)).toEqual(['original-1']);
    expect(((await call('GET', '/dead-letters/poison')).body as { messages: unknown[] }).messages).toHaveLength(1);
  });

  it('puts parked domain events back on the bus and deletes them; an unreadable one stays', async () => {
    const parked = JSON.stringify({
      schema_version: 1,
      message_type: 'parked_domain_event',
      error_code: 'publish_failed',
      reason: 'PutEvents failed',
      event_id: randomUUID(),
      event_name: 'order.charged',
      entry: { Source: 'tasker.orders', DetailType: 'order.charged', Detail: '{}' },
      parked_at: new Date().toISOString(),
    });
    await sqs.send(urls['event-dlq']!, [
      { id: 'e', body: parked },
      { id: 'x', body: 'not json' },
    ]);
    expect(await call('POST', '/events/redrive', { max_messages: 10 })).toEqual({
      status: 200,
      body: { redriven: 1, failed: 0, skipped: 1 },
    });
    expect((await sqs.countMessages(urls['event-dlq']!)).visible).toBe(1);
  });
});
