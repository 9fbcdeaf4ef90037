import type { TemplateGraph, TemplateProblem } from './template-graph.js';

/**
 * Most batches one batchable step may create. Every batch is a step row of its task and its
 * result travels in the joining step's dispatch message (256 KB), so past this split the work
 * over several tasks.
 */
export const MAX_BATCHES_LIMIT = 10_000;

type GraphStep = TemplateGraph['steps'][number];

/**
 * The problems of a template's dynamic steps (issue 15): a decision has dependents to activate; a
 * batchable step names a `batch_worker` step that depends on it alone; a batch worker has exactly
 * one parent, the batchable step that names it, and no other batchable names it; `batch` belongs
 * to batchable steps only. Empty names are skipped (the schema reported them). Cycles through
 * dynamic steps are the DAG's own check: instances and skips only follow edges already declared.
 *
 * @example
 * dynamicStepProblems({ steps: [{ name: 'w', type: 'batch_worker', dependencies: [], ... }] });
 * // [{ path: 'steps[0].dependencies', message: 'batch worker "w" must depend on exactly one batchable step ...' }]
 */
export function dynamicStepProblems(template: TemplateGraph): TemplateProblem[] {
  const { steps } = template;
  const byName = new Map(steps.filter((s) => s.name !== '').map((s) => [s.name, s]));
  const dependents = new Map<string, string[]>();
  for (const s of steps) for (const d of s.dependencies) dependents.set(d, [...(dependents.get(d) ?? []), s.name]);
  const problems: TemplateProblem[] = [];
  for (const [i, step] of steps.entries()) {
    if (step.name === '') continue;
    problems.push(...stepProblems(step, i, byName, dependents.get(step.name) ?? [], steps));
  }
  return problems;
}

function stepProblems(
  step: GraphStep,
  i: number,
  byName: ReadonlyMap<string, GraphStep>,
  dependents: readonly string[],
  steps: readonly GraphStep[],
): TemplateProblem[] {
  const at = `steps[${i}]`;
  if (step.batch !== undefined && step.type !== 'batchable') {
    return [{ path: `${at}.batch`, message: `step "${step.name}" has batch but is not of type batchable` }];
  }
  switch (step.type) {
    case 'decision':
      return dependents.length > 0
        ? []
        : [{ path: `${at}.type`, message: `decision "${step.name}" has no dependent step to activate` }];
    case 'batchable':
      return batchableProblems(step, at, byName);
    case 'batch_worker':
      return workerProblems(step, at, byName, steps);
    default:
      return [];
  }
}

function batchableProblems(step: GraphStep, at: string, byName: ReadonlyMap<string, GraphStep>): TemplateProblem[] {
  if (step.batch === undefined) {
    return [{ path: `${at}.type`, message: `batchable step "${step.name}" needs batch: { worker, max_batches }` }];
  }
  const worker = byName.get(step.batch.worker);
  if (worker?.type !== 'batch_worker') {
    const message = `batchable step "${step.name}" names worker "${step.batch.worker}", which is not a step of type batch_worker`;
    return [{ path: `${at}.batch.worker`, message }];
  }
  return [];
}

function workerProblems(
  step: GraphStep,
  at: string,
  byName: ReadonlyMap<string, GraphStep>,
  steps: readonly GraphStep[],
): TemplateProblem[] {
  const [parent, ...others] = step.dependencies;
  const parentStep = parent === undefined ? undefined : byName.get(parent);
  if (others.length > 0 || parentStep?.type !== 'batchable') {
    const message = `batch worker "${step.name}" must depend on exactly one step, of type batchable`;
    return [{ path: `${at}.dependencies`, message }];
  }
  if (parentStep.batch?.worker !== step.name) {
    const message = `batch worker "${step.name}" depends on batchable "${parent}", which names worker "${parentStep.batch?.worker ?? ''}"`;
    return [{ path: `${at}.dependencies[0]`, message }];
  }
  const naming = steps.filter((s) => s.type === 'batchable' && s.batch?.worker === step.name);
  return naming.length > 1
    ? [{ path: `${at}.name`, message: `batch worker "${step.name}" is named by ${naming.length} batchable steps` }]
    : [];
}
