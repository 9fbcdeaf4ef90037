/** Read-only queries the store runs directly; everything that writes is a SQL function in migrations/. */

/** A template through tasker.find_template, which the runtime login may call (it reads no table). */
export const TEMPLATE_LOOKUP = 'select tasker.find_template($1, $2, $3) as template';

/** A task (a row even without the step) and its step by name, with the step's signal_schema from its template. */
export const SIGNAL_TARGET = `
  select s.step_uuid, s.step_type, s.publishes_events,
         (select x->'wait'->'signalSchema' from jsonb_array_elements(nt.template->'steps') x where x->>'name' = s.name) as signal_schema
    from tasker.tasks t
    join tasker.named_tasks nt using (named_task_id)
    left join tasker.workflow_steps s on s.task_uuid = t.task_uuid and s.name = $2
   where t.task_uuid = $1`;

export const TASK_BY_UUID = `
  select t.*, ns.name as namespace, nt.name, nt.version
    from tasker.tasks t
    join tasker.named_tasks nt using (named_task_id)
    join tasker.namespaces ns using (namespace_id)
   where t.task_uuid = $1`;

export const STEPS_OF_TASK = `
  select s.*, coalesce(s.namespace, ns.name) as namespace,
         (select d.wait_deadline_at from tasker.step_dispatches d
           where d.task_uuid = s.task_uuid and d.step_uuid = s.step_uuid and d.status = 'dispatched'
             and d.wait_deadline_at is not null) as wait_deadline_at,
         coalesce((select array_agg(d.name order by d.ordinal)
                     from (select p.name, min(p.ordinal) as ordinal
                             from tasker.workflow_step_edges e join tasker.workflow_steps p on p.step_uuid = e.from_step_uuid
                            where e.to_step_uuid = s.step_uuid group by p.name) d), '{}') as dependencies
    from tasker.workflow_steps s
    join tasker.tasks t using (task_uuid)
    join tasker.named_tasks nt using (named_task_id)
    join tasker.namespaces ns using (namespace_id)
   where s.task_uuid = $1
   order by s.ordinal`;

/**
 * A task's audit trail, one row per event, in the order it happened (tasker.walks: the walks
 * written, and those derived from the task's, its steps' and its dispatches' rows); within one
 * walk row, the step's events come before the task events they caused.
 */
export const TRANSITIONS_OF_TASK = `
  select entity, uuid, from_state, to_state, reason, metadata, created_at from (
    select 'step' as entity, w.step_uuid as uuid, coalesce(w.step_states[e.i - 1], w.step_from) as from_state, e.to_state,
           w.step_reasons[e.i] as reason, w.metadata, w.created_at, w.kind, w.id, 0 as part, s.ordinal, e.i
      from tasker.walks w
      join tasker.workflow_steps s on s.step_uuid = w.step_uuid
      cross join lateral unnest(w.step_states) with ordinality as e(to_state, i)
     where w.task_uuid = $1
    union all
    select 'task', w.task_uuid, coalesce(w.task_states[e.i - 1], w.task_from), e.to_state, w.task_reasons[e.i],
           case when w.step_uuid is null then w.metadata else '{}'::jsonb end, w.created_at, w.kind, w.id, 1, 0, e.i
      from tasker.walks w
      cross join lateral unnest(w.task_states) with ordinality as e(to_state, i)
     where w.task_uuid = $1
  ) x
   order by created_at, kind, id, part, ordinal, i`;

/** A page of tasks, newest first (tasker.list_tasks, migrations/000017_operator_api.sql). */
export const LIST_TASKS = 'select * from tasker.list_tasks($1, $2, $3, $4, $5, $6, $7, $8)';

/**
 * The reads above as the runtime login makes them: through the SQL functions of 000017_operator_api.sql (the same
 * queries, SECURITY DEFINER), since it holds no privilege on any table. The API function reads this way; a test keeps
 * both ways' answers equal (test/integration/postgres/runtime-role.test.ts).
 */
export const READS_VIA_FUNCTIONS: ReadStatements = {
  name: '_fn',
  templateLookup: 'select tasker.find_template($1, $2, $3) as template',
  templateId: '(select tasker.template_id($1, $2, $3) as named_task_id) nt where nt.named_task_id is not null',
  taskByUuid: 'select * from tasker.task_row($1)',
  stepsOfTask: 'select * from tasker.task_steps($1)',
  transitionsOfTask: 'select * from tasker.task_transitions($1)',
  signalTarget: 'select * from tasker.signal_target($1, $2)',
};

/** The statements one store reads with: the tables directly (the owner), or the functions (the runtime login). */
export interface ReadStatements {
  /** Appended to the names of the prepared statements, to tell one way's from the other's. */
  readonly name: string;
  readonly templateLookup: string;
  /** The FROM of create_task's call: one row with the template's `named_task_id`, none when it is not registered. */
  readonly templateId: string;
  readonly taskByUuid: string;
  readonly stepsOfTask: string;
  readonly transitionsOfTask: string;
  /** A task and its step by name, with the step's signal_schema (SIGNAL_TARGET). */
  readonly signalTarget: string;
}

export const READS_VIA_TABLES: ReadStatements = {
  name: '',
  templateLookup: TEMPLATE_LOOKUP,
  templateId:
    'tasker.named_tasks nt join tasker.namespaces ns using (namespace_id) where ns.name = $1 and nt.name = $2 and nt.version = $3',
  taskByUuid: TASK_BY_UUID,
  stepsOfTask: STEPS_OF_TASK,
  transitionsOfTask: TRANSITIONS_OF_TASK,
  signalTarget: SIGNAL_TARGET,
};
