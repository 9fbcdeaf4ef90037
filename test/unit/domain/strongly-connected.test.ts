import { describe, expect, it } from 'vitest';
import { cycleThrough, stronglyConnectedComponents } from '../../../lib/domain/strongly-connected.js';

/** `n` nodes, each with an edge to the one before it: 0 ← 1 ← … ← n-1. */
const chain = (n: number): number[][] => Array.from({ length: n }, (_, i) => (i === 0 ? [] : [i - 1]));

describe('stronglyConnectedComponents', () => {
  it('gives each node of an acyclic graph its own component', () => {
    expect(stronglyConnectedComponents([[], [0], [0], [1, 2]])).toEqual([[0], [1], [2], [3]]);
  });

  it('groups the nodes that reach each other, ordered by their smallest node', () => {
    // 0 → 1 → 2 → 0 is one group; 3 ↔ 4 another; 5 hangs off both.
    const adjacency = [[1], [2], [0], [4], [3, 0], [4, 2]];
    expect(stronglyConnectedComponents(adjacency)).toEqual([[0, 1, 2], [3, 4], [5]]);
  });

  it('keeps a node with only a self-loop alone', () => {
    expect(stronglyConnectedComponents([[0], [0]])).toEqual([[0], [1]]);
  });

  it('walks a 100,000-node chain in either direction without running out of stack', () => {
    const down = chain(100_000);
    const up = Array.from({ length: 100_000 }, (_, i) => (i === 99_999 ? [] : [i + 1]));
    expect(stronglyConnectedComponents(down)).toHaveLength(100_000);
    expect(stronglyConnectedComponents(up)).toHaveLength(100_000);
  });

  it('finds a 100,000-node ring as one component', () => {
    const ring = chain(100_000);
    ring[0] = [99_999];
    const components = stronglyConnectedComponents(ring);
    expect(components).toHaveLength(1);
    expect(components[0]).toHaveLength(100_000);
  });
});

describe('cycleThrough', () => {
  it('follows the edges from the first node back to it', () => {
    expect(cycleThrough([[2], [0], [1]], [0, 1, 2])).toEqual([0, 2, 1, 0]);
  });

  it('takes a shortest way back, not the first one a depth-first walk would take', () => {
    // 0 → 1 → 2 → 3 → 0, and a shortcut 0 → 3.
    expect(cycleThrough([[1, 3], [2], [3], [0]], [0, 1, 2, 3])).toEqual([0, 3, 0]);
  });

  it('stays inside the component', () => {
    // 0 → 5 (outside) → 0 would be shorter, but 5 is not a member.
    expect(cycleThrough([[5, 1], [0], [], [], [], [0]], [0, 1])).toEqual([0, 1, 0]);
  });

  it('is null for a single node, even with a self-loop', () => {
    expect(cycleThrough([[0]], [0])).toBeNull();
    expect(cycleThrough([], [])).toBeNull();
  });

  it('finds the way around a 100,000-node ring', () => {
    const ring = chain(100_000);
    ring[0] = [99_999];
    const cycle = cycleThrough(
      ring,
      Array.from({ length: 100_000 }, (_, i) => i),
    );
    expect(cycle).toHaveLength(100_001);
    expect(cycle?.slice(0, 3)).toEqual([0, 99_999, 99_998]);
  });
});
