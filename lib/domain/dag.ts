import { cycleThrough, stronglyConnectedComponents } from './strongly-connected.js';

/** A directed acyclic graph of named nodes, each listing the nodes it depends on. */
export interface DagNode {
  readonly name: string;
  readonly dependencies: readonly string[];
}

export type DagProblem =
  | { readonly kind: 'duplicate_name'; readonly name: string }
  | { readonly kind: 'unknown_dependency'; readonly name: string; readonly dependency: string }
  | { readonly kind: 'self_dependency'; readonly name: string }
  | { readonly kind: 'cycle'; readonly path: readonly string[] };

/** Where a problem shows: a node's position in the list and, for an edge, its dependency's position. */
export interface DagPlace {
  readonly node: number;
  readonly dependency?: number;
}

/** A problem and where it shows. A cycle is placed at its first edge. */
export interface LocatedDagProblem {
  readonly problem: DagProblem;
  readonly at: DagPlace;
  /** For a cycle: every node caught in cycles with it (its strongly connected component), in declaration order. */
  readonly tangled?: readonly string[];
}

/**
 * Every structural problem of the graph at once: each later duplicate of a name, each unknown or
 * self dependency, and one example cycle for each group of nodes caught in cycles together.
 *
 * @example
 * dagProblems([{ name: 'a', dependencies: ['b'] }, { name: 'b', dependencies: ['a'] }]);
 * // [{ kind: 'cycle', path: ['a', 'b', 'a'] }]
 */
export function dagProblems(nodes: readonly DagNode[]): DagProblem[] {
  return Array.from(locatedDagProblems(nodes), (p) => p.problem);
}

/**
 * The problems of {@link dagProblems}, one at a time and each with its place, so a caller can stop
 * early or point at the file. Each place is reported once per kind. Runs in O(nodes + edges),
 * without recursion; nodes sharing a name pool their dependencies, so no edge is overlooked.
 */
export function* locatedDagProblems(nodes: readonly DagNode[]): Generator<LocatedDagProblem> {
  const seen = new Set<string>();
  for (const [i, node] of nodes.entries()) {
    if (seen.has(node.name)) yield { problem: { kind: 'duplicate_name', name: node.name }, at: { node: i } };
    seen.add(node.name);
  }
  for (const [i, node] of nodes.entries()) {
    for (const [k, dep] of node.dependencies.entries()) {
      if (dep === node.name)
        yield { problem: { kind: 'self_dependency', name: node.name }, at: { node: i, dependency: k } };
      else if (!seen.has(dep))
        yield {
          problem: { kind: 'unknown_dependency', name: node.name, dependency: dep },
          at: { node: i, dependency: k },
        };
    }
  }
  yield* cycles(nodes);
}

/**
 * A cycle as a path that starts and ends on the same node, or null: the first one
 * {@link dagProblems} reports (a shortest cycle through the first-declared node caught in one).
 * Self-loops are reported apart.
 */
export function findCycle(nodes: readonly DagNode[]): string[] | null {
  for (const { problem } of cycles(nodes)) if (problem.kind === 'cycle') return [...problem.path];
  return null;
}

/** Nodes in an order where every node comes after its dependencies (graph must be acyclic). */
export function topologicalOrder(nodes: readonly DagNode[]): string[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const order: string[] = [];
  const placed = new Set<string>();
  const pending: { name: string; next: number }[] = [];
  const visit = (name: string): void => {
    if (placed.has(name)) return;
    placed.add(name);
    pending.push({ name, next: 0 });
  };
  for (const node of nodes) {
    visit(node.name);
    for (let top = pending.at(-1); top; top = pending.at(-1)) {
      const dep = byName.get(top.name)?.dependencies[top.next];
      top.next += 1;
      if (dep !== undefined) visit(dep);
      else order.push(pending.pop()?.name ?? top.name);
    }
  }
  return order;
}

/** Nodes with no dependencies: where a task starts. */
export function roots(nodes: readonly DagNode[]): string[] {
  return nodes.filter((n) => n.dependencies.length === 0).map((n) => n.name);
}

/**
 * One example cycle (a shortest one through its first-declared node) for each strongly connected
 * group of nodes, in the order of that node: a dense graph yields one report per group, not every
 * one of its exponentially many cycles.
 */
function* cycles(nodes: readonly DagNode[]): Generator<LocatedDagProblem> {
  const graph = indexGraph(nodes);
  for (const component of stronglyConnectedComponents(graph.adjacency)) {
    const cycle = cycleThrough(graph.adjacency, component);
    const [from, to] = cycle ?? [];
    if (!cycle || from === undefined || to === undefined) continue;
    const at = graph.places[from]?.[graph.adjacency[from]?.indexOf(to) ?? -1] ?? { node: from };
    const names = (vs: readonly number[]) => vs.map((v) => graph.names[v] ?? '');
    yield { problem: { kind: 'cycle', path: names(cycle) }, at, tangled: names(component) };
  }
}

interface IndexedGraph {
  /** Distinct names, in the order they are first declared; a node's number is its position here. */
  readonly names: readonly string[];
  /** Edges to known dependencies, other than self, in declaration order. */
  readonly adjacency: readonly number[][];
  /** Where each edge of `adjacency` is declared. */
  readonly places: readonly DagPlace[][];
}

function indexGraph(nodes: readonly DagNode[]): IndexedGraph {
  const numbers = new Map<string, number>();
  for (const node of nodes) if (!numbers.has(node.name)) numbers.set(node.name, numbers.size);
  const adjacency: number[][] = Array.from(numbers, () => []);
  const places: DagPlace[][] = Array.from(numbers, () => []);
  for (const [i, node] of nodes.entries()) {
    const from = numbers.get(node.name) as number;
    for (const [k, dep] of node.dependencies.entries()) {
      const to = numbers.get(dep);
      if (to === undefined || to === from) continue;
      adjacency[from]?.push(to);
      places[from]?.push({ node: i, dependency: k });
    }
  }
  return { names: [...numbers.keys()], adjacency, places };
}
