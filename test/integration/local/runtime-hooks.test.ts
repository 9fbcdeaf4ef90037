import { afterAll, expect, it } from 'vitest';
import type { EventBus } from '../../../lib/ports/event-bus.js';
import type { MessageQueue } from '../../../lib/ports/message-queue.js';
import { startEmbeddedRuntime, type EmbeddedRuntime } from '../../../lib/local/embedded-runtime.js';
import type { SqsLambdaHandler } from '../../../lib/local/sqs-lambda-runner.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';
import { SINGLE, Workload } from '../../faults/support/workload.js';

/**
 * Not a fault scenario: the hooks the suite injects faults through (startEmbeddedRuntime's
 * `decorate` and `limits` options) are applied where the suite relies on them: the decorated
 * queue and bus serve the runners, both Lambdas and orchestration; the decorated functions are
 * what the runners invoke; the limits reach orchestration (the sweeper and createTask).
 */

let database: TestDatabase | undefined;
let runtime: EmbeddedRuntime | undefined;

afterAll(async () => {
  await runtime?.stop();
  await database?.close();
});

it('decorators and limits are applied to the queues, the bus, both functions and orchestration', async () => {
  database = process.env.DATABASE_URL ? await createTestDatabase({ poolSize: 2 }) : undefined;
  const seen = {
    sends: new Set<string>(),
    receives: new Set<string>(),
    deletes: 0,
    publishes: 0,
    stepHandler: 0,
    completion: 0,
  };
  const queue = (q: MessageQueue): MessageQueue => ({
    send: (url, messages) => (seen.sends.add(url), q.send(url, messages)),
    receive: async (url, options) => {
      const messages = await q.receive(url, options);
      if (messages.length > 0) seen.receives.add(url);
      return messages;
    },
    delete: (url, handle) => ((seen.deletes += 1), q.delete(url, handle)),
    changeVisibility: (url, handle, seconds) => q.changeVisibility(url, handle, seconds),
  });
  const bus = (b: EventBus): EventBus => ({
    publish: (entries) => ((seen.publishes += entries.length), b.publish(entries)),
  });
  const count =
    (key: 'stepHandler' | 'completion') =>
    (h: SqsLambdaHandler): SqsLambdaHandler =>
    (event, context) => ((seen[key] += 1), h(event, context));
  runtime = await startEmbeddedRuntime({
    templates: [SINGLE],
    handlers: new Workload().handlers(),
    databaseUrl: database?.connectionString ?? null,
    transport: 'memory',
    env: {},
    limits: { outboxResendAfterMs: 1_234 },
    decorate: { queue, bus, stepHandler: count('stepHandler'), completion: count('completion') },
  });
  expect(runtime.orchestration.limits).toEqual({ outboxResendAfterMs: 1_234 });
  const created = await runtime.createTask({
    namespace: 'faults',
    name: 'single',
    context: { n: 1 },
    identity_strategy: 'always_unique',
  });
  if (!created.ok) throw new Error(created.message);
  expect((await runtime.waitForTask(created.taskUuid, { timeoutMs: 15_000 })).state).toBe('complete');
  const urls = runtime.transport.urls;
  expect([...seen.sends].sort()).toEqual([urls.completion, urls.dispatch].sort());
  expect([...seen.receives].sort()).toEqual([urls.completion, urls.dispatch].sort());
  expect(seen.deletes).toBeGreaterThanOrEqual(2);
  expect(seen.publishes, 'the domain event and the lifecycle event').toBe(2);
  expect([seen.stepHandler, seen.completion]).toEqual([1, 1]);
});
