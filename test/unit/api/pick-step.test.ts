import { describe, expect, it } from 'vitest';
import { pickStep } from '../../../lib/api/step-routes.js';
import type { StepView } from '../../../lib/ports/orchestration-store.js';

const step = (name: string, index?: number): StepView =>
  ({
    stepUuid: `${name}-${index ?? 'x'}`,
    name,
    ...(index === undefined ? {} : { batch: { index, count: 3 } }),
  }) as StepView;

const steps = [step('list'), step('work', 0), step('work', 1), step('work', 2), step('join')];

describe('pickStep', () => {
  it('finds a step by name, and a batch instance by name[index]', () => {
    expect(pickStep(steps, 'join')).toMatchObject({ ok: true, step: { stepUuid: 'join-x' } });
    expect(pickStep(steps, 'work[2]')).toMatchObject({ ok: true, step: { stepUuid: 'work-2' } });
  });

  it('refuses the bare name of a worker with several instances, naming how to pick one', () => {
    expect(pickStep(steps, 'work')).toMatchObject({
      ok: false,
      response: { status: 400, body: { error: 'ambiguous_step', problems: ['as work[0] .. work[2]'] } },
    });
  });

  it('answers 404 for an unknown name or instance, with the names there are', () => {
    for (const name of ['nope', 'work[7]', 'join[0]'])
      expect(pickStep(steps, name)).toMatchObject({
        ok: false,
        response: { status: 404, body: { error: 'unknown_step', problems: ['steps: list, work, join'] } },
      });
  });
});
