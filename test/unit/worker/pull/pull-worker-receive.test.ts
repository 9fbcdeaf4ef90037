import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { poisonMessage } from '../../../../lib/contracts/poison-message.js';
import { stepExecutionResult } from '../../../../lib/contracts/step-execution-result.js';
import { PullWorkerConfigError } from '../../../../lib/worker/pull/pull-worker-config.js';
import { QUEUES } from '../../../helpers/dispatch-fixtures.js';
import { SHIPPED, START, bind, pullKit, stepMessage, useFakeTime } from './pull-kit.js';

const START_ISO = new Date(START).toISOString();

beforeEach(useFakeTime);
afterEach(() => vi.useRealTimers());

describe('PullWorker.poll', () => {
  it('returns null at once on an empty queue when the wait is 0 s', async () => {
    const kit = pullKit();
    expect(await kit.worker.poll()).toBeNull();
    await kit.worker.close();
  });

  it('waits at most its short wait (1 s) on an empty queue, then returns null', async () => {
    const kit = pullKit({ config: { pollWaitSeconds: 1 } });
    let settled: unknown = 'pending';
    const polling = kit.worker.poll().then((event) => (settled = event));
    await vi.advanceTimersByTimeAsync(999);
    expect(settled).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    await polling;
    expect(settled).toBeNull();
    await kit.worker.close();
  });

  it('refuses a wait longer than 1 s', () => {
    expect(() => pullKit({ config: { pollWaitSeconds: 2 } })).toThrow(PullWorkerConfigError);
  });

  it('returns the event with event_id and the task, step and correlation ids at the top level, and the full dispatch message', async () => {
    const kit = pullKit();
    const message = stepMessage(1);
    await kit.enqueue(message);
    const event = await kit.worker.poll();
    expect(event).toMatchObject({
      event_id: message.event_id,
      task_uuid: message.task_uuid,
      step_uuid: message.step_uuid,
      correlation_id: message.correlation_id,
      trace_id: message.trace_id,
      span_id: message.span_id,
      step_name: 'ship_order',
      receive_count: 1,
      deadline_bound: 'step_timeout',
    });
    expect(event?.dispatch).toEqual(message);
    expect(event?.deadline.toISOString()).toBe('2025-12-07T10:15:40.200Z');
    expect(await kit.worker.poll()).toBeNull();
    await kit.worker.close();
  });

  it('counts the time of a message that waited from its first receive, and reports that start before handing it out', async () => {
    const kit = pullKit();
    const message = stepMessage(1, { dispatched_at: '2025-12-07T10:00:00.000Z', deadline: '2025-12-07T10:00:12.000Z' });
    await kit.enqueue(message);
    const event = await kit.worker.poll();
    expect(event).toMatchObject({
      event_id: message.event_id,
      deadline: new Date('2025-12-07T10:15:40.200Z'),
      deadline_bound: 'step_timeout',
    });
    expect(kit.results()).toEqual([
      {
        schema_version: 1,
        message_type: 'step_started',
        event_id: message.event_id,
        task_uuid: message.task_uuid,
        step_uuid: message.step_uuid,
        started_at: START_ISO,
        receive_count: 1,
        worker_id: 'pull-test',
      },
    ]);
    expect(await kit.worker.complete(message.event_id, SHIPPED)).toBe(true);
    expect(kit.results().map((r) => r.message_type)).toEqual(['step_started', 'step_result']);
    await kit.worker.close();
  });

  it('bounds the deadline by the dispatch deadline when that comes first', async () => {
    const kit = pullKit();
    await kit.enqueue(stepMessage(1, { deadline: '2025-12-07T10:15:32.000Z' }));
    const event = await kit.worker.poll();
    expect(event).toMatchObject({
      deadline: new Date('2025-12-07T10:15:32.000Z'),
      deadline_bound: 'dispatch_deadline',
    });
    await kit.worker.close();
  });

  it('caps the step timeout with the completion timeout', async () => {
    const kit = pullKit({ config: { completionTimeoutMs: 2_000 } });
    await kit.enqueue(stepMessage(1));
    expect((await kit.worker.poll())?.deadline.toISOString()).toBe('2025-12-07T10:15:32.200Z');
    await kit.worker.close();
  });

  it('buffers the extras of a batch and hands them out on the next polls without receiving again', async () => {
    const kit = pullKit({ config: { receiveBatchSize: 3 } });
    await kit.enqueue(stepMessage(1), stepMessage(2), stepMessage(3));
    const receive = vi.spyOn(kit.dispatch, 'receive');
    const first = await kit.worker.poll();
    expect(kit.worker.metrics()).toMatchObject({ pendingCount: 3, bufferedCount: 2, inProgressCount: 1 });
    const rest = [await kit.worker.poll(), await kit.worker.poll()];
    expect(receive).toHaveBeenCalledTimes(1);
    expect([first, ...rest].map((e) => e?.event_id).sort()).toEqual(
      [stepMessage(1), stepMessage(2), stepMessage(3)].map((m) => m.event_id).sort(),
    );
    await kit.worker.close();
  });

  it('returns null and counts the failure when the receive fails', async () => {
    const kit = pullKit({
      dispatch: (inner) => ({
        ...bind(inner),
        receive: async () => {
          throw new Error('socket hang up');
        },
      }),
    });
    expect(await kit.worker.poll()).toBeNull();
    expect(kit.worker.metrics().receiveErrors).toBe(1);
    expect(kit.logger.find('receiving from the dispatch queue failed')[0]?.fields.problem).toContain('socket hang up');
    await kit.worker.close();
  });

  it('answers an invalid message whose ids are readable with an invalid_dispatch failure and deletes it', async () => {
    const kit = pullKit();
    const { handler: _dropped, ...broken } = stepMessage(1);
    await kit.enqueue(JSON.stringify(broken));
    expect(await kit.worker.poll()).toBeNull();
    const [result] = kit.results().map((r) => stepExecutionResult.parse(r));
    expect(result).toMatchObject({
      event_id: broken.event_id,
      status: 'failure',
      error: { error_type: 'invalid_dispatch', retryable: false },
      worker: { kind: 'pull' },
    });
    expect(kit.journal).toEqual([`send ${QUEUES.completion}`, `delete ${kit.dispatchUrl}`]);
    expect(kit.memory.peekAll(kit.dispatchUrl)).toEqual([]);
    expect(kit.worker.metrics().invalid).toBe(1);
    await kit.worker.close();
  });

  it('moves a message nobody can answer to the poison queue, then deletes it', async () => {
    const kit = pullKit();
    await kit.enqueue('{not json');
    expect(await kit.worker.poll()).toBeNull();
    const [poison] = kit.sender.bodiesTo(QUEUES.poison).map((b) => poisonMessage.parse(b));
    expect(poison).toMatchObject({
      error_code: 'unparseable_json',
      original_body: '{not json',
      source_queue: kit.dispatchUrl,
    });
    expect(kit.memory.peekAll(kit.dispatchUrl)).toEqual([]);
    expect(kit.worker.metrics().poisoned).toBe(1);
    await kit.worker.close();
  });

  it('leaves a poison message for redelivery when the poison queue refuses it', async () => {
    const kit = pullKit();
    kit.sender.failAlways({ queueUrl: QUEUES.poison });
    await kit.enqueue('{not json');
    expect(await kit.worker.poll()).toBeNull();
    expect(kit.memory.peekAll(kit.dispatchUrl)).toMatchObject([{ state: 'in_flight' }]);
    expect(kit.logger.find('dispatch message not answered; left for redelivery')).toHaveLength(1);
    await kit.worker.close();
  });

  it('deletes another copy of an event already pending instead of handing it out twice', async () => {
    const kit = pullKit();
    await kit.enqueue(stepMessage(1));
    const event = await kit.worker.poll();
    await kit.enqueue(stepMessage(1));
    expect(await kit.worker.poll()).toBeNull();
    expect(kit.worker.metrics()).toMatchObject({ duplicates: 1, pendingCount: 1 });
    expect(kit.memory.peekAll(kit.dispatchUrl)).toHaveLength(1);
    expect(await kit.worker.complete(event!.event_id, SHIPPED)).toBe(true);
    expect(kit.memory.peekAll(kit.dispatchUrl)).toEqual([]);
    await kit.worker.close();
  });
});

describe('PullWorker heartbeat', () => {
  it('keeps a long-running event invisible well beyond the visibility timeout, with no redelivery', async () => {
    const kit = pullKit({ config: { visibilityTimeoutSeconds: 3, completionTimeoutMs: 60_000 } });
    await kit.enqueue(stepMessage(1, { timeout_ms: 60_000 }));
    const event = (await kit.worker.poll())!;
    await vi.advanceTimersByTimeAsync(20_000);
    expect(kit.memory.peekAll(kit.dispatchUrl)).toMatchObject([{ state: 'in_flight', receiveCount: 1 }]);
    expect(await kit.worker.poll()).toBeNull();
    expect(kit.journal.filter((j) => j === 'visibility 3').length).toBeGreaterThanOrEqual(19);
    expect(await kit.worker.complete(event.event_id, SHIPPED)).toBe(true);
    expect(kit.memory.peekAll(kit.dispatchUrl)).toEqual([]);
    await kit.worker.close();
  });

  it('extends buffered messages too', async () => {
    const kit = pullKit({ config: { visibilityTimeoutSeconds: 3, receiveBatchSize: 2, completionTimeoutMs: 60_000 } });
    await kit.enqueue(stepMessage(1, { timeout_ms: 60_000 }), stepMessage(2, { timeout_ms: 60_000 }));
    await kit.worker.poll();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(kit.memory.peekAll(kit.dispatchUrl).map((m) => m.state)).toEqual(['in_flight', 'in_flight']);
    expect((await kit.worker.poll())?.receive_count).toBe(1);
    await kit.worker.close();
  });

  it('a message whose heartbeat fails is redelivered after its visibility timeout (the control case)', async () => {
    const kit = pullKit({
      config: { visibilityTimeoutSeconds: 3, completionTimeoutMs: 60_000 },
      dispatch: (inner) => ({
        ...bind(inner),
        changeVisibility: async () => {
          throw new Error('throttled');
        },
      }),
    });
    await kit.enqueue(stepMessage(1, { timeout_ms: 60_000 }));
    await kit.worker.poll();
    await vi.advanceTimersByTimeAsync(3_001);
    expect(kit.memory.peekAll(kit.dispatchUrl)).toMatchObject([{ state: 'visible' }]);
    expect(kit.worker.metrics().heartbeatFailures).toBeGreaterThan(0);
    expect(kit.logger.find(/^heartbeat could not extend/)[0]?.fields).toMatchObject({
      event_id: stepMessage(1).event_id,
      problem: 'Error: throttled',
    });
    await kit.worker.close();
  });
});

describe('PullWorker release and close', () => {
  it('release makes a handed-out message visible at once, unanswered', async () => {
    const kit = pullKit();
    await kit.enqueue(stepMessage(1));
    const event = (await kit.worker.poll())!;
    expect(await kit.worker.release(event.event_id)).toBe(true);
    expect(kit.memory.peekAll(kit.dispatchUrl)).toMatchObject([{ state: 'visible' }]);
    expect(await kit.worker.release(event.event_id)).toBe(false);
    expect((await kit.worker.poll())?.receive_count).toBe(2);
    await kit.worker.close();
  });

  it('close releases buffered messages at once, leaves handed-out ones for redelivery, and refuses later completes', async () => {
    const kit = pullKit({ config: { receiveBatchSize: 2, visibilityTimeoutSeconds: 5 } });
    await kit.enqueue(stepMessage(1), stepMessage(2));
    const event = (await kit.worker.poll())!;
    await kit.worker.close();
    const states = () =>
      Object.fromEntries(kit.memory.peekAll(kit.dispatchUrl).map((m) => [JSON.parse(m.body).event_id, m.state]));
    const other = [stepMessage(1), stepMessage(2)].find((m) => m.event_id !== event.event_id)!;
    expect(states()).toEqual({ [event.event_id]: 'in_flight', [other.event_id]: 'visible' });
    expect(await kit.worker.complete(event.event_id, SHIPPED)).toBe(false);
    expect(kit.logger.find('complete refused')[0]?.fields.reason).toBe('worker_closed');
    expect(await kit.worker.poll()).toBeNull();
    await vi.advanceTimersByTimeAsync(5_001);
    expect(states()[event.event_id]).toBe('visible');
    expect(kit.results()).toEqual([]);
  });
});
