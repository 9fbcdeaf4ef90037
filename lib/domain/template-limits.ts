import type { TemplateGraph, TemplateProblem } from './template-graph.js';

/**
 * Most steps one template may declare. Hand-written workflows have tens of steps and generated
 * ones hundreds to a few thousand; this leaves room for those. A task creates all its steps at
 * once, and every result applied re-reads the task's steps to find those now ready, so the work
 * per task grows with its step count; past this, split the work into several templates (or tasks).
 */
export const MAX_STEPS_PER_TEMPLATE = 10_000;

/**
 * Most dependencies one step may list. A step's dispatch message carries the result of every
 * dependency, and an SQS message holds 256 KB: at 1,000 dependencies that is already only about
 * 256 bytes per result, so a wider fan-in cannot be dispatched in practice. Gather through
 * intermediate steps instead.
 */
export const MAX_DEPENDENCIES_PER_STEP = 1_000;

/**
 * The template's steps and each step's dependencies, checked against the limits above. A template
 * over a limit gets only these problems: its graph is not walked further.
 *
 * @example
 * templateLimitProblems({ steps: tooMany }); // [{ path: 'steps', message: 'a template may declare at most 10000 steps; this one declares 10001' }]
 */
export function templateLimitProblems(template: TemplateGraph): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  const { steps } = template;
  if (steps.length > MAX_STEPS_PER_TEMPLATE) {
    const message = `a template may declare at most ${MAX_STEPS_PER_TEMPLATE} steps; this one declares ${steps.length}`;
    problems.push({ path: 'steps', message });
  }
  for (const [i, step] of steps.entries()) {
    const count = step.dependencies.length;
    if (count <= MAX_DEPENDENCIES_PER_STEP) continue;
    const message = `a step may list at most ${MAX_DEPENDENCIES_PER_STEP} dependencies; step "${step.name}" lists ${count}`;
    problems.push({ path: `steps[${i}].dependencies`, message });
  }
  return problems;
}
