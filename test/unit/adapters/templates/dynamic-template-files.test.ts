import { describe, expect, it } from 'vitest';
import { parseTemplateSource } from '../../../../lib/adapters/templates/template-files.js';
import { MAX_BATCHES_LIMIT } from '../../../../lib/domain/dynamic-steps.js';

const file = (steps: string) => `namespace_name: shop
name: dynamic
version: "1.0.0"
steps:
${steps}`;

const BATCH = `  - name: list
    type: batchable
    handler: { callable: shop.list }
    batch: { worker: work, max_batches: 100 }
  - name: work
    type: batch_worker
    handler: { callable: shop.work }
    dependencies: [list]
  - name: join
    handler: { callable: shop.join }
    dependencies: [work]
`;

describe('dynamic steps in template files', () => {
  it('reads type and batch into the domain template', () => {
    const result = parseTemplateSource(file(BATCH), 'dynamic.yaml');
    expect(result.ok).toBe(true);
    const steps = result.ok ? result.template.steps : [];
    expect(steps[0]).toMatchObject({ name: 'list', type: 'batchable', batch: { worker: 'work', maxBatches: 100 } });
    expect(steps[1]).toMatchObject({ name: 'work', type: 'batch_worker' });
    expect(steps[2]?.type).toBeUndefined();
  });

  it(`refuses max_batches over ${MAX_BATCHES_LIMIT}, an unknown type, and a cross-field problem with its line`, () => {
    const over = parseTemplateSource(file(BATCH.replace('max_batches: 100', 'max_batches: 10001')), 'f.yaml');
    expect(over.ok ? [] : over.problems.map((p) => p.path)).toEqual(['steps[0].batch.max_batches']);
    const unknown = parseTemplateSource(file(BATCH.replace('type: batch_worker', 'type: map')), 'f.yaml');
    expect(unknown.ok ? [] : unknown.problems.map((p) => p.path)).toContain('steps[1].type');
    const decision = parseTemplateSource(
      file('  - name: decide\n    type: decision\n    handler: { callable: shop.decide }\n'),
      'f.yaml',
    );
    expect(decision.ok ? [] : decision.problems).toEqual([
      {
        file: 'f.yaml',
        path: 'steps[0].type',
        message: 'decision "decide" has no dependent step to activate',
        line: 6,
      },
    ]);
  });
});
