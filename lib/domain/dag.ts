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

/** Every structural problem of the graph at once: duplicates, unknown names, cycles. */
export function dagProblems(nodes: readonly DagNode[]): DagProblem[] {
  const problems: DagProblem[] = [...duplicateNames(nodes)];
  const names = new Set(nodes.map((n) => n.name));
  for (const node of nodes) {
    for (const dep of node.dependencies) {
      if (dep === node.name) problems.push({ kind: 'self_dependency', name: node.name });
      else if (!names.has(dep)) problems.push({ kind: 'unknown_dependency', name: node.name, dependency: dep });
    }
  }
  const cycle = findCycle(nodes);
  if (cycle) problems.push({ kind: 'cycle', path: cycle });
  return problems;
}

function duplicateNames(nodes: readonly DagNode[]): DagProblem[] {
  const seen = new Set<string>();
  const problems: DagProblem[] = [];
  for (const node of nodes) {
    if (seen.has(node.name)) problems.push({ kind: 'duplicate_name', name: node.name });
    seen.add(node.name);
  }
  return problems;
}

/** A cycle as a path that starts and ends on the same node, or null. Self-loops are reported apart. */
export function findCycle(nodes: readonly DagNode[]): string[] | null {
  const deps = new Map<string, string[]>();
  for (const n of nodes) deps.set(n.name, [...(deps.get(n.name) ?? []), ...n.dependencies.filter((d) => d !== n.name)]);
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | null => {
    if (state.get(name) === 'done' || !deps.has(name)) return null;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of deps.get(name) ?? []) {
      const found = visit(dep);
      if (found) return found;
    }
    stack.pop();
    state.set(name, 'done');
    return null;
  };
  for (const node of nodes) {
    const found = visit(node.name);
    if (found) return found;
  }
  return null;
}

/** Nodes in an order where every node comes after its dependencies (graph must be acyclic). */
export function topologicalOrder(nodes: readonly DagNode[]): string[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const order: string[] = [];
  const placed = new Set<string>();
  const place = (name: string): void => {
    if (placed.has(name)) return;
    placed.add(name);
    for (const dep of byName.get(name)?.dependencies ?? []) place(dep);
    order.push(name);
  };
  for (const node of nodes) place(node.name);
  return order;
}

/** Nodes with no dependencies: where a task starts. */
export function roots(nodes: readonly DagNode[]): string[] {
  return nodes.filter((n) => n.dependencies.length === 0).map((n) => n.name);
}
