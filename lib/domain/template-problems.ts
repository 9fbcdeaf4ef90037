import { dagProblems, findCycle } from './dag.js';
import type { DagNode, DagProblem } from './dag.js';
import type { StepTemplate } from './task-template.js';

/** One thing wrong with a template; `path` is in the file's (snake_case) terms, e.g. `steps[2].dependencies[0]`. */
export interface TemplateProblem {
  readonly path: string;
  readonly message: string;
}

/** The parts of a template the cross-field checks read. Every `TaskTemplate` is one. */
export interface TemplateGraph {
  readonly steps: readonly Pick<StepTemplate, 'name' | 'dependencies' | 'retry' | 'publishesEvents'>[];
}

type GraphStep = TemplateGraph['steps'][number];

/**
 * Every cross-field problem at once: duplicate step names, unknown, self and repeated dependencies,
 * every independent dependency cycle, duplicate event names within a step, and events that can
 * never fire. Empty names are skipped: they stand for values the file schema already refused.
 */
export function templateProblems(template: TemplateGraph): TemplateProblem[] {
  const { steps } = template;
  const problems = [
    ...graphProblems(steps),
    ...steps.flatMap((step, i) => repeatedDependencies(step, i)),
    ...steps.flatMap((step, i) => eventProblems(step, i)),
  ];
  return uniqueProblems(problems);
}

/** `['steps', 2, 'dependencies', 0]` → `steps[2].dependencies[0]`. */
export function formatProblemPath(segments: readonly PropertyKey[]): string {
  return segments
    .map((seg, i) => {
      if (typeof seg === 'number') return `[${seg}]`;
      const key = String(seg);
      if (/^[A-Za-z_$][\w$]*$/.test(key)) return i === 0 ? key : `.${key}`;
      return `[${JSON.stringify(key)}]`;
    })
    .join('');
}

function graphProblems(steps: readonly GraphStep[]): TemplateProblem[] {
  const nodes: DagNode[] = steps
    .filter((s) => s.name !== '')
    .map((s) => ({ name: s.name, dependencies: s.dependencies.filter((d) => d !== '') }));
  const structural = dagProblems(nodes).filter((p) => p.kind !== 'cycle');
  const cycles = allCycles(nodes).map((path): DagProblem => ({ kind: 'cycle', path }));
  return [...structural, ...cycles].flatMap((p) => locate(p, steps));
}

/** Where a DAG problem shows in the file, and what to say about it. */
function locate(problem: DagProblem, steps: readonly GraphStep[]): TemplateProblem[] {
  switch (problem.kind) {
    case 'duplicate_name': {
      const [first, ...later] = indicesOf(steps, problem.name);
      const message = `duplicate step name "${problem.name}" (first declared at steps[${first}])`;
      return later.map((i) => ({ path: `steps[${i}].name`, message }));
    }
    case 'unknown_dependency':
      return dependencyPaths(steps, problem.name, problem.dependency).map((path) => ({
        path,
        message: `step "${problem.name}" depends on unknown step "${problem.dependency}"`,
      }));
    case 'self_dependency':
      return dependencyPaths(steps, problem.name, problem.name).map((path) => ({
        path,
        message: `step "${problem.name}" depends on itself`,
      }));
    case 'cycle': {
      const [from = '', to = ''] = problem.path;
      const path = dependencyPaths(steps, from, to)[0] ?? `steps[${indicesOf(steps, from)[0]}].dependencies`;
      return [{ path, message: `dependency cycle: ${problem.path.join(' → ')}` }];
    }
  }
}

function indicesOf(steps: readonly GraphStep[], name: string): number[] {
  return steps.flatMap((s, i) => (s.name === name ? [i] : []));
}

/** Paths of every `dependencies` entry equal to `dependency` in steps named `name`. */
function dependencyPaths(steps: readonly GraphStep[], name: string, dependency: string): string[] {
  return indicesOf(steps, name).flatMap((i) =>
    (steps[i]?.dependencies ?? []).flatMap((d, k) => (d === dependency ? [`steps[${i}].dependencies[${k}]`] : [])),
  );
}

/**
 * Every independent cycle: find one, cut the edge it starts with, look again. Each cycle found is
 * a real cycle of the original graph, and every strongly connected part yields at least one.
 * Steps sharing a name (reported apart) pool their dependencies, so no edge is overlooked.
 */
function allCycles(nodes: readonly DagNode[]): string[][] {
  const edges = new Map<string, Set<string>>();
  for (const n of nodes) edges.set(n.name, new Set([...(edges.get(n.name) ?? []), ...n.dependencies]));
  const graph = (): DagNode[] => [...edges].map(([name, deps]) => ({ name, dependencies: [...deps] }));
  const cycles: string[][] = [];
  for (let cycle = findCycle(graph()); cycle; cycle = findCycle(graph())) {
    cycles.push(cycle);
    const [from = '', to = ''] = cycle;
    edges.get(from)?.delete(to);
  }
  return cycles;
}

function repeatedDependencies(step: GraphStep, index: number): TemplateProblem[] {
  return step.dependencies.flatMap((dep, k) =>
    dep !== '' && step.dependencies.indexOf(dep) !== k
      ? [{ path: `steps[${index}].dependencies[${k}]`, message: `step "${step.name}" lists dependency "${dep}" more than once` }]
      : [],
  );
}

function eventProblems(step: GraphStep, index: number): TemplateProblem[] {
  const canRetry = step.retry.retryable && step.retry.maxAttempts > 1;
  return step.publishesEvents.flatMap((event, j) => {
    const at = `steps[${index}].publishes_events[${j}]`;
    const found: TemplateProblem[] = [];
    if (event.name !== '' && step.publishesEvents.findIndex((e) => e.name === event.name) !== j) {
      found.push({ path: `${at}.name`, message: `step "${step.name}" declares event "${event.name}" more than once` });
    }
    if (event.condition === 'retryable_failure' && !canRetry) {
      const message = `event "${event.name}" can never fire: step "${step.name}" is never retried (retryable false or max_attempts 1)`;
      found.push({ path: `${at}.condition`, message });
    }
    return found;
  });
}

function uniqueProblems(problems: readonly TemplateProblem[]): TemplateProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
