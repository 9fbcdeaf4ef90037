import pc from 'picocolors';
import { describeHeldRetry, heldRetry } from '../domain/held-retry.js';
import { PostgresOrchestrationStore } from '../adapters/postgres/postgres-orchestration-store.js';
import type { TaskView, TransitionView } from '../ports/orchestration-store.js';
import { out, type CliIo } from './cli-io.js';
import { displayStatus, renderDagText, renderMermaid, type DagNode } from './dag-picture.js';
import { openExistingDatabase, type DatabaseCliOptions } from './database-options.js';
import { CliError } from './errors.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { buildRunReport, stepDurations } from './run-report.js';
import { formatMs, renderSummary } from './run-summary.js';

export interface TaskShowOptions extends DatabaseCliOptions {
  readonly mermaid?: boolean;
  readonly json?: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `tasker task show <uuid>`: the task with its steps, a DAG picture and its transitions (or a Mermaid flowchart, or JSON). */
export async function taskShowCommand(taskUuid: string, opts: TaskShowOptions, io: CliIo): Promise<ExitCode> {
  if (!UUID.test(taskUuid)) throw new CliError('invalid_uuid', `'${taskUuid}' is not a task uuid`);
  const database = await openExistingDatabase(opts, io, 'tasker task show');
  try {
    const store = new PostgresOrchestrationStore(database.pool);
    const task = await store.getTask(taskUuid);
    if (!task) throw new CliError('task_not_found', `no task ${taskUuid} in this database`, { exitCode: EXIT.failed });
    const transitions = await store.transitions(taskUuid);
    if (opts.mermaid) out(io, renderMermaid(dagNodes(task, transitions)));
    else if (opts.json) out(io, JSON.stringify({ ...buildRunReport(task, transitions), transitions }, null, 2));
    else printTask(io, task, transitions);
    return EXIT.ok;
  } finally {
    await database.close();
  }
}

export function dagNodes(task: TaskView, transitions: readonly TransitionView[]): DagNode[] {
  const durations = stepDurations(transitions);
  return task.steps.map((s) => {
    const error =
      s.lastError && s.state !== 'complete'
        ? `${String(s.lastError.error_type)}: ${String(s.lastError.message)}`
        : undefined;
    const held = heldRetry(task.state, s, task.steps);
    const duration = durations.get(s.stepUuid);
    const waiting = s.waitDeadline ? `waiting for a signal until ${new Date(s.waitDeadline).toISOString()}` : undefined;
    const note = held
      ? `retry held: ${describeHeldRetry(held)} (after ${error})`
      : (waiting ?? error ?? (duration === undefined ? undefined : formatMs(duration)));
    const status = held ? 'held' : displayStatus(s.state, s.stepType);
    return {
      name: s.name,
      dependencies: s.dependencies,
      status,
      attempts: s.attempts,
      maxAttempts: s.maxAttempts,
      ...(note ? { note } : {}),
      ...(s.stepType === 'wait' ? { kind: 'wait' as const } : {}),
    };
  });
}

function printTask(io: CliIo, task: TaskView, transitions: readonly TransitionView[]): void {
  const color = io.stdout.isTTY === true && !io.env.CI;
  for (const line of renderSummary(buildRunReport(task, transitions), { color, events: false, cwd: io.cwd }))
    out(io, line);
  out(io, `  correlation ${task.correlationId}, created ${new Date(task.createdAt).toISOString()}`);
  out(io, '');
  out(io, 'DAG:');
  for (const line of renderDagText(dagNodes(task, transitions), { color })) out(io, line);
  out(io, '');
  out(io, `Transitions (${transitions.length}):`);
  const names = new Map(task.steps.map((s) => [s.stepUuid, s.name]));
  for (const t of transitions) {
    const who = t.entity === 'task' ? 'task' : `step ${names.get(t.uuid) ?? t.uuid}`;
    const at = new Date(t.createdAt).toISOString().slice(11, 23);
    const line = `  ${at}  ${who}: ${t.fromState ?? '(new)'} → ${t.toState}${t.reason ? `  (${t.reason})` : ''}`;
    out(io, color ? line.replace(/→ (\S+)/, (_, s: string) => `→ ${pc.bold(s)}`) : line);
  }
}
