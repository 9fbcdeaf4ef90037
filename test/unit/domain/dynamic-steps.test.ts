import { describe, expect, it } from 'vitest';
import { dynamicStepProblems } from '../../../lib/domain/dynamic-steps.js';
import { templateProblems } from '../../../lib/domain/template-problems.js';
import { buildTemplate, type StepSpec } from '../../helpers/template-builder.js';

const problems = (steps: StepSpec[]) => dynamicStepProblems(buildTemplate({ name: 't', steps }));

describe('dynamicStepProblems', () => {
  it('accepts a decision with dependents and a batchable that names its worker', () => {
    expect(
      problems([
        { name: 'decide', type: 'decision' },
        { name: 'a', deps: ['decide'] },
        { name: 'list', type: 'batchable', batch: { worker: 'work', maxBatches: 10 }, deps: ['a'] },
        { name: 'work', type: 'batch_worker', deps: ['list'] },
        { name: 'join', deps: ['work'] },
      ]),
    ).toEqual([]);
  });

  it('refuses a decision without dependents', () => {
    expect(problems([{ name: 'decide', type: 'decision' }])).toEqual([
      { path: 'steps[0].type', message: 'decision "decide" has no dependent step to activate' },
    ]);
  });

  it('refuses a batchable without batch, or naming a step that is not a batch worker', () => {
    expect(
      problems([
        { name: 'list', type: 'batchable' },
        { name: 'x', deps: ['list'] },
      ]),
    ).toEqual([{ path: 'steps[0].type', message: 'batchable step "list" needs batch: { worker, max_batches }' }]);
    expect(
      problems([
        { name: 'list', type: 'batchable', batch: { worker: 'x', maxBatches: 1 } },
        { name: 'x', deps: ['list'] },
      ]),
    ).toEqual([
      {
        path: 'steps[0].batch.worker',
        message: 'batchable step "list" names worker "x", which is not a step of type batch_worker',
      },
    ]);
  });

  it('refuses batch on a step that is not batchable', () => {
    expect(problems([{ name: 'a', batch: { worker: 'w', maxBatches: 1 } }])[0]?.path).toBe('steps[0].batch');
  });

  it('refuses a batch worker without exactly one batchable parent, or one its parent does not name', () => {
    const listAndWork = (deps: string[], worker = 'work'): StepSpec[] => [
      { name: 'list', type: 'batchable', batch: { worker, maxBatches: 5 } },
      { name: 'other' },
      { name: 'work', type: 'batch_worker', deps },
    ];
    expect(problems(listAndWork([])).map((p) => p.path)).toContain('steps[2].dependencies');
    expect(problems(listAndWork(['list', 'other'])).map((p) => p.path)).toContain('steps[2].dependencies');
    expect(problems(listAndWork(['other'])).map((p) => p.path)).toContain('steps[2].dependencies');
    const misnamed = problems([...listAndWork(['list'], 'nobody')]);
    expect(misnamed.map((p) => p.message)).toContain(
      'batch worker "work" depends on batchable "list", which names worker "nobody"',
    );
  });

  it('refuses two batchable steps naming one worker', () => {
    const found = problems([
      { name: 'l1', type: 'batchable', batch: { worker: 'work', maxBatches: 5 } },
      { name: 'l2', type: 'batchable', batch: { worker: 'work', maxBatches: 5 } },
      { name: 'work', type: 'batch_worker', deps: ['l1'] },
    ]);
    expect(found.map((p) => p.message)).toContain('batch worker "work" is named by 2 batchable steps');
  });

  it('is part of templateProblems, and every template without types has none', () => {
    expect(templateProblems(buildTemplate({ name: 't', steps: [{ name: 'd', type: 'decision' }] }))).toHaveLength(1);
    expect(templateProblems(buildTemplate({ name: 't', steps: [{ name: 'a' }, { name: 'b', deps: ['a'] }] }))).toEqual(
      [],
    );
  });
});
