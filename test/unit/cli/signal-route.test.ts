import { describe, expect, it, vi } from 'vitest';
import { SIGNAL_REFUSAL_STATUS, signalRoute, type SignalStep } from '../../../lib/cli/signal-route.js';

const TASK = '11111111-1111-4111-8111-111111111111';

describe('signalRoute', () => {
  it('hands the payload to the use case and answers 200 with the states', async () => {
    const signal = vi.fn<SignalStep>(async () => ({
      ok: true,
      taskUuid: TASK,
      stepState: 'complete',
      taskState: 'steps_in_process',
    }));
    expect(await signalRoute(signal, TASK, 'approval', { payload: { approved: true } })).toEqual({
      status: 200,
      body: { task_uuid: TASK, step_name: 'approval', step_state: 'complete', task_state: 'steps_in_process' },
    });
    expect(signal).toHaveBeenCalledWith(TASK, 'approval', { approved: true });
    await signalRoute(signal, TASK, 'approval', { payload: null });
    expect(signal).toHaveBeenLastCalledWith(TASK, 'approval', null);
  });

  it('answers a refusal with its status, code, message and problems', async () => {
    const signal: SignalStep = async () => ({
      ok: false,
      code: 'invalid_payload',
      message: 'the payload does not match',
      problems: ['/approved must be boolean'],
    });
    expect(await signalRoute(signal, TASK, 'approval', { payload: {} })).toEqual({
      status: 422,
      body: {
        error: 'invalid_payload',
        message: 'the payload does not match',
        problems: ['/approved must be boolean'],
      },
    });
    expect([SIGNAL_REFUSAL_STATUS.duplicate, SIGNAL_REFUSAL_STATUS.late, SIGNAL_REFUSAL_STATUS.unknown_task]).toEqual([
      409, 409, 404,
    ]);
  });

  it('refuses a body without a payload field, without calling the use case', async () => {
    const signal = vi.fn<SignalStep>();
    for (const body of [{ approved: true }, [], null, 'x'])
      expect(await signalRoute(signal, TASK, 'approval', body)).toMatchObject({
        status: 400,
        body: { error: 'invalid_request' },
      });
    expect(signal).not.toHaveBeenCalled();
  });
});
