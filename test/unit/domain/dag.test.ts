import { describe, expect, it } from 'vitest';
import { dagProblems, findCycle, roots, topologicalOrder } from '../../../lib/domain/dag.js';
import type { DagNode } from '../../../lib/domain/dag.js';

const node = (name: string, ...dependencies: string[]): DagNode => ({ name, dependencies });

const diamond = [node('end', 'left', 'right'), node('left', 'start'), node('right', 'start'), node('start')];

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
    const kinds = dagProblems([node('a', 'b'), node('b', 'a'), node('d'), node('d'), node('c', 'c', 'x')]).map((p) => p.kind);
    expect(kinds.sort()).toEqual(['cycle', 'duplicate_name', 'self_dependency', 'unknown_dependency']);
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
    for (const n of diamond) for (const dep of n.dependencies) expect(order.indexOf(dep)).toBeLessThan(order.indexOf(n.name));
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
