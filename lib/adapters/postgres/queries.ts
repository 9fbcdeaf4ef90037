/** Read-only queries the store runs directly; everything that writes is a SQL function in migrations/. */

export const TEMPLATE_LOOKUP = `
  select nt.template from tasker.named_tasks nt join tasker.namespaces ns using (namespace_id)
   where ns.name = $1 and nt.name = $2 and ($3::text is null or nt.version = $3)
   order by nt.version_sort desc limit 1`;

export const TASK_BY_UUID = `
  select t.*, ns.name as namespace, nt.name, nt.version
    from tasker.tasks t
    join tasker.named_tasks nt using (named_task_id)
    join tasker.namespaces ns using (namespace_id)
   where t.task_uuid = $1`;

export const STEPS_OF_TASK = `
  select s.*, coalesce(s.namespace, ns.name) as namespace,
         coalesce((select array_agg(p.name order by p.ordinal)
                     from tasker.workflow_step_edges e join tasker.workflow_steps p on p.step_uuid = e.from_step_uuid
                    where e.to_step_uuid = s.step_uuid), '{}') as dependencies
    from tasker.workflow_steps s
    join tasker.tasks t using (task_uuid)
    join tasker.named_tasks nt using (named_task_id)
    join tasker.namespaces ns using (namespace_id)
   where s.task_uuid = $1
   order by s.ordinal`;

/**
 * A task's audit trail, one row per event, in the order it happened: the creation of its steps
 * (derived from their rows), then each walk row, its step's events before the task events it
 * caused (the task's creation is the first event of its first walk).
 */
export const TRANSITIONS_OF_TASK = `
  select entity, uuid, from_state, to_state, reason, metadata, created_at from (
    select 'step' as entity, s.step_uuid as uuid, null::text as from_state, 'pending'::text as to_state, 'task created'::text as reason,
           '{}'::jsonb as metadata, s.created_at, 0::bigint as id, 0 as part, s.ordinal, 0::bigint as i
      from tasker.workflow_steps s where s.task_uuid = $1
    union all
    select 'step', w.step_uuid, coalesce(w.step_states[e.i - 1], w.step_from), e.to_state, e.reason, w.metadata, w.created_at, w.id, 0, 0, e.i
      from tasker.transitions w cross join lateral unnest(w.step_states, w.step_reasons) with ordinality as e(to_state, reason, i)
     where w.task_uuid = $1 and w.step_uuid is not null
    union all
    select 'task', w.task_uuid, coalesce(w.task_states[e.i - 1], w.task_from), e.to_state, e.reason,
           case when w.step_uuid is null then w.metadata else '{}'::jsonb end, w.created_at, w.id, 1, 0, e.i
      from tasker.transitions w cross join lateral unnest(w.task_states, w.task_reasons) with ordinality as e(to_state, reason, i)
     where w.task_uuid = $1 and w.task_states is not null
  ) x
   order by id, part, ordinal, i`;
