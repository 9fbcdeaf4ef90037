import pc from 'picocolors';
import { describeHeldRetry } from '../domain/held-retry.js';
import type { RunReport, StepReport } from './run-report.js';

/** Stack frames the summary shows under a failed step (the --json report has more). */
const SUMMARY_FRAMES = 3;
/** Step states that mean the step gave up. */
const FAILED_STATES = new Set(['error', 'cancelled']);
const SETTLED_STATES = new Set(['complete', 'resolved_manually', 'error', 'cancelled', 'skipped']);

export interface SummaryOptions {
  readonly color?: boolean;
  /** false: leave out the domain events (the report has none to tell). */
  readonly events?: boolean;
  /** Stack frame paths under this directory are shown relative to it. */
  readonly cwd?: string;
}

type Colors = ReturnType<typeof pc.createColors>;

/**
 * The human summary printed at the end of `tasker run`: the task's state and duration, each step
 * with its retries and (when it gave up) its error and first stack frames, the domain events
 * published and those dropped with the reason.
 */
export function renderSummary(report: RunReport, options: SummaryOptions = {}): string[] {
  const c = options.color ? pc : pc.createColors(false);
  const t = report.task;
  const stateColor = t.state === 'complete' ? c.green : c.red;
  const took = t.duration_ms === null ? '' : ` in ${formatMs(t.duration_ms)}`;
  const width = Math.max(4, ...report.steps.map((s) => stepLabel(s).length));
  const lines = [`Task ${t.uuid} ${t.namespace}/${t.name}@${t.version}: ${stateColor(c.bold(t.state))}${took}`, ''];
  lines.push(c.dim(`  ${'step'.padEnd(width)}  ${'state'.padEnd(20)} attempts  duration`));
  for (const s of report.steps) lines.push(...stepLines(s, width, c, options.cwd, t.state));
  if (options.events === false) return lines;
  lines.push('', `Domain events (${report.domain_events.length})${report.domain_events.length === 0 ? '' : ':'}`);
  for (const e of report.domain_events) lines.push(`  ${e.name} from ${e.step} (${e.outcome})`);
  const dropped = report.dropped_domain_events ?? [];
  if (dropped.length > 0) lines.push('', c.yellow(`Dropped domain events (${dropped.length}), not published:`));
  for (const d of dropped) lines.push(c.yellow(`  ${d.name} from ${d.step}: ${d.code}: ${d.reason}`));
  return lines;
}

function stepLines(s: StepReport, width: number, c: Colors, cwd: string | undefined, taskState: string): string[] {
  const pad = `  ${''.padEnd(width)}  `;
  const paint =
    s.state === 'complete' ? c.green : s.state === 'error' ? c.red : s.state === 'skipped' ? c.dim : c.yellow;
  const state = paint(s.state.padEnd(20));
  const lines = [
    `  ${stepLabel(s).padEnd(width)}  ${state} ${`${s.attempts}/${s.max_attempts}`.padEnd(8)}  ${s.duration_ms === null ? '-' : formatMs(s.duration_ms)}`,
  ];
  for (const r of s.retries) lines.push(c.dim(`${pad}↻ attempt ${r.attempt}: ${r.error_type}: ${r.message}`));
  if (s.retry_held) return [...lines, c.yellow(`${pad}⏸ ${heldLine(taskState, s)}`)];
  if (!s.error) return lines;
  if (FAILED_STATES.has(s.state)) {
    lines.push(c.red(`${pad}✖ ${s.error.error_type}: ${s.error.message}`));
    for (const frame of frames(s.error.stack, cwd)) lines.push(c.dim(`${pad}    ${frame}`));
  } else if (!SETTLED_STATES.has(s.state) && s.retries.length === 0) {
    // Still running: the error is an earlier attempt's, not the step's outcome.
    lines.push(c.dim(`${pad}↻ an earlier attempt failed: ${s.error.error_type}: ${s.error.message}`));
  }
  return lines;
}

/** The first frames of a stack, paths under `cwd` shortened. */
function frames(stack: string | undefined, cwd: string | undefined): string[] {
  if (!stack) return [];
  const shorten = (line: string) => (cwd ? line.replaceAll(`file://${cwd}/`, '').replaceAll(`${cwd}/`, '') : line);
  return stack
    .split('\n')
    .filter((l) => /^\s+at /.test(l))
    .slice(0, SUMMARY_FRAMES)
    .map((l) => shorten(l.trim()));
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** The attempt a held retry waits after, and what holds it. */
function heldLine(taskState: string, s: StepReport): string {
  const held = {
    taskState: taskState === 'error' ? 'error' : 'blocked_by_failures',
    blockedBy: s.retry_held?.blocked_by ?? [],
  } as const;
  return `attempt ${s.attempts}: ${s.error?.error_type}: ${s.error?.message}; retry held: ${describeHeldRetry(held)}`;
}

/** A step's name; a batch instance's with its index, `import_page[3]`. */
function stepLabel(s: Pick<StepReport, 'name' | 'batch_index'>): string {
  return s.batch_index === undefined ? s.name : `${s.name}[${s.batch_index}]`;
}
