import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { sendBody } from './dispatch-builder.js';
import { queueDepth } from './kit-resources.js';
import { dispatchQueueEmpty } from './malformed-scenarios.js';
import {
  CONFORMANCE_CALLABLES as C,
  dispatch,
  resultOf,
  sleep,
  waitFor,
  type Scenario,
  type ScenarioContext,
} from './scenario.js';

/** Scenarios on SQS delivery: the order of send and delete, redelivery, heartbeats and the shutdown drain. */

/** Creates the completion queue and starts reading it; idempotent. */
export async function completionQueueBack(ctx: ScenarioContext): Promise<void> {
  await ctx.resources.createCompletion();
  ctx.engine.readCompletion();
}

async function messagesOnDispatch(ctx: ScenarioContext): Promise<number> {
  const depth = await queueDepth(ctx.sqs, ctx.resources.dispatch);
  return depth.visible + depth.inFlight;
}

/**
 * Runs first, while the completion queue does not exist: the worker takes the message, its result send fails, so
 * the message must stay on the dispatch queue and no event may fire. Then the queue is created and the step must
 * be answered after all (by a retried send, a redelivery, or a timeout answer).
 */
export const resultBeforeDelete: Scenario = {
  name: 'result sent before delete (completion queue unavailable: message kept, no event, answered once it is back)',
  async run(ctx) {
    const message = await dispatch(ctx, {
      callable: C.echo,
      timeoutMs: 3_000,
      publishes: [{ name: 'conformance.succeeded', condition: 'success' }],
    });
    const taken = await waitFor(
      async () => !ctx.worker.running() || (await queueDepth(ctx.sqs, ctx.resources.dispatch)).visible === 0,
      20_000,
    );
    if (!ctx.worker.running()) return [`the worker exited (${await ctx.worker.exited}) before it took a message`];
    if (!taken) return ['the worker did not take the message within 20 s (is it running, on the right queue?)'];
    await sleep(2_500);
    const problems: string[] = [];
    if (ctx.engine.eventsOf(message.event_id).length > 0)
      problems.push('a domain event fired although the result could not be sent');
    if ((await messagesOnDispatch(ctx)) === 0)
      return [
        ...problems,
        'the dispatch message was deleted although its result could not be sent (delete before send): the step is lost',
      ];
    await completionQueueBack(ctx);
    const result = await resultOf(ctx, message.event_id, 15_000);
    if (typeof result === 'string') problems.push(`${result} after the completion queue came back`);
    return [...problems, ...(await dispatchQueueEmpty(ctx, 10_000))];
  },
};

/**
 * What a crash between send and delete leaves: the step's result is applied, and its dispatch message comes back.
 * The kit sends the identical message again after the result; the worker may run it again (its second result is
 * refused as a duplicate) or recognise the event_id as answered, but it must delete it, and its events must keep
 * their ids (consumers drop the repeat): no second applied outcome, no event under a new id.
 */
export const redeliveryAfterResult: Scenario = {
  name: 'crash after send, before delete (redelivered copy: duplicate refused, events not doubled, deleted)',
  async run(ctx) {
    const message = await dispatch(ctx, {
      callable: C.echo,
      publishes: [{ name: 'conformance.succeeded', condition: 'success' }],
    });
    const first = await resultOf(ctx, message.event_id, 10_000);
    if (typeof first === 'string') return [first];
    await waitFor(() => ctx.engine.eventsOf(message.event_id).length > 0, 5_000);
    await sendBody(ctx.sqs, ctx.resources.dispatch, JSON.stringify(message));
    const problems = await dispatchQueueEmpty(ctx, 10_000);
    await sleep(1_500);
    const duplicates = ctx.engine.duplicates.get(message.event_id) ?? [];
    if (duplicates.some((d) => d.event_id !== message.event_id))
      problems.push('a repeated result carries another event_id');
    const ids = new Set(ctx.engine.eventsOf(message.event_id).map((e) => e.envelope.event_id));
    if (ids.size !== 1) problems.push(`the redelivery published events under ${ids.size} distinct ids, expected 1`);
    return problems;
  },
};

/**
 * A handler runs three visibility timeouts: the message must stay invisible the whole time (heartbeats). The kit
 * looks at the queue every 300 ms; a message it can receive was given back to SQS while its handler still ran.
 */
export const heartbeat: Scenario = {
  name: 'heartbeat past the visibility timeout (message stays invisible, one result)',
  async run(ctx) {
    const visibilityMs = ctx.resources.visibilityTimeoutSeconds * 1000;
    const message = await dispatch(ctx, {
      callable: C.sleep,
      context: { ms: 3 * visibilityMs + 500 },
      timeoutMs: 20_000,
    });
    const problems: string[] = [];
    const taken = await waitFor(async () => (await queueDepth(ctx.sqs, ctx.resources.dispatch)).visible === 0, 20_000);
    if (!taken) return ['the worker did not take the message within 20 s'];
    while (!ctx.engine.applied.has(message.event_id) && problems.length === 0) {
      const seen = await ctx.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: ctx.resources.dispatch, VisibilityTimeout: 0, WaitTimeSeconds: 0 }),
      );
      if ((seen.Messages ?? []).length > 0)
        problems.push('the message became visible again while its handler ran (no heartbeat)');
      await sleep(300);
      if (Date.now() - Date.parse(message.dispatched_at) > 30_000) problems.push('no result within 30 s');
    }
    const result = await resultOf(ctx, message.event_id, 10_000);
    if (typeof result === 'string') return [...problems, result];
    if (result.status !== 'success') problems.push(`status ${result.status}: ${JSON.stringify(result.error)}`);
    await sleep(1_000);
    if (ctx.engine.resultsOf(message.event_id) > 1) problems.push('the step ran twice');
    return problems;
  },
};

/** Last: SIGTERM while a handler runs; the worker must finish it, answer it, and exit 0 within the drain. */
export const shutdownDrain: Scenario = {
  name: 'shutdown drain on SIGTERM (running handler finishes and is answered, exit 0)',
  async run(ctx) {
    const message = await dispatch(ctx, { callable: C.sleep, context: { ms: 2_500 }, timeoutMs: 20_000 });
    const taken = await waitFor(async () => (await queueDepth(ctx.sqs, ctx.resources.dispatch)).inFlight > 0, 20_000);
    if (!taken) return ['the worker did not take the message within 20 s'];
    await sleep(500);
    ctx.worker.signal('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<string>(
      (resolve) => (timer = setTimeout(() => resolve('still running after 20 s'), 20_000)),
    );
    const code = await Promise.race([ctx.worker.exited, late]);
    clearTimeout(timer);
    const problems = code === 0 ? [] : [`the worker exited with ${code}, expected 0`];
    const result = await resultOf(ctx, message.event_id, 3_000);
    if (typeof result === 'string') problems.push(`${result}: the running handler was not answered before exit`);
    else if (result.status !== 'success') problems.push(`status ${result.status}: ${JSON.stringify(result.error)}`);
    return problems;
  },
};
