import { fileURLToPath } from 'node:url';
import { DEFAULT_RETRY_POLICY } from '../../lib/domain/backoff.js';
import type { StepTemplate, TaskTemplate } from '../../lib/domain/task-template.js';
import { loadTemplateFile } from '../../lib/adapters/templates/template-files.js';
import type { HandlerMap } from '../../lib/worker/handler-api.js';
import patternHandlers from '../../examples/patterns/handlers.js';

const PATTERNS_DIR = fileURLToPath(new URL('../../examples/patterns/templates/', import.meta.url));

/** The shipped example templates (examples/patterns): 4-step linear and 4-step diamond, with their input schema. */
export async function patternTemplate(shape: 'linear' | 'diamond'): Promise<TaskTemplate> {
  const loaded = await loadTemplateFile(`${PATTERNS_DIR}${shape}.yaml`);
  if (!loaded.ok)
    throw new Error(
      `examples/patterns/templates/${shape}.yaml does not load: ${loaded.problems.map((p) => p.message).join('; ')}`,
    );
  return loaded.template;
}

/** The context the pattern templates accept (their input_schema wants an even number 2..100). */
export const PATTERN_CONTEXT = { even_number: 2 } as const;

function step(name: string, dependencies: readonly string[] = []): StepTemplate {
  return {
    name,
    handler: { callable: 'bench.noop', initialization: {} },
    dependencies,
    retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: 1 },
    timeoutSeconds: 30,
    publishesEvents: [],
  };
}

/** One step that returns at once: the throughput run's task. */
export const ONE_STEP: TaskTemplate = { namespace: 'bench', name: 'one_step', version: '1.0.0', steps: [step('only')] };

/** start → `width` parallel steps → join. */
export function fanOutTemplate(width: number): TaskTemplate {
  const branches = Array.from({ length: width }, (_, i) => step(`branch_${String(i).padStart(4, '0')}`, ['start']));
  return {
    namespace: 'bench',
    name: `fan_out_${width}`,
    version: '1.0.0',
    steps: [
      step('start'),
      ...branches,
      step(
        'join',
        branches.map((b) => b.name),
      ),
    ],
  };
}

/** list (batchable, `width` batches) → `width` instances of work → join: the dynamic counterpart of fanOutTemplate. */
export function batchTemplate(width: number): TaskTemplate {
  const list = step('list');
  return {
    namespace: 'bench',
    name: `batch_${width}`,
    version: '1.0.0',
    steps: [
      {
        ...list,
        type: 'batchable',
        handler: { callable: 'bench.batches', initialization: { count: width } },
        batch: { worker: 'work', maxBatches: width },
      },
      { ...step('work', ['list']), type: 'batch_worker' },
      step('join', ['work']),
    ],
  };
}

/** The example pattern handlers plus a no-op (`bench.noop`) and a batch planner (`bench.batches`) for the throughput runs. */
export const BENCH_HANDLERS: HandlerMap = {
  ...patternHandlers,
  'bench.noop': () => ({ ok: true }),
  'bench.batches': ({ config }) => ({ batches: Array.from({ length: Number(config.count) }, (_, i) => i) }),
};
