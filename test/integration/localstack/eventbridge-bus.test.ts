import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  type EventBridgeClient,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { EventBridgeBus } from '../../../lib/adapters/eventbridge/eventbridge-bus.js';
import { SqsQueue } from '../../../lib/adapters/sqs/sqs-queue.js';
import type { EventBusEntry } from '../../../lib/contracts/domain-event.js';
import { createEventBridgeClient, createSqsClient } from '../../../lib/lambda/aws-clients.js';
import { collectMessages, describeLocalstack, unreachableEndpoint } from '../../helpers/localstack.js';

const RUN = `tasker-it-events-${randomUUID().slice(0, 8)}`;
const SOURCE = `tasker.${RUN}`;
const RULE = `${RUN}-capture`;

function entries(count: number, pad = 0, detailType = 'step.completed'): EventBusEntry[] {
  return Array.from({ length: count }, (_, index) => ({
    Source: SOURCE,
    DetailType: detailType,
    Detail: JSON.stringify({ event_id: randomUUID(), n: index, pad: 'x'.repeat(pad) }),
  }));
}

interface DeliveredEvent {
  'detail-type': string;
  source: string;
  detail: { event_id: string; n: number };
}

await describeLocalstack('EventBridgeBus against LocalStack EventBridge, captured through an SQS target', () => {
  let events: EventBridgeClient;
  let sqs: SQSClient;
  let bus: EventBridgeBus;
  let captured: SqsQueue;
  let queueUrl: string;

  beforeAll(async () => {
    events = createEventBridgeClient();
    sqs = createSqsClient();
    bus = new EventBridgeBus(events, RUN);
    captured = new SqsQueue(sqs);
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: RUN }))).QueueUrl as string;
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    await events.send(new CreateEventBusCommand({ Name: RUN }));
    await events.send(
      new PutRuleCommand({ Name: RULE, EventBusName: RUN, EventPattern: JSON.stringify({ source: [SOURCE] }) }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: RULE,
        EventBusName: RUN,
        Targets: [{ Id: 'capture', Arn: attributes.Attributes?.QueueArn }],
      }),
    );
  });

  afterAll(async () => {
    await events.send(new RemoveTargetsCommand({ Rule: RULE, EventBusName: RUN, Ids: ['capture'] }));
    await events.send(new DeleteRuleCommand({ Name: RULE, EventBusName: RUN }));
    await events.send(new DeleteEventBusCommand({ Name: RUN }));
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    events.destroy();
    sqs.destroy();
  });

  async function delivered(count: number): Promise<DeliveredEvent[]> {
    const messages = await collectMessages(captured, queueUrl, count);
    return messages.map((message) => JSON.parse(message.body) as DeliveredEvent);
  }

  it('publishes 12 entries in two PutEvents calls and the rule delivers every one to the SQS target', async () => {
    const spy = vi.spyOn(events, 'send');
    const published = entries(12);
    expect(await bus.publish(published)).toEqual({ failed: [] });
    expect(spy.mock.calls.filter(([command]) => command instanceof PutEventsCommand)).toHaveLength(2);
    spy.mockRestore();
    const received = await delivered(12);
    expect(received.map((event) => event.detail.n).sort((a, b) => a - b)).toEqual(published.map((_, index) => index));
    expect(received.every((event) => event.source === SOURCE && event['detail-type'] === 'step.completed')).toBe(true);
  });

  it('splits entries whose total passes 256 KiB (EventBridge refuses such a call) and delivers all', async () => {
    const spy = vi.spyOn(events, 'send');
    const published = entries(3, 100_000);
    expect(await bus.publish(published)).toEqual({ failed: [] });
    expect(spy.mock.calls.filter(([command]) => command instanceof PutEventsCommand)).toHaveLength(2);
    spy.mockRestore();
    expect(await delivered(3)).toHaveLength(3);
  });

  it('returns the entry EventBridge refuses (malformed Detail) with its error code, and delivers the others', async () => {
    const [good] = entries(1);
    const malformed: EventBusEntry = { Source: SOURCE, DetailType: 'step.completed', Detail: 'not json' };
    const outcome = await bus.publish([good!, malformed]);
    expect(outcome.failed).toEqual([{ entry: malformed, code: 'MalformedDetail', message: expect.any(String) }]);
    expect((await delivered(1)).map((event) => event.detail.event_id)).toEqual([JSON.parse(good!.Detail).event_id]);
  });

  it('reports an entry over 256 KiB as EntryTooLarge without calling EventBridge', async () => {
    const spy = vi.spyOn(events, 'send');
    const [huge] = entries(1, 262_144);
    const outcome = await bus.publish([huge!]);
    expect(outcome.failed).toEqual([expect.objectContaining({ entry: huge, code: 'EntryTooLarge' })]);
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });

  it('reports an unreachable endpoint as failed entries, without throwing', async () => {
    const offline = createEventBridgeClient({ endpoint: await unreachableEndpoint(), maxAttempts: 1 });
    const published = entries(11);
    const outcome = await new EventBridgeBus(offline, RUN).publish(published);
    offline.destroy();
    expect(outcome.failed.map((failure) => failure.entry)).toEqual(published);
    expect(new Set(outcome.failed.map((failure) => failure.code))).toEqual(new Set(['ECONNREFUSED']));
  });
});
