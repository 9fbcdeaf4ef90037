import type { DagNode, DisplayStatus } from './dag-picture.js';

/** Which status a group of instances shows: the one that most needs attention. */
const PRECEDENCE: readonly DisplayStatus[] = [
  'failed',
  'held',
  'retrying',
  'running',
  'pending',
  'cancelled',
  'resolved',
  'complete',
  'skipped',
];

/**
 * The nodes with each batch worker's instances (nodes of one name) merged into one node: the
 * status that most needs attention, the most attempts, the count and how many are complete, and
 * the first instance's note. Other nodes are left as they are, in order.
 *
 * @example
 * mergeInstances([{ name: 'w', status: 'complete', ... }, { name: 'w', status: 'running', ... }]);
 * // [{ name: 'w', status: 'running', instances: { count: 2, complete: 1 }, ... }]
 */
export function mergeInstances(nodes: readonly DagNode[]): DagNode[] {
  const groups = new Map<string, DagNode[]>();
  for (const n of nodes) groups.set(n.name, [...(groups.get(n.name) ?? []), n]);
  return [...groups.values()].map((group) => (group.length === 1 && !group[0]?.instances ? group[0]! : merge(group)));
}

function merge(group: readonly DagNode[]): DagNode {
  const first = group[0]!;
  const status = PRECEDENCE.find((s) => group.some((n) => n.status === s)) ?? first.status;
  const noted = group.find((n) => n.status === status && n.note !== undefined)?.note;
  return {
    name: first.name,
    dependencies: first.dependencies,
    status,
    attempts: Math.max(...group.map((n) => n.attempts)),
    maxAttempts: first.maxAttempts,
    ...(noted === undefined ? {} : { note: noted }),
    instances: {
      count: group.reduce((k, n) => k + (n.instances?.count ?? 1), 0),
      complete: group.reduce((k, n) => k + (n.instances?.complete ?? (n.status === 'complete' ? 1 : 0)), 0),
    },
  };
}
