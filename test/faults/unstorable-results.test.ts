import { afterAll, expect, it } from 'vitest';
import { poisonMessage } from '../../lib/contracts/poison-message.js';
import type { StepDispatchMessage } from '../../lib/contracts/step-dispatch-message.js';
import type { HandlerMap } from '../../lib/worker/handler-api.js';
import { PermanentError } from '../../lib/worker/errors.js';
import { buildTemplate } from '../helpers/template-builder.js';
import { chainContexts, FaultRuntime } from './support/fault-runtime.js';
import { foreignWorker, rawResultBody, type RawParts } from './support/foreign-worker.js';
import { CHAIN, Workload } from './support/workload.js';

/**
 * Results that JSON carries but PostgreSQL's jsonb refuses, and contexts of the same kind. What is
 * injected:
 * - our handlers (the real step-handler Lambda) return a string cut inside an emoji (a lone
 *   surrogate), U+0000 in a value and in a key, values nested 150 and 6,000 levels deep and
 *   Infinity, and throw an error whose message holds U+0000; one returns the whole emoji (fine);
 * - a foreign worker answers its steps with completion bodies it writes as text, straight onto
 *   the completion queue (the worker's check never sees them): a `1e400` literal, an escaped lone
 *   surrogate, U+0000 in a key, 5,000 levels of nesting, U+0000 in a failure's message, and two
 *   the completion function's check leaves to the database (a lone surrogate in `worker.worker_id`,
 *   U+0000 in `step_name`), which PostgreSQL refuses by SQLSTATE;
 * - createTask with contexts of each kind, and a request whose idempotency key holds U+0000.
 * Every one must end in a typed outcome on its first delivery: the step failed with
 * `result_not_storable` naming the place (or the SQLSTATE), no success event for a result that was
 * not applied, nothing redelivered to the dead-letter queues, no attempt left to the sweeper.
 */

const SCENARIO = 'unstorable-results';
const PER_KIND = 4;
const CUT = 'Great product 😀'.slice(0, 15);
const EVENTS = [
  { name: 'faults.produced', condition: 'success' as const },
  { name: 'faults.produce_failed', condition: 'failure' as const },
];
const step = (callable: string) => ({
  name: 'produce',
  callable,
  retry: { maxAttempts: 2 },
  timeoutSeconds: 5,
  events: EVENTS,
});
const OURS_TEMPLATE = buildTemplate({ namespace: 'faults', name: 'unstorable', steps: [step('faults.produce')] });
const FOREIGN_TEMPLATE = buildTemplate({ namespace: 'faults', name: 'foreign', steps: [step('faults.foreign')] });

/** What our handler returns (or throws) per kind, and the error code the step must end with. */
const OURS: Record<string, { make: () => unknown; code: string; path?: string }> = {
  lone_surrogate: { make: () => ({ title: CUT }), code: 'lone_surrogate', path: 'title' },
  nul_in_value: { make: () => ({ items: [{ note: 'a\u0000b' }] }), code: 'nul_character', path: 'items[0].note' },
  nul_in_key: { make: () => ({ 'bad\u0000key': 1 }), code: 'nul_character', path: '["bad\\u0000key"]' },
  nested_150: { make: () => nested(150), code: 'too_deep' },
  nested_6000: { make: () => nested(6_000), code: 'too_deep' },
  infinity: { make: () => ({ ratio: 1 / 0 }), code: 'non_finite_number', path: 'ratio' },
};

/**
 * What the foreign worker writes per kind, the code the step must end with (a SQLSTATE when the
 * database refused it) and what the reason on the poison queue says.
 */
const FOREIGN: Record<string, { raw: RawParts; code: string; says: RegExp }> = {
  number_1e400: {
    raw: { result: '{"ratio":1e400}' },
    code: 'non_finite_number',
    says: /^the result cannot be stored: ratio is Infinity/,
  },
  lone_surrogate: {
    raw: { result: '{"title":"Great product \\ud83d"}' },
    code: 'lone_surrogate',
    says: /^the result cannot be stored: title holds a lone UTF-16 surrogate/,
  },
  nul_in_key: {
    raw: { result: '{"bad\\u0000key":1}' },
    code: 'nul_character',
    says: /^the result cannot be stored: the key at \["bad\\u0000key"\] holds the character U\+0000/,
  },
  nested_5000: {
    raw: { result: '['.repeat(5_000) + ']'.repeat(5_000) },
    code: 'too_deep',
    says: /^the result cannot be stored: \[0\]\S* is nested deeper than 100 levels/,
  },
  nul_in_error: {
    raw: { status: 'failure', errorMessage: '"declined \\u0000"' },
    code: 'nul_character',
    says: /^the error cannot be stored: message holds the character U\+0000/,
  },
  surrogate_in_worker_id: {
    raw: { workerId: '"host-\\udc00"' },
    code: '22P02',
    says: /^PostgreSQL refused the step result \(SQLSTATE 22P02: /,
  },
  nul_in_step_name: {
    raw: { stepName: '"produce\\u0000"' },
    code: '22P05',
    says: /^PostgreSQL refused the step result \(SQLSTATE 22P05: /,
  },
};

let faults: FaultRuntime | undefined;

afterAll(async () => {
  await faults?.stop();
});

it('results and contexts jsonb refuses end typed on their first delivery, with no success event', async () => {
  const runs = new Map<string, number>();
  const sentRaw = new Map<string, string>();
  const produce: HandlerMap[string] = async (input) => {
    const key = `${input.step.stepUuid}#${input.attempt}`;
    runs.set(key, (runs.get(key) ?? 0) + 1);
    const kind = String(input.context.kind);
    if (kind === 'whole_emoji') return { title: 'Great product 😀' };
    if (kind === 'thrown_nul') throw new PermanentError('declined \u0000 by the bank');
    return OURS[kind]!.make();
  };
  const answer = (m: StepDispatchMessage) => {
    const body = rawResultBody(m, FOREIGN[String(m.task_context.kind)]!.raw);
    sentRaw.set(body, String(m.task_context.kind));
    return body;
  };
  const send = async (body: string) =>
    (await faults!.runtime.transport.queue.send(faults!.urls.completion, [{ id: 'raw', body }])).failed.length === 0;
  const workload = new Workload();
  faults = await FaultRuntime.start({
    templates: [CHAIN, OURS_TEMPLATE, FOREIGN_TEMPLATE],
    workload,
    handlers: { ...workload.handlers(), 'faults.produce': produce },
    stepHandler: foreignWorker('faults.foreign', answer, send),
  });
  const f = faults;
  const refusals = await refusedRequests(f);
  const kinds = (names: string[]) =>
    names.flatMap((kind) =>
      Array.from({ length: PER_KIND }, (_, n) => ({ kind, n, designed_to_fail: kind !== 'whole_emoji' })),
    );
  await Promise.all([
    f.startTasks(chainContexts(40, { failEvery: 10, flakyEvery: 7 }), CHAIN, 10),
    f.startTasks(kinds([...Object.keys(OURS), 'thrown_nul', 'whole_emoji']), OURS_TEMPLATE, 10),
    f.startTasks(kinds(Object.keys(FOREIGN)), FOREIGN_TEMPLATE, 10),
  ]);
  const drain = await f.drain(120_000);

  const steps = await producedSteps(f);
  const poisoned = f.memory.peekAll(f.urls.poison).map((m) => poisonMessage.parse(JSON.parse(m.body)));
  const successEvents = f.ledger.events.filter((e) => e.envelope.event_name === 'faults.produced');
  const timedOut = await f.db.query<{ n: number }>(
    `select count(*)::int as n from tasker.step_dispatches where status = 'timed_out'`,
  );
  const dlq = f.memory.depth(f.urls.dispatchDlq as string) + f.memory.depth(f.urls.completionDlq as string);
  const byWorker = steps.filter(
    (s) => s.error_type === 'result_not_storable' && s.worker_kind !== 'orchestration',
  ).length;
  const byDatabase = steps.filter(
    (s) => s.worker_kind === 'orchestration' && /^[0-9A-Z]{5}$/.test(s.code ?? ''),
  ).length;
  await f.report(SCENARIO, {
    drain_ms: drain.ms,
    requests_refused: refusals.filter(([code]) => code.startsWith('invalid_')).length,
    refused_by_worker: byWorker,
    refused_by_completion_check: steps.filter((s) => s.worker_kind === 'orchestration').length - byDatabase,
    refused_by_database: byDatabase,
    poisoned: poisoned.length,
    completion_redeliveries: f.queue.stats.redelivered.get(f.urls.completion) ?? 0,
    attempts_timed_out: timedOut.rows[0]!.n,
    handler_runs: [...runs.values()].reduce((a, b) => a + b, 0),
    success_events_not_applied: successEvents.filter((e) =>
      steps.some((s) => s.task_uuid === e.envelope.metadata.task_uuid && s.state !== 'complete'),
    ).length,
    dlq,
  });

  expect(drain.drained).toBe(true);
  expect(refusals, 'each unstorable context refused, typed, naming the place').toEqual([
    ['invalid_context', expect.stringMatching(/^title holds a lone UTF-16 surrogate/)],
    ['invalid_context', expect.stringMatching(/^the key at order\["bad\\u0000key"\] holds the character U\+0000/)],
    ['invalid_context', expect.stringMatching(/^deep\[0\]\[0\]\S*… is nested deeper than 100 levels/)],
    ['invalid_context', expect.stringMatching(/^deep\[0\]\[0\]\S*… is nested deeper than 100 levels/)],
    ['invalid_context', expect.stringMatching(/^ratio is NaN/)],
    ['invalid_request', expect.stringMatching(/^idempotency_key holds the character U\+0000/)],
  ]);
  const ours = steps.filter((s) => s.callable === 'faults.produce');
  const foreign = steps.filter((s) => s.callable === 'faults.foreign');
  for (const [kind, { code, path }] of Object.entries(OURS)) {
    const ofKind = ours.filter((x) => x.kind === kind);
    expect(ofKind).toHaveLength(PER_KIND);
    for (const s of ofKind) {
      expect(s, `${kind}: failed by the worker with result_not_storable on its only attempt`).toMatchObject({
        state: 'error',
        attempts: 1,
        error_type: 'result_not_storable',
        code,
      });
      if (path) expect(s.message, `${kind}: the message names the place`).toContain(`${path} `);
    }
  }
  for (const s of ours.filter((x) => x.kind === 'thrown_nul')) {
    expect(s, 'a thrown message with U+0000 is stored with U+FFFD in its place').toMatchObject({
      state: 'error',
      attempts: 1,
      error_type: 'handler_error',
      message: 'declined \uFFFD by the bank',
    });
  }
  for (const s of ours.filter((x) => x.kind === 'whole_emoji'))
    expect(s, 'a whole emoji is stored').toMatchObject({ state: 'complete', title: 'Great product 😀' });
  for (const [kind, { code }] of Object.entries(FOREIGN)) {
    const ofKind = foreign.filter((x) => x.kind === kind);
    expect(ofKind).toHaveLength(PER_KIND);
    for (const s of ofKind)
      expect(s, `foreign ${kind}: failed by orchestration with result_not_storable`).toMatchObject({
        state: 'error',
        attempts: 1,
        error_type: 'result_not_storable',
        code,
        worker_kind: 'orchestration',
      });
  }
  expect(poisoned, 'each foreign body kept on the poison queue once, with the reason').toHaveLength(sentRaw.size);
  expect(poisoned.map((p) => p.original_body).sort()).toEqual([...sentRaw.keys()].sort());
  for (const p of poisoned)
    expect(p, sentRaw.get(p.original_body)).toMatchObject({
      error_code: 'result_not_storable',
      reason: expect.stringMatching(FOREIGN[sentRaw.get(p.original_body)!]!.says),
    });
  expect(
    successEvents.map((e) => e.envelope.metadata.task_uuid).sort(),
    'success events only for the results that were stored',
  ).toEqual(
    steps
      .filter((s) => s.kind === 'whole_emoji')
      .map((s) => s.task_uuid)
      .sort(),
  );
  expect(f.ledger.events.filter((e) => e.envelope.event_name === 'faults.produce_failed')).toHaveLength(
    (Object.keys(OURS).length + 1) * PER_KIND,
  );
  expect(timedOut.rows[0]!.n, 'no attempt was left to the sweeper').toBe(0);
  expect(
    [...runs.values()].every((n) => n === 1),
    'each attempt ran its handler once',
  ).toBe(true);
  expect(dlq, 'nothing cycled to a dead-letter queue').toBe(0);
});

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i += 1) value = [value];
  return value;
}

/** What createTask answered each request that must be refused: its code and first problem (`threw` or `accepted` fail the scenario). */
async function refusedRequests(f: FaultRuntime): Promise<Array<[string, string]>> {
  const base = {
    namespace: OURS_TEMPLATE.namespace,
    name: OURS_TEMPLATE.name,
    identity_strategy: 'always_unique' as const,
  };
  const requests = [
    { ...base, context: { title: CUT } },
    { ...base, context: { order: { 'bad\u0000key': 1 } } },
    { ...base, context: { deep: nested(150) } },
    { ...base, context: { deep: nested(6_000) } },
    { ...base, context: { ratio: Number.NaN } },
    {
      ...base,
      identity_strategy: 'caller_provided' as const,
      idempotency_key: 'order\u00001',
      context: { kind: 'whole_emoji' },
    },
  ];
  const out: Array<[string, string]> = [];
  for (const request of requests) {
    const result = await f.runtime.createTask(request).catch((error: unknown) => ({ ok: 'threw' as const, error }));
    if (result.ok === 'threw') out.push(['threw', String(result.error).slice(0, 200)]);
    else if (result.ok) out.push(['accepted', result.taskUuid]);
    else out.push([result.code, result.problems[0] ?? result.message]);
  }
  return out;
}

interface ProducedStep {
  readonly task_uuid: string;
  readonly kind: string;
  readonly callable: string;
  readonly state: string;
  readonly attempts: number;
  readonly error_type: string | null;
  readonly code: string | null;
  readonly message: string | null;
  readonly title: string | null;
  readonly worker_kind: string | null;
}

/** The `produce` step of every task of the two templates, with its error and the kind of worker whose result was applied. */
async function producedSteps(f: FaultRuntime): Promise<ProducedStep[]> {
  const { rows } = await f.db.query<ProducedStep>(
    `select t.task_uuid::text, t.context->>'kind' as kind, s.handler_callable as callable, s.state, s.attempts, s.last_error->>'error_type' as error_type,
            s.last_error->>'code' as code, s.last_error->>'message' as message, s.results->>'title' as title,
            (select x.metadata->'worker'->>'kind' from tasker.workflow_step_transitions x
              where x.step_uuid = s.step_uuid and x.to_state in ('enqueued_for_orchestration', 'enqueued_as_error_for_orchestration')
              order by x.sort_key desc limit 1) as worker_kind
       from tasker.workflow_steps s join tasker.tasks t using (task_uuid)
      where s.name = 'produce'`,
  );
  return rows;
}
