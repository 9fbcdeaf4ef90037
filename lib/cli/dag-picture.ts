import pc from 'picocolors';

/** How a step looks in a picture. */
export type DisplayStatus =
  | 'pending'
  | 'running'
  | 'waiting'
  | 'retrying'
  | 'held'
  | 'complete'
  | 'failed'
  | 'cancelled'
  | 'resolved';

export interface DagNode {
  readonly name: string;
  readonly dependencies: readonly string[];
  readonly status: DisplayStatus;
  readonly attempts: number;
  readonly maxAttempts: number;
  /** Shown after the step (an error, a retry delay, a duration). */
  readonly note?: string;
  /** `wait`: the step waits for a signal (no handler runs it); marked in the Mermaid picture. */
  readonly kind?: 'wait';
}

const ICONS: Record<DisplayStatus, string> = {
  pending: '·',
  running: '▶',
  waiting: '⧗',
  retrying: '↻',
  held: '⏸',
  complete: '✔',
  failed: '✖',
  cancelled: '⊘',
  resolved: '✔',
};

const COLORS: Record<DisplayStatus, (s: string) => string> = {
  pending: pc.dim,
  running: pc.cyan,
  waiting: pc.blue,
  retrying: pc.yellow,
  held: pc.yellow,
  complete: pc.green,
  failed: pc.red,
  cancelled: pc.dim,
  resolved: pc.magenta,
};

/** A step state of the database, as a display status; a wait step's open attempt waits for its signal. */
export function displayStatus(state: string, stepType?: string | null): DisplayStatus {
  if (stepType === 'wait' && (state === 'enqueued' || state === 'in_progress')) return 'waiting';
  if (state === 'complete') return 'complete';
  if (state === 'resolved_manually') return 'resolved';
  if (state === 'error') return 'failed';
  if (state === 'cancelled') return 'cancelled';
  if (state === 'waiting_for_retry') return 'retrying';
  if (state === 'pending') return 'pending';
  return 'running';
}

/** Steps by level: a step's level is one more than its deepest dependency's (roots are level 0). */
export function dagLevels(nodes: readonly Pick<DagNode, 'name' | 'dependencies'>[]): string[][] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const level = new Map<string, number>();
  const levelOf = (name: string, seen: ReadonlySet<string>): number => {
    const known = level.get(name);
    if (known !== undefined) return known;
    const deps = (byName.get(name)?.dependencies ?? []).filter((d) => byName.has(d) && !seen.has(d));
    const value = deps.length === 0 ? 0 : 1 + Math.max(...deps.map((d) => levelOf(d, new Set([...seen, name]))));
    level.set(name, value);
    return value;
  };
  const levels: string[][] = [];
  for (const node of nodes) {
    const level = levelOf(node.name, new Set());
    levels[level] = [...(levels[level] ?? []), node.name];
  }
  return levels.filter((l) => l !== undefined);
}

/**
 * The DAG as text, one line per step grouped by level, each non-root step naming its
 * dependencies (`← a, b`): a fan-out is a level of several steps, a fan-in a step with several arrows.
 */
export function renderDagText(nodes: readonly DagNode[], options: { color?: boolean } = {}): string[] {
  const paint = (status: DisplayStatus, text: string) => (options.color ? COLORS[status](text) : text);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const nameWidth = Math.max(...nodes.map((n) => n.name.length), 4);
  const depsWidth = Math.max(0, ...nodes.map((n) => arrow(n).length));
  const lines: string[] = [];
  dagLevels(nodes).forEach((names, i) => {
    names.forEach((name, j) => {
      const n = byName.get(name) as DagNode;
      const head = `${j === 0 ? String(i + 1).padStart(3) : '   '}  ${paint(n.status, `${ICONS[n.status]} ${n.name.padEnd(nameWidth)}`)}`;
      const attempts = `${n.attempts}/${n.maxAttempts}`.padEnd(6);
      const status = paint(n.status, n.status.padEnd(9));
      lines.push(
        `${head}  ${status} ${attempts} ${arrow(n).padEnd(depsWidth)}${n.note ? `  ${n.note}` : ''}`.trimEnd(),
      );
    });
  });
  return lines;
}

function arrow(n: Pick<DagNode, 'dependencies'>): string {
  return n.dependencies.length === 0 ? '' : `← ${n.dependencies.join(', ')}`;
}

/** A Mermaid flowchart of the DAG, each step styled by its status. */
export function renderMermaid(nodes: readonly DagNode[]): string {
  const id = new Map(nodes.map((n, i) => [n.name, `s${i}`]));
  const lines = ['flowchart TD'];
  for (const n of nodes)
    lines.push(
      `  ${id.get(n.name)}["${escapeLabel(n.name)}${n.kind === 'wait' ? ' ⧗ wait' : ''}<br/>${n.status} · ${n.attempts}/${n.maxAttempts}"]:::${n.status}`,
    );
  for (const n of nodes)
    for (const d of n.dependencies) if (id.has(d)) lines.push(`  ${id.get(d)} --> ${id.get(n.name)}`);
  lines.push(...MERMAID_CLASSES);
  return lines.join('\n');
}

const MERMAID_CLASSES = [
  '  classDef pending fill:#f3f4f6,stroke:#9ca3af,color:#374151',
  '  classDef running fill:#e0f2fe,stroke:#0284c7,color:#0c4a6e',
  '  classDef waiting fill:#dbeafe,stroke:#2563eb,color:#1e3a8a,stroke-dasharray:6 3',
  '  classDef retrying fill:#fef3c7,stroke:#d97706,color:#78350f',
  '  classDef held fill:#fef3c7,stroke:#d97706,color:#78350f,stroke-dasharray:4 3',
  '  classDef complete fill:#dcfce7,stroke:#16a34a,color:#14532d',
  '  classDef failed fill:#fee2e2,stroke:#dc2626,color:#7f1d1d',
  '  classDef cancelled fill:#f3f4f6,stroke:#6b7280,color:#6b7280',
  '  classDef resolved fill:#f3e8ff,stroke:#9333ea,color:#581c87',
];

function escapeLabel(text: string): string {
  return text.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}
