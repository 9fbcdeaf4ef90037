import { describe, expect, it } from 'vitest';
import { dagProblems, findCycle, locatedDagProblems, roots, topologicalOrder } from '../../../lib/domain/dag.js';
import type { DagNode } from '../../../lib/domain/dag.js';

const node = (name: string, ...dependencies: string[]): DagNode => ({ name, dependencies });

const diamond = [node('end', 'left', 'right'), node('left', 'start'), node('right', 'start'), node('start')];

/** `s0 ← s1 ← … ← s(n-1)`: each step depends on the one before it, listed root-first. */
const chain = (n: number): DagNode[] =>
  Array.from({ length: n }, (_, i) => (i === 0 ? node('s0') : node(`s${i}`, `s${i - 1}`)));

/** `n` steps, each depending on every earlier one: n(n-1)/2 edges and no cycle. */
const dense = (n: number): DagNode[] =>
  Array.from({ length: n }, (_, i) => node(`s${i}`, ...Array.from({ length: i }, (_, j) => `s${j}`)));

/** `nodes` with `extra` dependencies added to the node named `name`. */
const withEdge = (nodes: DagNode[], name: string, ...extra: string[]): DagNode[] =>
  nodes.map((n) => (n.name === name ? node(n.name, ...n.dependencies, ...extra) : n));

describe('dagProblems', () => {
  it('finds nothing wrong with a valid diamond', () => {
    expect(dagProblems(diamond)).toEqual([]);
  });

  it('reports a duplicate name once per extra occurrence', () => {
    expect(dagProblems([node('a'), node('a'), node('a'), node('b')])).toEqual([
      { kind: 'duplicate_name', name: 'a' },
      { kind: 'duplicate_name', name: 'a' },
    ]);
  });

  it('reports each unknown dependency with the node that names it', () => {
    expect(dagProblems([node('a', 'ghost'), node('b', 'a', 'phantom')])).toEqual([
      { kind: 'unknown_dependency', name: 'a', dependency: 'ghost' },
      { kind: 'unknown_dependency', name: 'b', dependency: 'phantom' },
    ]);
  });

  it('reports a self dependency apart from cycles', () => {
    expect(dagProblems([node('a', 'a')])).toEqual([{ kind: 'self_dependency', name: 'a' }]);
  });

  it('reports a cycle as a closed path', () => {
    const problems = dagProblems([node('a', 'c'), node('b', 'a'), node('c', 'b')]);
    expect(problems).toEqual([{ kind: 'cycle', path: ['a', 'c', 'b', 'a'] }]);
  });

  it('reports every kind of problem together', () => {
    const kinds = dagProblems([node('a', 'b'), node('b', 'a'), node('d'), node('d'), node('c', 'c', 'x')]).map(
      (p) => p.kind,
    );
    expect(kinds.sort()).toEqual(['cycle', 'duplicate_name', 'self_dependency', 'unknown_dependency']);
  });
});

describe('graphs at scale', () => {
  it.each([
    ['root-first', chain(10_000)],
    ['leaf-first', chain(10_000).reverse()],
  ])('finds nothing wrong with a 10,000-step chain listed %s, and orders it', (_label, nodes) => {
    expect(dagProblems(nodes)).toEqual([]);
    expect(findCycle(nodes)).toBeNull();
    const order = topologicalOrder(nodes);
    expect(order).toEqual(Array.from({ length: 10_000 }, (_, i) => `s${i}`));
  });

  it('reports a 10,000-step ring listed leaf-first as one cycle', () => {
    const ring = withEdge(chain(10_000), 's0', 's9999').reverse();
    const problems = dagProblems(ring);
    expect(problems).toHaveLength(1);
    const [cycle] = problems;
    expect(cycle?.kind === 'cycle' && cycle.path).toHaveLength(10_001);
    expect(cycle?.kind === 'cycle' && cycle.path.slice(0, 3)).toEqual(['s9999', 's9998', 's9997']);
  });

  it('finds nothing wrong with a 150-step dense DAG', () => {
    expect(dagProblems(dense(150))).toEqual([]);
  });

  it('reports one cycle for a 150-step dense DAG with a back edge, however many cycles it makes', () => {
    const nodes = withEdge(dense(150), 's0', 's149');
    expect(dagProblems(nodes)).toEqual([{ kind: 'cycle', path: ['s0', 's149', 's0'] }]);
    const [located] = [...locatedDagProblems(nodes)];
    expect(located?.tangled).toHaveLength(150);
    expect(located?.at).toEqual({ node: 0, dependency: 0 });
  });

  it('reports one cycle for 150 steps that each depend on every other one', () => {
    const names = Array.from({ length: 150 }, (_, i) => `s${i}`);
    const nodes = names.map((name) => node(name, ...names.filter((d) => d !== name)));
    expect(dagProblems(nodes)).toEqual([{ kind: 'cycle', path: ['s0', 's1', 's0'] }]);
  });

  it('reports only the steps a back edge in the middle ties together', () => {
    const [located, ...rest] = [...locatedDagProblems(withEdge(dense(150), 's50', 's120'))];
    expect(rest).toEqual([]);
    expect(located?.problem).toEqual({ kind: 'cycle', path: ['s50', 's120', 's50'] });
    expect(located?.tangled).toEqual(Array.from({ length: 71 }, (_, i) => `s${50 + i}`));
    expect(located?.at).toEqual({ node: 50, dependency: 50 });
  });
});

describe('locatedDagProblems', () => {
  it('places each problem at its node and dependency', () => {
    const nodes = [node('a', 'b'), node('b', 'x', 'a'), node('a', 'a')];
    expect([...locatedDagProblems(nodes)].map(({ problem, at }) => [problem.kind, at])).toEqual([
      ['duplicate_name', { node: 2 }],
      ['unknown_dependency', { node: 1, dependency: 0 }],
      ['self_dependency', { node: 2, dependency: 0 }],
      ['cycle', { node: 0, dependency: 0 }],
    ]);
  });

  it('reports one cycle per group of nodes caught in cycles, in the order of their first node', () => {
    const nodes = [node('z'), node('x', 'y'), node('a', 'b'), node('y', 'x', 'z'), node('b', 'c'), node('c', 'a', 'b')];
    expect(dagProblems(nodes)).toEqual([
      { kind: 'cycle', path: ['x', 'y', 'x'] },
      { kind: 'cycle', path: ['a', 'b', 'c', 'a'] },
    ]);
    expect([...locatedDagProblems(nodes)].map((p) => p.tangled)).toEqual([
      ['x', 'y'],
      ['a', 'b', 'c'],
    ]);
  });

  it('pools the dependencies of nodes that share a name, and places the cycle at the first of them', () => {
    const nodes = [node('a'), node('b', 'a'), node('a', 'b')];
    expect([...locatedDagProblems(nodes)].map(({ problem, at }) => [problem, at])).toEqual([
      [{ kind: 'duplicate_name', name: 'a' }, { node: 2 }],
      [
        { kind: 'cycle', path: ['a', 'b', 'a'] },
        { node: 2, dependency: 0 },
      ],
    ]);
  });
});

describe('findCycle', () => {
  it('returns null for an acyclic graph', () => {
    expect(findCycle(diamond)).toBeNull();
  });

  it('ignores self loops and unknown names', () => {
    expect(findCycle([node('a', 'a', 'ghost')])).toBeNull();
  });

  it('finds a cycle reachable only from the middle of the graph', () => {
    const cycle = findCycle([node('root'), node('x', 'root', 'y'), node('y', 'x')]);
    expect(cycle).toEqual(['x', 'y', 'x']);
  });
});

describe('topologicalOrder', () => {
  it('puts every node after its dependencies', () => {
    const order = topologicalOrder(diamond);
    expect(order).toHaveLength(4);
    for (const n of diamond)
      for (const dep of n.dependencies) expect(order.indexOf(dep)).toBeLessThan(order.indexOf(n.name));
  });

  it('keeps declaration order among independent nodes', () => {
    expect(topologicalOrder([node('b'), node('a'), node('c', 'a')])).toEqual(['b', 'a', 'c']);
  });
});

describe('roots', () => {
  it('lists the nodes without dependencies, in order', () => {
    expect(roots([node('b'), node('x', 'b'), node('a')])).toEqual(['b', 'a']);
    expect(roots(diamond)).toEqual(['start']);
  });
});
