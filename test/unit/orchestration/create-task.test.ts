import { describe, expect, it } from 'vitest';
import { createTask } from '../../../lib/orchestration/create-task.js';
import type { OrchestrationDeps } from '../../../lib/orchestration/orchestration-deps.js';
import { staticRouting } from '../../../lib/orchestration/queue-routing.js';
import { FakeEventBus } from '../../helpers/fake-event-bus.js';
import { FakeQueueSender } from '../../helpers/fake-queue-sender.js';
import { fakeStore } from '../../helpers/fake-store.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';
import { buildTemplate } from '../../helpers/template-builder.js';

/** `depth` arrays, one inside the other. */
function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i += 1) value = [value];
  return value;
}

const template = buildTemplate({
  namespace: 'payments',
  name: 'charge',
  steps: [{ name: 'a' }],
  inputSchema: { type: 'object', required: ['amount'], properties: { amount: { type: 'number' } } },
});

function deps(
  routing = staticRouting({ namespaceQueueUrls: { payments: 'q://payments' }, completionQueueUrl: 'q://c' }),
) {
  const store = fakeStore({
    findTemplate: async (ns, name) => (ns === 'payments' && name === 'charge' ? template : null),
  });
  const d: OrchestrationDeps = {
    store,
    queues: new FakeQueueSender(),
    events: new FakeEventBus(),
    logger: new RecordingLogger(),
    routing,
    clock: { now: () => new Date() },
    random: { next: () => 0.5 },
  };
  return { d, store };
}

describe('createTask refusals write nothing', () => {
  it('refuses a namespace with no worker pool at creation instead of losing the message in a queue', async () => {
    const { d, store } = deps(
      staticRouting({ namespaceQueueUrls: { other: 'q://other' }, completionQueueUrl: 'q://c' }),
    );
    expect(await createTask(d, { namespace: 'payments', name: 'charge', context: { amount: 1 } })).toMatchObject({
      ok: false,
      code: 'no_worker_pool',
      message: expect.stringContaining("'payments'"),
    });
    expect(store.createTask).not.toHaveBeenCalled();
  });

  it('refuses a context that breaks the input schema', async () => {
    const { d, store } = deps();
    const result = await createTask(d, { namespace: 'payments', name: 'charge', context: { amount: 'ten' } });
    expect(result).toMatchObject({ ok: false, code: 'invalid_context', problems: ['/amount must be number'] });
    expect(store.createTask).not.toHaveBeenCalled();
  });

  it.each([
    [
      'a string cut inside an emoji',
      { amount: 1, title: 'Great product 😀'.slice(0, 15) },
      /^title holds a lone UTF-16 surrogate/,
    ],
    [
      'U+0000 in a nested key',
      { amount: 1, order: { 'bad\u0000key': 1 } },
      /^the key at order\["bad\\u0000key"\] holds the character U\+0000/,
    ],
    ['NaN, which JSON would write as null', { amount: Number.NaN }, /^amount is NaN/],
    [
      'nesting deeper than JSON.stringify can go',
      { amount: 1, deep: nested(6_000) },
      /^deep\[0\]\S* is nested deeper than 100 levels/,
    ],
  ])(
    'refuses a context PostgreSQL cannot store (%s) as invalid_context naming the place, before reading anything',
    async (_label, context, problem) => {
      const { d, store } = deps();
      const result = await createTask(d, { namespace: 'payments', name: 'charge', context });
      expect(result).toMatchObject({
        ok: false,
        code: 'invalid_context',
        message: expect.stringMatching(/^the task context cannot be stored: /),
        problems: [expect.stringMatching(problem)],
      });
      expect(store.findTemplate).not.toHaveBeenCalled();
      expect(store.createTask).not.toHaveBeenCalled();
    },
  );

  it('refuses a request field PostgreSQL cannot store as invalid_request naming the field', async () => {
    const { d, store } = deps();
    const result = await createTask(d, {
      namespace: 'payments',
      name: 'charge',
      context: { amount: 1 },
      identity_strategy: 'caller_provided',
      idempotency_key: 'order\u00001',
    });
    expect(result).toMatchObject({
      ok: false,
      code: 'invalid_request',
      problems: [expect.stringMatching(/^idempotency_key holds the character U\+0000/)],
    });
    expect(store.createTask).not.toHaveBeenCalled();
  });

  it('refuses an unknown template and a malformed request', async () => {
    const { d, store } = deps();
    expect(await createTask(d, { namespace: 'payments', name: 'refund' })).toMatchObject({
      ok: false,
      code: 'unknown_template',
    });
    expect(
      await createTask(d, { namespace: 'payments', name: 'charge', identity_strategy: 'sometimes' } as never),
    ).toMatchObject({ ok: false, code: 'invalid_request', problems: [expect.stringContaining('identity_strategy')] });
    expect(store.createTask).not.toHaveBeenCalled();
  });
});
