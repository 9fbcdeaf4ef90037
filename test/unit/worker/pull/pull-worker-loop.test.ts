import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { stepExecutionResult } from '../../../../lib/contracts/step-execution-result.js';
import type { StepHandlerInput } from '../../../../lib/worker/handler-api.js';
import { PullWorkerConfigError } from '../../../../lib/worker/pull/pull-worker-config.js';
import { PullWorkerLoop } from '../../../../lib/worker/pull/pull-worker-loop.js';
import { SHIPMENT } from '../../../helpers/dispatch-fixtures.js';
import { deferred, pullKit, stepMessage, timerClock, useFakeTime, type PullKit } from './pull-kit.js';

const SHIP = 'ecommerce.ship_order';

beforeEach(useFakeTime);
afterEach(() => vi.useRealTimers());

function loopOf(kit: PullKit, handler: (input: StepHandlerInput) => unknown, concurrency = 2): PullWorkerLoop {
  return new PullWorkerLoop({
    worker: kit.worker,
    handlers: { [SHIP]: handler },
    concurrency,
    clock: timerClock,
    logger: kit.logger,
  });
}

/** Lets the loop's promises and the fake timers run for `ms`. */
async function run(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}

describe('PullWorkerLoop', () => {
  it('runs each polled event through its handler and completes it', async () => {
    const kit = pullKit();
    const loop = loopOf(kit, (input) => ({ ...SHIPMENT, order_id: input.context.order ? 'ORD-10042' : 'none' }));
    await kit.enqueue(stepMessage(1), stepMessage(2));
    loop.start();
    await run(1_000);
    expect(
      kit
        .results()
        .map((r) => stepExecutionResult.parse(r))
        .map((r) => [r.event_id, r.status])
        .sort(),
    ).toEqual([stepMessage(1), stepMessage(2)].map((m) => [m.event_id, 'success']).sort());
    expect(kit.memory.peekAll(kit.dispatchUrl)).toEqual([]);
    await loop.drain(1_000);
  });

  it('never runs more handlers at once than its concurrency, and runs them all', async () => {
    const kit = pullKit({ config: { receiveBatchSize: 3 } });
    let running = 0;
    let most = 0;
    const loop = loopOf(
      kit,
      async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 500));
        running -= 1;
        return SHIPMENT;
      },
      2,
    );
    await kit.enqueue(...[1, 2, 3, 4, 5, 6, 7].map((n) => stepMessage(n)));
    loop.start();
    await run(300);
    expect(running).toBe(2);
    await run(5_000);
    expect(most).toBe(2);
    expect(kit.results()).toHaveLength(7);
    await loop.drain(1_000);
  });

  it('a handler past its deadline yields exactly one handler_timeout result', async () => {
    const kit = pullKit();
    const loop = loopOf(kit, () => new Promise(() => undefined));
    await kit.enqueue(stepMessage(1, { timeout_ms: 2_000 }));
    loop.start();
    await run(5_000);
    expect(kit.results()).toMatchObject([{ status: 'failure', error: { error_type: 'handler_timeout' } }]);
    expect(kit.memory.peekAll(kit.dispatchUrl)).toEqual([]);
    await loop.drain(100);
  });

  it('drain: a handler finishing within the drain timeout is completed; an unfinished one is left undeleted and redelivered after its visibility timeout', async () => {
    const kit = pullKit({ config: { visibilityTimeoutSeconds: 5, completionTimeoutMs: 120_000 } });
    const quick = deferred<unknown>();
    const slow = deferred<unknown>();
    const gates: Record<string, Promise<unknown>> = {
      [stepMessage(1).event_id]: quick.promise,
      [stepMessage(2).event_id]: slow.promise,
    };
    const loop = loopOf(kit, (input) => gates[input.step.eventId]);
    await kit.enqueue(stepMessage(1, { timeout_ms: 120_000 }), stepMessage(2, { timeout_ms: 120_000 }));
    loop.start();
    await run(100);
    expect(loop.inFlight()).toHaveLength(2);
    setTimeout(() => quick.resolve(SHIPMENT), 1_000);
    const draining = loop.drain(3_000);
    await run(3_000);
    const report = await draining;
    expect(report).toEqual({ drained: false, finished: 1, unfinished: [stepMessage(2).event_id] });
    expect(kit.results().map((r) => r.event_id)).toEqual([stepMessage(1).event_id]);
    const left = () => kit.memory.peekAll(kit.dispatchUrl);
    expect(left()).toMatchObject([
      { state: 'in_flight', body: JSON.stringify(stepMessage(2, { timeout_ms: 120_000 })) },
    ]);
    await run(5_000);
    expect(left()).toMatchObject([{ state: 'visible' }]);
    const redelivered = await kit.memory.receive(kit.dispatchUrl, { maxMessages: 1, waitTimeSeconds: 0 });
    expect(redelivered).toMatchObject([{ receiveCount: 2 }]);
    slow.resolve(SHIPMENT);
    await run(10);
    expect(kit.results()).toHaveLength(1);
  });

  it('drain stops polling: a message sent afterwards stays on the queue', async () => {
    const kit = pullKit();
    const loop = loopOf(kit, () => SHIPMENT);
    loop.start();
    await run(500);
    const report = await loop.drain(1_000);
    expect(report).toEqual({ drained: true, finished: 0, unfinished: [] });
    await kit.enqueue(stepMessage(9));
    await run(2_000);
    expect(kit.memory.peekAll(kit.dispatchUrl)).toMatchObject([{ state: 'visible', receiveCount: 0 }]);
    expect(kit.results()).toEqual([]);
  });

  it('pauses between polls that come back empty at once, instead of spinning', async () => {
    const kit = pullKit();
    const poll = vi.spyOn(kit.worker, 'poll');
    const loop = new PullWorkerLoop({
      worker: kit.worker,
      handlers: {},
      concurrency: 1,
      clock: timerClock,
      logger: kit.logger,
      idlePauseMs: 250,
    });
    loop.start();
    await run(1_000);
    expect(poll.mock.calls.length).toBeGreaterThanOrEqual(4);
    expect(poll.mock.calls.length).toBeLessThanOrEqual(5);
    await loop.drain(100);
  });

  it('answers an event whose callable has no handler with handler_not_found', async () => {
    const kit = pullKit();
    const loop = new PullWorkerLoop({
      worker: kit.worker,
      handlers: {},
      concurrency: 1,
      clock: timerClock,
      logger: kit.logger,
    });
    await kit.enqueue(stepMessage(1));
    loop.start();
    await run(100);
    expect(kit.results()).toMatchObject([
      { status: 'failure', error: { error_type: 'handler_not_found', retryable: false } },
    ]);
    await loop.drain(100);
  });

  it('refuses a concurrency below 1', () => {
    const kit = pullKit();
    expect(() => loopOf(kit, () => null, 0)).toThrow(PullWorkerConfigError);
  });
});
