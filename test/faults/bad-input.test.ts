import { randomUUID } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { poisonMessage, type PoisonMessage } from '../../lib/contracts/poison-message.js';
import { SQS_MAX_MESSAGE_BYTES } from '../../lib/contracts/schema-version.js';
import { redriveDomainEvents } from '../../lib/worker/redrive-domain-events.js';
import { buildTemplate } from '../helpers/template-builder.js';
import { chainContexts, FaultRuntime } from './support/fault-runtime.js';
import { CHAIN } from './support/workload.js';

/**
 * Bad input on every queue and at the front door, while good tasks run alongside. What is injected:
 * - dispatch queue: a truncated real dispatch message, text that is not JSON, JSON that is not an
 *   object, a message whose ids are of the wrong type, a body at the SQS size limit (all: poison
 *   queue with the reason and error_code); a message with readable ids but wrongly typed fields
 *   for an attempt that does not exist (answered with invalid_dispatch, refused by orchestration as
 *   unknown_event); a body over the SQS limit (refused by the queue: MessageTooLong);
 * - dispatch messages of real tasks rewritten on their way out with wrongly typed fields (their
 *   step fails permanently with invalid_dispatch);
 * - completion queue: a truncated real result, text that is not JSON, a result with wrongly typed
 *   fields, an unknown message_type, a body at the SQS size limit (poison); a well-formed result
 *   for an unknown event_id and a retry tick for an unknown task (acknowledged, nothing changes);
 * - domain-event dead-letter queue: unreadable and wrongly typed parked events (the redrive skips
 *   them and leaves them there);
 * - createTask: an unknown template, an unknown version, an invalid context, an oversized context,
 *   a malformed request (typed refusals, nothing written);
 * - a template whose step names a handler nobody registered (the step fails with handler_not_found).
 */

const SCENARIO = 'bad-input';
const GOOD = 60;
const MANGLED = 10;
const ORPHANS = 10;
const ORPHAN = buildTemplate({
  namespace: 'faults',
  name: 'orphan',
  steps: [
    {
      name: 'lost',
      callable: 'faults.nobody_registered_this',
      retry: { maxAttempts: 3 },
      events: [{ name: 'faults.lost_failed', condition: 'failure' }],
    },
  ],
});

let faults: FaultRuntime | undefined;

afterAll(async () => {
  await faults?.stop();
});

it('bad input gets a typed answer and lands where it should; good tasks are not disturbed', async () => {
  faults = await FaultRuntime.start({ templates: [CHAIN, ORPHAN] });
  const f = faults;
  const { dispatch, completion, poison, domainEventDlq } = {
    ...f.urls,
    dispatch: f.urls.dispatch as string,
    domainEventDlq: f.urls.domainEventDlq as string,
  };
  const samples: { dispatch?: string; result?: string } = {};
  f.queue.mangle = (url, body) => {
    if (url === dispatch && !body.includes('"mangle"')) samples.dispatch ??= body;
    if (url === completion && body.includes('"step_result"')) samples.result ??= body;
    return url === dispatch && body.includes('"mangle":"wrong_types"')
      ? JSON.stringify({ ...JSON.parse(body), timeout_ms: 'soon', attempt: 'first' })
      : body;
  };

  const refusals = await refusedRequests(f);
  const good = f.startTasks(chainContexts(GOOD, { flakyEvery: 7 }), CHAIN, 10);
  const mangled = f.startTasks(
    Array.from({ length: MANGLED }, (_, n) => ({ n, mangle: 'wrong_types', designed_to_fail: true })),
    CHAIN,
  );
  const orphans = f.startTasks(
    Array.from({ length: ORPHANS }, (_, n) => ({ n, designed_to_fail: true })),
    ORPHAN,
  );
  await Promise.all([good, mangled, orphans]);
  while (!samples.dispatch || !samples.result) await new Promise((resolve) => setTimeout(resolve, 50));

  const atLimit = (prefix: string) => prefix + 'x'.repeat(SQS_MAX_MESSAGE_BYTES - prefix.length - 16);
  const fakeIds = {
    event_id: randomUUID(),
    task_uuid: randomUUID(),
    step_uuid: randomUUID(),
    correlation_id: randomUUID(),
  };
  const dispatchJunk: Record<string, [string, string]> = {
    truncated: [samples.dispatch.slice(0, Math.floor(samples.dispatch.length / 2)), 'unparseable_json'],
    not_json: ['hello, dispatcher', 'unparseable_json'],
    array: ['[1, 2, 3]', 'invalid_message'],
    null: ['null', 'invalid_message'],
    ids_wrongly_typed: [
      JSON.stringify({ ...JSON.parse(samples.dispatch), event_id: 42, task_uuid: 'not-a-uuid' }),
      'invalid_message',
    ],
    at_size_limit: [atLimit('{"oversized": "'), 'unparseable_json'],
  };
  const completionJunk: Record<string, [string, string]> = {
    truncated: [samples.result.slice(0, Math.floor(samples.result.length / 2)), 'unparseable_json'],
    not_json: ['hello, orchestrator', 'unparseable_json'],
    wrongly_typed: [
      JSON.stringify({ ...JSON.parse(samples.result), status: 'maybe', event_id: 'not-a-uuid', attempt: 'two' }),
      'invalid_message',
    ],
    unknown_type: [JSON.stringify({ schema_version: 1, message_type: 'hello' }), 'invalid_message'],
    at_size_limit: [atLimit('{"message_type": "step_result", "x": "'), 'unparseable_json'],
  };
  const send = (url: string, bodies: string[]) =>
    f.runtime.transport.queue.send(
      url,
      bodies.map((body, i) => ({ id: `junk-${i}`, body })),
    );
  expect(
    (
      await send(
        dispatch,
        Object.values(dispatchJunk).map(([b]) => b),
      )
    ).failed,
  ).toEqual([]);
  expect(
    (
      await send(
        completion,
        Object.values(completionJunk).map(([b]) => b),
      )
    ).failed,
  ).toEqual([]);
  const tooLong = await send(dispatch, ['x'.repeat(SQS_MAX_MESSAGE_BYTES + 1)]);
  expect(tooLong.failed).toMatchObject([{ code: 'MessageTooLong', permanent: true }]);
  const wrongFields = { ...JSON.parse(samples.dispatch), ...fakeIds, timeout_ms: 'soon', handler: 'faults.a' };
  const unknownResult = { ...JSON.parse(samples.result), ...fakeIds, event_id: randomUUID() };
  const unknownTick = {
    schema_version: 1,
    message_type: 'retry_due',
    task_uuid: randomUUID(),
    due_at: new Date().toISOString(),
  };
  expect((await send(dispatch, [JSON.stringify(wrongFields)])).failed).toEqual([]);
  expect((await send(completion, [JSON.stringify(unknownResult), JSON.stringify(unknownTick)])).failed).toEqual([]);
  expect(
    (
      await send(domainEventDlq, [
        '{"parked": ',
        JSON.stringify({ schema_version: 1, message_type: 'parked_domain_event', error_code: 'nope', event_id: 7 }),
      ])
    ).failed,
  ).toEqual([]);

  const drain = await f.drain(120_000);
  expect(drain.drained).toBe(true);
  const redrive = await redriveDomainEvents(
    { queue: f.runtime.transport.queue, bus: f.runtime.orchestration.events, dlqUrl: domainEventDlq, logger: f.logger },
    { maxMessages: 100 },
  );

  const poisoned = f.memory.peekAll(poison).map((m) => poisonMessage.parse(JSON.parse(m.body)));
  const expectedPoison = Object.keys(dispatchJunk).length + Object.keys(completionJunk).length;
  const stepErrors = await failedStepErrors(f);
  await f.report(SCENARIO, {
    refused_requests: refusals.length,
    poisoned: poisoned.length,
    invalid_dispatch_steps: stepErrors.invalid_dispatch ?? 0,
    handler_not_found_steps: stepErrors.handler_not_found ?? 0,
    results_refused_unknown_event: f.logger
      .entries('step result refused')
      .filter((e) => e.fields.refusal === 'unknown_event').length,
    dlq_entries_skipped: redrive.skipped,
  });

  expect(refusals.map(([code]) => code)).toEqual([
    'unknown_template',
    'unknown_template',
    'invalid_context',
    'context_too_large',
    'invalid_request',
  ]);
  expect(refusals[2]![1], 'every context problem named').toEqual([
    expect.stringMatching(/^\/n .*integer/),
    expect.stringMatching(/^\/fail /),
  ]);
  for (const field of ['namespace', 'name', 'context', 'priority'])
    expect(
      refusals[4]![1].some((p) => p.startsWith(`${field}:`)),
      `the request problem of ${field} named`,
    ).toBe(true);
  expect(poisoned).toHaveLength(expectedPoison);
  for (const [name, [body, code]] of Object.entries(dispatchJunk))
    expectPoisoned(poisoned, `dispatch ${name}`, body, code, /dispatch$/);
  for (const [name, [body, code]] of Object.entries(completionJunk))
    expectPoisoned(poisoned, `completion ${name}`, body, code, /completion$/);
  expect(stepErrors).toEqual({ invalid_dispatch: MANGLED, handler_not_found: ORPHANS });
  const invalid = await f.db.query<{ message: string }>(
    `select last_error->>'message' as message from tasker.workflow_steps where last_error->>'error_type' = 'invalid_dispatch'`,
  );
  for (const { message } of invalid.rows)
    expect(message, 'the invalid_dispatch failure names the wrong fields').toMatch(
      /timeout_ms[\s\S]*attempt|attempt[\s\S]*timeout_ms/,
    );
  expect(
    f.logger
      .entries('step result refused')
      .filter((e) => e.fields.refusal === 'unknown_event')
      .map((e) => e.fields.event_id)
      .sort(),
  ).toEqual([fakeIds.event_id, unknownResult.event_id].sort());
  expect(redrive).toEqual({ redriven: 0, failed: 0, skipped: 2 });
  expect(f.memory.depth(domainEventDlq), 'unreadable parked events stay for an operator').toBe(2);
  expect(
    f.memory.depth(f.urls.dispatchDlq as string) + f.memory.depth(f.urls.completionDlq as string),
    'no redrive to the dead-letter queues',
  ).toBe(0);
});

/** Requests createTask must refuse, with their code and the problems they name. */
async function refusedRequests(f: FaultRuntime): Promise<Array<[string, readonly string[]]>> {
  const base = { namespace: CHAIN.namespace, name: CHAIN.name, identity_strategy: 'always_unique' as const };
  const requests = [
    { ...base, name: 'no_such_template', context: { n: 1 } },
    { ...base, version: '9.9.9', context: { n: 1 } },
    { ...base, context: { n: 'one', fail: 'z' } },
    { ...base, context: { n: 1, blob: 'x'.repeat(70_000) } },
    { namespace: 42, name: '', context: 'not an object', priority: 'high' } as never,
  ];
  const out: Array<[string, readonly string[]]> = [];
  for (const request of requests) {
    const result = await f.runtime.createTask(request);
    if (result.ok) throw new Error(`accepted a bad request: ${JSON.stringify(request).slice(0, 200)}`);
    expect(result.message.length).toBeGreaterThan(10);
    out.push([result.code, result.problems]);
  }
  return out;
}

function expectPoisoned(poisoned: PoisonMessage[], what: string, body: string, code: string, source: RegExp): void {
  const found = poisoned.find(
    (p) =>
      body.startsWith(p.original_body) &&
      p.original_body.length >= Math.min(body.length, 1000) &&
      source.test(p.source_queue),
  );
  expect(found, `${what} is on the poison queue`).toBeDefined();
  expect(found!.error_code, `${what}: error_code`).toBe(code);
  expect(found!.reason.length, `${what}: a reason`).toBeGreaterThan(10);
}

/** Error types of the steps that failed for good, counted. */
async function failedStepErrors(f: FaultRuntime): Promise<Record<string, number>> {
  const { rows } = await f.db.query<{ error_type: string; n: number }>(
    `select last_error->>'error_type' as error_type, count(*)::int as n from tasker.workflow_steps
      where state = 'error' group by 1 order by 1`,
  );
  return Object.fromEntries(rows.map((r) => [r.error_type, r.n]));
}
