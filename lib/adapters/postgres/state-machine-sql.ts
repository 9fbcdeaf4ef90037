import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXECUTION_STATUSES, TASK_STATE_FOR_STATUS } from '../../domain/execution-status.js';
import { STEP_STATES, stepBucket } from '../../domain/step-state.js';
import { STEP_TRANSITIONS } from '../../domain/step-transitions.js';
import { isTerminalTaskState, TASK_STATES, TERMINAL_TASK_STATES } from '../../domain/task-state.js';
import { TASK_TRANSITIONS, taskWalk } from '../../domain/task-transitions.js';
import { allowedPairs, type TransitionTable } from '../../domain/transition-table.js';

/** The first line of every migration this module generated: the newest such file holds the state machines now in force. */
export const GENERATED_HEADER =
  '-- Generated from lib/domain by lib/adapters/postgres/state-machine-sql.ts: do not edit by hand.';

/**
 * How a generated migration brings the rules in. Migrations are append-only, so the baseline
 * (000002_state_machines.sql) `create`s the rule tables, and every later change of the domain's
 * tables is a new file that `replace`s their rows and re-creates the functions (all of them: the
 * paths depend on the whole table).
 */
export type StateMachineSqlMode = 'create' | 'replace';

const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const textArray = (items: readonly string[]): string => `'{${items.join(',')}}'::text[]`;

function rulesTable(name: string, table: TransitionTable<string, string>, mode: StateMachineSqlMode): string {
  const rows = allowedPairs(table).map(([from, to, event]) => `  (${quote(from)}, ${quote(event)}, ${quote(to)})`);
  const head =
    mode === 'create'
      ? `create table tasker.${name} (
  from_state text not null,
  event text not null,
  to_state text not null,
  primary key (from_state, event)
);`
      : `delete from tasker.${name};`;
  return `${head}

insert into tasker.${name} (from_state, event, to_state) values
${rows.join(',\n')};`;
}

/**
 * An immutable SQL function that looks `key` up in one constant jsonb object (inlined by the planner: no table read).
 * Not a CASE: PL/pgSQL prepares each expression again in every transaction, and an inlined CASE of some thirty
 * branches cost about 8 µs to prepare wherever it was called (migration 000026); a constant and one operator cost
 * next to nothing, and the lookup (a binary search of the object's keys) runs as fast. A key it does not hold gives
 * null, as a CASE without ELSE did. A text[] value is held as its items joined by commas (string_to_array, immutable
 * like the rest, so the function stays inlined; a cast from text would not be).
 */
function lookupFunction(
  signature: string,
  returns: 'text' | 'text[]',
  key: string,
  entries: Array<[string, string]>,
): string {
  const object = quote(JSON.stringify(Object.fromEntries(entries)));
  const lookup = `${object}::jsonb ->> (${key})`;
  return `create or replace function tasker.${signature} returns ${returns} language sql immutable parallel safe as $$
  select ${returns === 'text' ? lookup : `string_to_array(${lookup}, ',')`}
$$;`;
}

function nextStateFunction(entity: 'task' | 'step', table: TransitionTable<string, string>): string {
  const entries = allowedPairs(table).map(([from, to, event]): [string, string] => [`${from} ${event}`, to]);
  return lookupFunction(`${entity}_next(p_from text, p_event text)`, 'text', `p_from || ' ' || p_event`, entries);
}

function taskPathFunction(): string {
  const branches: Array<[string, string]> = [];
  for (const from of TASK_STATES.filter((s) => !isTerminalTaskState(s))) {
    for (const status of EXECUTION_STATUSES) {
      const path = taskWalk(from, TASK_STATE_FOR_STATUS[status]);
      if (path) branches.push([`${from} ${status}`, path.join(',')]);
    }
  }
  return lookupFunction('task_path(p_from text, p_status text)', 'text[]', `p_from || ' ' || p_status`, branches);
}

function bucketFunction(): string {
  return lookupFunction(
    'step_bucket(p_state text)',
    'text',
    'p_state',
    STEP_STATES.map((s) => [s, stepBucket(s)]),
  );
}

const PURPOSE: Record<StateMachineSqlMode, string> = {
  create: '-- The state machines: rule tables for readers, and immutable functions the engine walks with.',
  replace:
    "-- The state machines as the domain holds them now: the rule tables' rows replaced, the functions re-created.",
};

/**
 * The SQL side of the state machines, rendered from the domain tables in lib/domain: the rule
 * tables (for readers), and the immutable functions the engine walks with — next state per
 * event, the shortest path from a task state to the state an execution status asks for, the
 * counter bucket of a step state and the terminal task states. A test keeps the newest generated
 * migration equal to the `replace` text; after changing a table in lib/domain, write it to a new
 * migration with `npx tsx lib/adapters/postgres/state-machine-sql.ts NNNNNN_<what>.sql`.
 *
 * @example
 * stateMachineSql('replace').startsWith(GENERATED_HEADER) // true
 */
export function stateMachineSql(mode: StateMachineSqlMode = 'replace'): string {
  return `${GENERATED_HEADER}
${PURPOSE[mode]}

${rulesTable('task_transition_rules', TASK_TRANSITIONS, mode)}

${rulesTable('step_transition_rules', STEP_TRANSITIONS, mode)}

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

/** The newest migration this module generated (by name, among `NNNNNN_name.sql` files): the state machines in force. */
export function newestGeneratedMigration<M extends { readonly name: string; readonly sql: string }>(
  migrations: readonly M[],
): M | undefined {
  return [...migrations]
    .sort((a, b) => a.name.localeCompare(b.name))
    .findLast((m) => m.sql.startsWith(GENERATED_HEADER));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file || !/^\d{6}_[a-z0-9_]+\.sql$/.test(file)) {
    process.stderr.write(
      'usage: npx tsx lib/adapters/postgres/state-machine-sql.ts NNNNNN_<what>.sql  (a new migration: the next free number)\n',
    );
    process.exit(2);
  }
  writeFileSync(join(import.meta.dirname, 'migrations', file), stateMachineSql('replace'));
}
