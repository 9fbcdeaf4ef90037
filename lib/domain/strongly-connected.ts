/**
 * A directed graph over the node indices `0 … n-1`: `adjacency[v]` lists the nodes `v` has an edge
 * to. Repeated edges are allowed; self-loops are simply ignored by the cycle search below.
 */
export type Adjacency = readonly (readonly number[])[];

/**
 * The strongly connected components of a graph: the groups of nodes that can each reach every
 * other member. Tarjan's algorithm with an explicit stack, so it runs in O(nodes + edges) time and
 * never recurses, whatever the depth of the graph (a 10,000-step chain is as safe as a diamond).
 * Each component's indices are sorted; components are ordered by their smallest index.
 *
 * @example
 * stronglyConnectedComponents([[1], [0], [1]]); // [[0, 1], [2]]
 */
export function stronglyConnectedComponents(adjacency: Adjacency): number[][] {
  const search = new TarjanSearch(adjacency);
  for (let root = 0; root < adjacency.length; root += 1) search.from(root);
  return search.components.sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
}

/**
 * A shortest cycle through the first (smallest) node of a component, as the node indices along it,
 * starting and ending on that node: `[s, …, s]`. Breadth-first, staying inside the component, and
 * following each node's edges in their listed order. Null when there is none (a single node).
 *
 * @example
 * cycleThrough([[2], [0], [1]], [0, 1, 2]); // [0, 2, 1, 0]
 */
export function cycleThrough(adjacency: Adjacency, component: readonly number[]): number[] | null {
  const [start] = component;
  if (start === undefined) return null;
  const members = new Set(component);
  const parent = new Map<number, number>([[start, start]]);
  const queue = [start];
  for (let head = 0; head < queue.length; head += 1) {
    const node = queue[head] as number;
    for (const next of adjacency[node] ?? []) {
      if (next === start && node !== start) return [...pathFrom(parent, start, node), start];
      if (members.has(next) && !parent.has(next)) {
        parent.set(next, node);
        queue.push(next);
      }
    }
  }
  return null;
}

/** `start … node` along the breadth-first parents. */
function pathFrom(parent: ReadonlyMap<number, number>, start: number, node: number): number[] {
  const path = [node];
  for (let at = node; at !== start; ) {
    at = parent.get(at) ?? start;
    path.push(at);
  }
  return path.reverse();
}

/** Tarjan's depth-first search, its call stack kept in arrays rather than on the JavaScript stack. */
class TarjanSearch {
  readonly components: number[][] = [];
  private readonly index: Int32Array;
  private readonly low: Int32Array;
  private readonly onStack: Uint8Array;
  private readonly stack: number[] = [];
  /** The simulated call stack: a node, and the position of the next edge of it to follow. */
  private readonly callNode: number[] = [];
  private readonly callEdge: number[] = [];
  private counter = 0;

  constructor(private readonly adjacency: Adjacency) {
    this.index = new Int32Array(adjacency.length).fill(-1);
    this.low = new Int32Array(adjacency.length);
    this.onStack = new Uint8Array(adjacency.length);
  }

  from(root: number): void {
    if (this.index[root] !== -1) return;
    this.enter(root);
    while (this.callNode.length > 0) this.step();
  }

  /** One move of the search: follow the top node's next edge, or finish that node. */
  private step(): void {
    const top = this.callNode.length - 1;
    const node = this.callNode[top] as number;
    const edge = this.callEdge[top] as number;
    const edges = this.adjacency[node] ?? [];
    if (edge >= edges.length) {
      this.leave(node);
      return;
    }
    this.callEdge[top] = edge + 1;
    const next = edges[edge] as number;
    if (this.index[next] === -1) this.enter(next);
    else if (this.onStack[next] === 1) this.low[node] = Math.min(this.low[node] as number, this.index[next] as number);
  }

  private enter(node: number): void {
    this.index[node] = this.counter;
    this.low[node] = this.counter;
    this.counter += 1;
    this.stack.push(node);
    this.onStack[node] = 1;
    this.callNode.push(node);
    this.callEdge.push(0);
  }

  private leave(node: number): void {
    this.callNode.pop();
    this.callEdge.pop();
    const caller = this.callNode[this.callNode.length - 1];
    if (caller !== undefined) this.low[caller] = Math.min(this.low[caller] as number, this.low[node] as number);
    if (this.low[node] === this.index[node]) this.components.push(this.popComponent(node));
  }

  private popComponent(root: number): number[] {
    const component: number[] = [];
    for (let member = -1; member !== root; ) {
      member = this.stack.pop() as number;
      this.onStack[member] = 0;
      component.push(member);
    }
    return component.sort((a, b) => a - b);
  }
}
