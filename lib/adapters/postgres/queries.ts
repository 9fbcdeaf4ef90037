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

export const TRANSITIONS_OF_TASK = `
  select 'task' as entity, task_uuid as uuid, from_state, to_state, reason, metadata, created_at, 0 as ordinal, sort_key
    from tasker.task_transitions where task_uuid = $1
  union all
  select 'step', st.step_uuid, st.from_state, st.to_state, st.reason, st.metadata, st.created_at, s.ordinal, st.sort_key
    from tasker.workflow_step_transitions st join tasker.workflow_steps s using (step_uuid)
   where s.task_uuid = $1
   order by created_at, ordinal, sort_key`;
