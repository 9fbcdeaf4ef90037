import {
  PutEventsCommand,
  type EventBridgeClient,
  type PutEventsCommandInput,
  type PutEventsCommandOutput,
} from '@aws-sdk/client-eventbridge';
import { describe, expect, it, vi } from 'vitest';
import { EventBridgeBus } from '../../../../lib/adapters/eventbridge/eventbridge-bus.js';
import type { EventBusEntry } from '../../../../lib/contracts/domain-event.js';

type Answer = (input: PutEventsCommandInput, call: number) => Partial<PutEventsCommandOutput> | Error;

const allAccepted: Answer = (input) => ({
  FailedEntryCount: 0,
  Entries: (input.Entries ?? []).map((_, index) => ({ EventId: `e-${index}` })),
});

function fakeClient(answer: Answer = allAccepted) {
  const inputs: PutEventsCommandInput[] = [];
  const send = vi.fn(async (command: PutEventsCommand) => {
    expect(command).toBeInstanceOf(PutEventsCommand);
    inputs.push(command.input);
    const result = answer(command.input, inputs.length - 1);
    if (result instanceof Error) throw result;
    return result;
  });
  return { client: { send } as unknown as EventBridgeClient, send, inputs };
}

function entries(count: number, detailBytes = 20): EventBusEntry[] {
  return Array.from({ length: count }, (_, index) => ({
    Source: 'tasker.payments',
    DetailType: 'payment.captured',
    Detail: JSON.stringify({ n: index, pad: 'x'.repeat(detailBytes) }),
  }));
}

describe('EventBridgeBus.publish batching', () => {
  it('puts 12 entries as batches of 10 and 2 on the configured bus unless an entry names another', async () => {
    const fake = fakeClient();
    const all = entries(12);
    all[11] = { ...all[11]!, EventBusName: 'other-bus' };
    expect(await new EventBridgeBus(fake.client, 'tasker-bus').publish(all)).toEqual({ failed: [] });
    expect(fake.inputs.map((input) => input.Entries?.length)).toEqual([10, 2]);
    expect(fake.inputs.flatMap((input) => input.Entries?.map((entry) => entry.EventBusName))).toEqual([
      ...Array(11).fill('tasker-bus'),
      'other-bus',
    ]);
    expect(fake.inputs.flatMap((input) => input.Entries?.map((entry) => entry.Detail))).toEqual(
      all.map((e) => e.Detail),
    );
  });

  it('starts a new batch before the entries would pass 256 KiB', async () => {
    const fake = fakeClient();
    await new EventBridgeBus(fake.client, 'bus').publish(entries(3, 100_000));
    expect(fake.inputs.map((input) => input.Entries?.length)).toEqual([2, 1]);
  });

  it('reports an entry over 256 KiB as EntryTooLarge without sending it', async () => {
    const fake = fakeClient();
    const [huge] = entries(1, 262_144);
    const outcome = await new EventBridgeBus(fake.client, 'bus').publish([huge!, ...entries(1)]);
    expect(outcome.failed).toEqual([expect.objectContaining({ entry: huge, code: 'EntryTooLarge' })]);
    expect(fake.inputs.map((input) => input.Entries?.length)).toEqual([1]);
  });
});

describe('EventBridgeBus.publish failure mapping', () => {
  it('returns the entries EventBridge failed, matched by position, with their error codes', async () => {
    const fake = fakeClient((input, call) =>
      call === 1
        ? {
            FailedEntryCount: 2,
            Entries: [
              { EventId: 'ok' },
              { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' },
              { ErrorCode: 'MalformedDetail' },
            ],
          }
        : allAccepted(input, call),
    );
    const all = entries(13);
    const outcome = await new EventBridgeBus(fake.client, 'bus').publish(all);
    expect(outcome.failed).toEqual([
      { entry: all[11], code: 'InternalFailure', message: 'try again' },
      { entry: all[12], code: 'MalformedDetail', message: 'MalformedDetail' },
    ]);
  });

  it('reports an entry with no result as failed when EventBridge says some failed', async () => {
    const fake = fakeClient(() => ({ FailedEntryCount: 1, Entries: [{ EventId: 'ok' }] }));
    const all = entries(2);
    const outcome = await new EventBridgeBus(fake.client, 'bus').publish(all);
    expect(outcome.failed).toEqual([expect.objectContaining({ entry: all[1], code: 'MissingResultEntry' })]);
  });

  it('reports every entry of a batch whose call failed with the error name, without throwing', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const fake = fakeClient((input, call) => (call === 0 ? throttled : allAccepted(input, call)));
    const all = entries(11);
    const outcome = await new EventBridgeBus(fake.client, 'bus').publish(all);
    expect(outcome.failed).toEqual(
      all.slice(0, 10).map((entry) => ({ entry, code: 'ThrottlingException', message: 'Rate exceeded' })),
    );
  });

  it('names a network failure by its system code', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const fake = fakeClient(() => refused);
    const outcome = await new EventBridgeBus(fake.client, 'bus').publish(entries(1));
    expect(outcome.failed.map((failure) => failure.code)).toEqual(['ECONNREFUSED']);
  });
});
