import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXECUTION_STATUSES, TASK_STATE_FOR_STATUS } from '../../domain/execution-status.js';
import { STEP_STATES, stepBucket } from '../../domain/step-state.js';
import { STEP_TRANSITIONS } from '../../domain/step-transitions.js';
import { isTerminalTaskState, TASK_STATES, TERMINAL_TASK_STATES } from '../../domain/task-state.js';
import { TASK_TRANSITIONS } from '../../domain/task-transitions.js';
import { allowedPairs, shortestPath, type TransitionTable } from '../../domain/transition-table.js';

/** The migration that holds the generated state machines. */
export const STATE_MACHINE_MIGRATION = '000002_state_machines.sql';

const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const textArray = (items: readonly string[]): string => `'{${items.join(',')}}'::text[]`;

function rulesTable(name: string, table: TransitionTable<string, string>): string {
  const rows = allowedPairs(table).map(([from, to, event]) => `  (${quote(from)}, ${quote(event)}, ${quote(to)})`);
  return `create table tasker.${name} (
  from_state text not null,
  event text not null,
  to_state text not null,
  primary key (from_state, event)
);

insert into tasker.${name} (from_state, event, to_state) values
${rows.join(',\n')};`;
}

/** An immutable SQL function that is one CASE over `key` (inlined by the planner: no table read). */
function caseFunction(signature: string, returns: string, key: string, branches: Array<[string, string]>): string {
  const whens = branches.map(([k, v]) => `    when ${quote(k)} then ${v}`).join('\n');
  return `create or replace function tasker.${signature} returns ${returns} language sql immutable parallel safe as $$
  select case ${key}
${whens}
  end
$$;`;
}

function nextStateFunction(entity: 'task' | 'step', table: TransitionTable<string, string>): string {
  const branches = allowedPairs(table).map(([from, to, event]): [string, string] => [`${from} ${event}`, quote(to)]);
  return caseFunction(`${entity}_next(p_from text, p_event text)`, 'text', `p_from || ' ' || p_event`, branches);
}

function taskPathFunction(): string {
  const branches: Array<[string, string]> = [];
  for (const from of TASK_STATES.filter((s) => !isTerminalTaskState(s))) {
    for (const status of EXECUTION_STATUSES) {
      const path = shortestPath(TASK_TRANSITIONS, from, TASK_STATE_FOR_STATUS[status]);
      if (path) branches.push([`${from} ${status}`, textArray(path)]);
    }
  }
  return caseFunction('task_path(p_from text, p_status text)', 'text[]', `p_from || ' ' || p_status`, branches);
}

function bucketFunction(): string {
  return caseFunction('step_bucket(p_state text)', 'text', 'p_state', STEP_STATES.map((s) => [s, quote(stepBucket(s))]));
}

/**
 * The SQL side of the state machines, rendered from the domain tables in lib/domain: the rule
 * tables (for readers), and the immutable functions the engine walks with — next state per
 * event, the shortest path from a task state to the state an execution status asks for, the
 * counter bucket of a step state and the terminal task states. A test keeps the migration equal
 * to this text; `npx tsx lib/adapters/postgres/state-machine-sql.ts` rewrites it.
 */
export function stateMachineSql(): string {
  return `-- Generated from lib/domain by lib/adapters/postgres/state-machine-sql.ts: do not edit by hand.
-- The state machines: rule tables for readers, and immutable functions the engine walks with.

${rulesTable('task_transition_rules', TASK_TRANSITIONS)}

${rulesTable('step_transition_rules', STEP_TRANSITIONS)}

-- The state an event moves an entity to, or null when the event is not allowed from p_from.
${nextStateFunction('task', TASK_TRANSITIONS)}

${nextStateFunction('step', STEP_TRANSITIONS)}

-- The events that move a task from p_from to the state an execution status asks for.
${taskPathFunction()}

-- The per-task counter a step state counts in (in_flight, waiting, completed, failed, idle).
${bucketFunction()}

create or replace function tasker.task_is_terminal(p_state text) returns boolean language sql immutable parallel safe as $$
  select p_state = any(${textArray(TERMINAL_TASK_STATES)})
$$;
`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(join(import.meta.dirname, 'migrations', STATE_MACHINE_MIGRATION), stateMachineSql());
}
