import { describe, expect, it } from 'vitest';
import type { OrchestrationDeps } from '../../../lib/orchestration/orchestration-deps.js';
import { staticRouting } from '../../../lib/orchestration/queue-routing.js';
import { MAX_SIGNAL_PAYLOAD_BYTES, signalStep } from '../../../lib/orchestration/signal-step.js';
import type { SignalOutcome, SignalTarget } from '../../../lib/ports/orchestration-store.js';
import { FakeEventBus } from '../../helpers/fake-event-bus.js';
import { FakeQueueSender } from '../../helpers/fake-queue-sender.js';
import { fakeStore } from '../../helpers/fake-store.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';

const TASK = '11111111-1111-4111-8111-111111111111';
const wait: SignalTarget = {
  stepUuid: '22222222-2222-4222-8222-222222222222',
  stepType: 'wait',
  signalSchema: { type: 'object', required: ['approved'], properties: { approved: { type: 'boolean' } } },
  publishesEvents: [],
};
const outcome = (status: SignalOutcome['status'], outbox: SignalOutcome['outbox'] = []): SignalOutcome => ({
  status,
  reason: status === 'applied' ? null : 'the database says',
  taskUuid: TASK,
  stepUuid: wait.stepUuid,
  stepState: 'complete',
  taskState: 'steps_in_process',
  outbox,
});

function harness(target: SignalTarget | null, answer: SignalOutcome) {
  const store = fakeStore({ signalTarget: async () => target, signalStep: async () => answer });
  const queues = new FakeQueueSender();
  const deps: OrchestrationDeps = {
    store,
    queues,
    events: new FakeEventBus(),
    logger: new RecordingLogger(),
    routing: staticRouting({ dispatchQueueUrl: 'q://d', completionQueueUrl: 'q://c' }),
    clock: { now: () => new Date('2026-11-30T10:00:00Z') },
    random: { next: () => 0.5 },
  };
  return { deps, store, queues };
}

describe('signalStep', () => {
  it('applies a signal and sends what it made ready', async () => {
    const dispatch = {
      id: '9',
      kind: 'step_dispatch' as const,
      namespace: 'tests',
      payload: {},
      availableAt: new Date(),
    };
    const h = harness(wait, outcome('applied', [dispatch]));
    expect(await signalStep(h.deps, TASK, 'approval', { approved: true })).toEqual({
      ok: true,
      taskUuid: TASK,
      stepState: 'complete',
      taskState: 'steps_in_process',
    });
    expect(h.store.signalStep).toHaveBeenCalledWith(TASK, 'approval', { approved: true });
    expect(h.queues.sent.map((s) => s.queueUrl)).toEqual(['q://d']);
  });

  it('tells a second and a late signal apart in words a signaller understands', async () => {
    expect(await signalStep(harness(wait, outcome('duplicate')).deps, TASK, 'approval', { approved: true })).toEqual({
      ok: false,
      code: 'duplicate',
      message: 'the step was already signalled: a wait takes one signal',
      problems: [],
    });
    expect(await signalStep(harness(wait, outcome('late')).deps, TASK, 'approval', { approved: true })).toMatchObject({
      ok: false,
      code: 'late',
    });
  });

  it('refuses before writing anything: a bad uuid, an unstorable or oversized payload, one failing the schema', async () => {
    const h = harness(wait, outcome('applied'));
    const cases: Array<[string, unknown, string]> = [
      ['not-a-uuid', {}, 'invalid_request'],
      [TASK, { approved: true, text: 'a\u0000' }, 'invalid_payload'],
      [TASK, 'x'.repeat(MAX_SIGNAL_PAYLOAD_BYTES), 'payload_too_large'],
      [TASK, { approved: 'yes', missing: true }, 'invalid_payload'],
      [TASK, {}, 'invalid_payload'],
    ];
    for (const [task, payload, code] of cases)
      expect(await signalStep(h.deps, task, 'approval', payload)).toMatchObject({ ok: false, code });
    expect(h.store.signalStep).not.toHaveBeenCalled();
    expect(await signalStep(harness(null, outcome('applied')).deps, TASK, 'approval', {})).toMatchObject({
      code: 'unknown_task',
    });
  });
});
