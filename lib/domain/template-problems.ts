import { locatedDagProblems } from './dag.js';
import { dynamicStepProblems } from './dynamic-steps.js';
import type { DagNode, DagPlace, LocatedDagProblem } from './dag.js';
import { firstProblems, moreProblemsMessage } from './reported-problems.js';
import { templateLimitProblems } from './template-limits.js';
import type { TemplateGraph, TemplateProblem } from './template-graph.js';

export { formatProblemPath } from './problem-path.js';
export type { TemplateGraph, TemplateProblem } from './template-graph.js';

type GraphStep = TemplateGraph['steps'][number];

/**
 * Every cross-field problem at once: duplicate step names, unknown, self and repeated dependencies,
 * one example cycle for each group of steps caught in dependency cycles, the rules of dynamic steps
 * (dynamic-steps.ts), duplicate event names within a step, and events that can never fire. Empty names are skipped: they stand for values
 * the file schema already refused. A template over a limit (template-limits.ts) gets only those
 * problems. At most `MAX_REPORTED_PROBLEMS` (reported-problems.ts) are listed, then one
 * `... and N more problems` with path `''`. Linear in the size of the template, never recursive.
 */
export function templateProblems(template: TemplateGraph): TemplateProblem[] {
  const overLimit = templateLimitProblems(template);
  const problems = overLimit.length > 0 ? overLimit : crossFieldProblems(template.steps);
  return firstProblems(problems, (hidden) => ({ path: '', message: moreProblemsMessage(hidden) }));
}

function* crossFieldProblems(steps: readonly GraphStep[]): Generator<TemplateProblem> {
  yield* graphProblems(steps);
  yield* dynamicStepProblems({ steps });
  for (const [i, step] of steps.entries()) yield* repeatedDependencies(step, i);
  for (const [i, step] of steps.entries()) yield* eventProblems(step, i);
}

function* graphProblems(steps: readonly GraphStep[]): Generator<TemplateProblem> {
  const graph = stepGraph(steps);
  for (const located of locatedDagProblems(graph.nodes)) yield describe(located, graph);
}

/** What to say about a DAG problem, at its place in the file. */
function describe({ problem, at, tangled = [] }: LocatedDagProblem, graph: StepGraph): TemplateProblem {
  const path = graph.pathOf(at);
  switch (problem.kind) {
    case 'duplicate_name':
      return {
        path,
        message: `duplicate step name "${problem.name}" (first declared at steps[${graph.firstIndex.get(problem.name)}])`,
      };
    case 'unknown_dependency':
      return { path, message: `step "${problem.name}" depends on unknown step "${problem.dependency}"` };
    case 'self_dependency':
      return { path, message: `step "${problem.name}" depends on itself` };
    case 'cycle': {
      const among =
        tangled.length > problem.path.length - 1 ? ` (one of the cycles among steps ${nameList(tangled)})` : '';
      return { path, message: `dependency cycle: ${problem.path.join(' → ')}${among}` };
    }
  }
}

/** `a, b and c`; past ten names, `a, …, j and 140 more`. */
function nameList(names: readonly string[]): string {
  const shown = names.slice(0, names.length > 10 ? 10 : names.length - 1).join(', ');
  return names.length > 10 ? `${shown} and ${names.length - 10} more` : `${shown} and ${names.at(-1)}`;
}

/** The steps as DAG nodes (empty names left out), and the way back from a node's place to the file's path. */
interface StepGraph {
  readonly nodes: readonly DagNode[];
  readonly pathOf: (at: DagPlace) => string;
  /** Each name's first step index. */
  readonly firstIndex: ReadonlyMap<string, number>;
}

function stepGraph(steps: readonly GraphStep[]): StepGraph {
  const stepOf: number[] = [];
  const dependencyPositions: number[][] = [];
  const nodes: DagNode[] = [];
  const firstIndex = new Map<string, number>();
  for (const [i, step] of steps.entries()) {
    if (step.name === '') continue;
    const named = [...step.dependencies.keys()].filter((k) => step.dependencies[k] !== '');
    stepOf.push(i);
    dependencyPositions.push(named);
    nodes.push({ name: step.name, dependencies: named.map((k) => step.dependencies[k] as string) });
    if (!firstIndex.has(step.name)) firstIndex.set(step.name, i);
  }
  const pathOf = ({ node, dependency }: DagPlace): string => {
    const at = `steps[${stepOf[node]}]`;
    return dependency === undefined ? `${at}.name` : `${at}.dependencies[${dependencyPositions[node]?.[dependency]}]`;
  };
  return { nodes, pathOf, firstIndex };
}

function* repeatedDependencies(step: GraphStep, index: number): Generator<TemplateProblem> {
  const listed = new Set<string>();
  for (const [k, dep] of step.dependencies.entries()) {
    if (dep !== '' && listed.has(dep)) {
      yield {
        path: `steps[${index}].dependencies[${k}]`,
        message: `step "${step.name}" lists dependency "${dep}" more than once`,
      };
    }
    listed.add(dep);
  }
}

function* eventProblems(step: GraphStep, index: number): Generator<TemplateProblem> {
  const canRetry = step.retry.retryable && step.retry.maxAttempts > 1;
  const declared = new Set<string>();
  for (const [j, event] of step.publishesEvents.entries()) {
    const at = `steps[${index}].publishes_events[${j}]`;
    if (event.name !== '' && declared.has(event.name)) {
      yield { path: `${at}.name`, message: `step "${step.name}" declares event "${event.name}" more than once` };
    }
    declared.add(event.name);
    if (event.condition === 'retryable_failure' && !canRetry) {
      const message = `event "${event.name}" can never fire: step "${step.name}" is never retried (retryable false or max_attempts 1)`;
      yield { path: `${at}.condition`, message };
    }
  }
}
