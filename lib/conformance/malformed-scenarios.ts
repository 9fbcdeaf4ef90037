import { randomUUID } from 'node:crypto';
import type { PoisonMessage } from '../contracts/poison-message.js';
import { buildDispatch, sendBody } from './dispatch-builder.js';
import { queueDepth } from './kit-resources.js';
import {
  CONFORMANCE_CALLABLES as C,
  mismatches,
  resultOf,
  waitFor,
  type Scenario,
  type ScenarioContext,
} from './scenario.js';

/** Scenarios on messages a worker cannot run: poison when nobody can be answered, invalid_dispatch when the ids are readable. */

async function poisoned(ctx: ScenarioContext, body: string, errorCode: string, what: string): Promise<string[]> {
  const messageId = await sendBody(ctx.sqs, ctx.resources.dispatch, body);
  const find = (): PoisonMessage | undefined => ctx.engine.poison.find((p) => p.source_message_id === messageId);
  if (!(await waitFor(() => find() !== undefined, 10_000)))
    return [`${what}: no poison message with source_message_id ${messageId} within 10 s`];
  const entry = find() as PoisonMessage;
  return mismatches(`${what}: poison message`, entry as unknown as Record<string, unknown>, {
    error_code: errorCode,
    original_body: body,
    source_queue: ctx.resources.dispatch,
  });
}

export const unparseableMessage: Scenario = {
  name: 'unparseable message (to the poison queue, unparseable_json, then deleted)',
  async run(ctx) {
    return poisoned(ctx, '{"schema_version": 1, "event_id": oops', 'unparseable_json', 'not JSON');
  },
};

export const unreadableIds: Scenario = {
  name: "unreadable ids (the schema's uuid pattern decides: poison, invalid_message)",
  async run(ctx) {
    const valid = buildDispatch(ctx.resources.namespace, { callable: C.echo });
    // Python's uuid.UUID() reads a hex string without hyphens; the schema's pattern does not.
    const hexOnly = { ...valid, event_id: randomUUID().replaceAll('-', '') };
    // A correlation_id, when present, must be a readable id too.
    const badCorrelation = { ...valid, event_id: randomUUID(), correlation_id: 'corr-1' };
    const noIds = { schema_version: 1, message_type: 'step_dispatch', hello: 'world' };
    const checks = await Promise.all([
      poisoned(ctx, JSON.stringify(hexOnly), 'invalid_message', 'event_id without hyphens'),
      poisoned(ctx, JSON.stringify(badCorrelation), 'invalid_message', 'correlation_id not a uuid'),
      poisoned(ctx, JSON.stringify(noIds), 'invalid_message', 'no ids'),
    ]);
    const answered = [hexOnly.event_id, badCorrelation.event_id].filter((id) => ctx.engine.resultsOf(id) > 0);
    return [
      ...checks.flat(),
      ...answered.map((id) => `event ${id} was answered with a result: its ids are unreadable`),
    ];
  },
};

export const invalidDispatch: Scenario = {
  name: 'invalid dispatch with readable ids (invalid_dispatch failure, not run, not poison)',
  async run(ctx) {
    const valid = buildDispatch(ctx.resources.namespace, { callable: C.echo });
    const broken = { ...valid, attempt: 0, timeout_ms: 'soon' };
    const messageId = await sendBody(ctx.sqs, ctx.resources.dispatch, JSON.stringify(broken));
    const result = await resultOf(ctx, valid.event_id, 10_000);
    if (typeof result === 'string') return [result];
    const error = result.status === 'failure' ? (result.error as unknown as Record<string, unknown>) : null;
    return [
      ...mismatches('error', error, { error_type: 'invalid_dispatch', retryable: false }),
      ...(ctx.engine.poison.some((p) => p.source_message_id === messageId)
        ? ['it was also put on the poison queue']
        : []),
    ];
  },
};

/** After the malformed scenarios: nothing of theirs is left on the dispatch queue. */
export async function dispatchQueueEmpty(ctx: ScenarioContext, timeoutMs: number): Promise<string[]> {
  const empty = await waitFor(async () => {
    const depth = await queueDepth(ctx.sqs, ctx.resources.dispatch);
    return depth.visible + depth.inFlight === 0;
  }, timeoutMs);
  return empty ? [] : ['messages are left on the dispatch queue (not deleted after their answer)'];
}
