-- The operator API (lib/api): operator actions audited with who did them, and what the API function reads, as
-- operations the runtime login may call (it holds no privilege on any table).
--
-- re-creates: tasker.cancel_task(uuid, text) -> tasker.cancel_task(uuid, text, text): p_actor, recorded with the action
-- re-creates: tasker.step_action(uuid, text, text, jsonb) -> tasker.step_action(uuid, text, text, jsonb, text): p_actor
-- re-creates: tasker.runtime_operations(): the list grows by the API's operations
-- adds: tasker.template_id, tasker.find_template, tasker.task_row, tasker.task_steps, tasker.task_transitions,
--       tasker.list_tasks (the store's read queries, unchanged, as functions)
--
-- Who and why: every transition an operator action writes carries metadata {operator_action, actor} (actor: the IAM
-- principal, the OS user, or null when the library was called without one); why is its reason; when, its created_at.

drop function if exists tasker.cancel_task(uuid, text);
drop function if exists tasker.step_action(uuid, text, text, jsonb);

create or replace function tasker.cancel_task(p_task uuid, p_reason text, p_actor text default null)
returns jsonb language plpgsql as $$
declare
  v_step uuid;
  v_meta jsonb := jsonb_build_object('operator_action', 'cancel', 'actor', p_actor);
begin
  perform 1 from tasker.tasks where task_uuid = p_task for update;
  if not found then return tasker.operator_refusal('no such task'); end if;
  if tasker.transition_task(p_task, 'cancel', p_reason, v_meta) is null then
    return tasker.operator_refusal('a task in state ' || (select state from tasker.tasks where task_uuid = p_task) || ' cannot be cancelled');
  end if;
  for v_step in select step_uuid from tasker.workflow_steps where task_uuid = p_task order by ordinal loop
    perform tasker.transition_step(v_step, 'cancel', p_reason, v_meta);
    perform tasker.supersede_open_dispatches(p_task, v_step);
  end loop;
  return jsonb_build_object('ok', true, 'outbox', jsonb_build_array(tasker.emit_task_lifecycle(p_task, 'task.cancelled')));
end $$;

-- As in 000012_blocked_tasks_end.sql; the transitions it writes carry the actor.
create or replace function tasker.step_action(
  p_step uuid, p_action text, p_reason text, p_result jsonb default null, p_actor text default null
) returns jsonb language plpgsql as $$
declare
  v_task uuid := (select task_uuid from tasker.workflow_steps where step_uuid = p_step);
  v_task_state text;
begin
  if v_task is null then return tasker.operator_refusal('no such step'); end if;
  select state into v_task_state from tasker.tasks where task_uuid = v_task for update;
  if tasker.task_is_terminal(v_task_state) and tasker.task_next(v_task_state, 'reopen') is null then
    return tasker.operator_refusal('the task is ' || v_task_state || ' and takes no more step actions');
  end if;
  if tasker.transition_step(p_step, p_action, p_reason, jsonb_build_object('operator_action', p_action, 'actor', p_actor)) is null then
    return tasker.operator_refusal(p_action || ' is not allowed for a step in state ' ||
                                   (select state from tasker.workflow_steps where step_uuid = p_step));
  end if;
  if tasker.task_is_terminal(v_task_state) then
    perform tasker.walk_task(v_task, '{reopen}', array[p_reason], jsonb_build_object('operator_action', p_action, 'step_uuid', p_step, 'actor', p_actor));
    update tasker.tasks set completed_at = null, blocked_at = now() where task_uuid = v_task;
  end if;
  perform tasker.supersede_open_dispatches(v_task, p_step);
  update tasker.workflow_steps
     set attempts = case when p_action = 'reset_for_retry' then 0 else attempts end,
         next_attempt_at = null,
         results = case when p_action = 'complete_manually' then coalesce(p_result, 'null'::jsonb) else results end
   where step_uuid = p_step;
  if p_action = 'complete_manually' then perform tasker.apply_dynamic_now(v_task, p_step, p_result); end if; -- issue 15
  return jsonb_build_object('ok', true, 'outbox', tasker.evaluate_task(v_task));
end $$;

-- The newest version of a registered template (or the given one); null when none is registered.
create or replace function tasker.template_id(p_namespace text, p_name text, p_version text default null)
returns bigint language sql stable as $$
  select nt.named_task_id from tasker.named_tasks nt join tasker.namespaces ns using (namespace_id)
   where ns.name = p_namespace and nt.name = p_name and (p_version is null or nt.version = p_version)
   order by nt.version_sort desc limit 1
$$;

create or replace function tasker.find_template(p_namespace text, p_name text, p_version text default null)
returns jsonb language sql stable as $$
  select nt.template from tasker.named_tasks nt where nt.named_task_id = tasker.template_id(p_namespace, p_name, p_version)
$$;

create or replace function tasker.task_row(p_task uuid) returns table (
  task_uuid uuid, namespace text, name text, version text, state text, context jsonb, correlation_id uuid,
  priority int, created_at timestamptz, completed_at timestamptz
) language sql stable as $$
  select t.task_uuid, ns.name, nt.name, nt.version, t.state, t.context, t.correlation_id, t.priority, t.created_at, t.completed_at
    from tasker.tasks t
    join tasker.named_tasks nt using (named_task_id)
    join tasker.namespaces ns using (namespace_id)
   where t.task_uuid = p_task
$$;

create or replace function tasker.task_steps(p_task uuid) returns table (
  step_uuid uuid, name text, namespace text, state text, attempts int, max_attempts int, retryable boolean,
  dependencies text[], results jsonb, last_error jsonb, next_attempt_at timestamptz, last_attempted_at timestamptz,
  ordinal int, step_type text, wait_deadline_at timestamptz, batch_index int, batch_count int
) language sql stable as $$
  select s.step_uuid, s.name, coalesce(s.namespace, t.namespace_name), s.state, s.attempts, s.max_attempts, s.retryable,
         coalesce((select array_agg(d.name order by d.ordinal)
                     from (select p.name, min(p.ordinal) as ordinal
                             from tasker.workflow_step_edges e join tasker.workflow_steps p on p.step_uuid = e.from_step_uuid
                            where e.to_step_uuid = s.step_uuid group by p.name) d), '{}'),
         s.results, s.last_error, s.next_attempt_at, s.last_attempted_at, s.ordinal, s.step_type,
         (select d.wait_deadline_at from tasker.step_dispatches d
           where d.task_uuid = s.task_uuid and d.step_uuid = s.step_uuid and d.status = 'dispatched'
             and d.wait_deadline_at is not null),
         s.batch_index, s.batch_count
    from tasker.workflow_steps s
    join tasker.tasks t using (task_uuid)
   where s.task_uuid = p_task
   order by s.ordinal
$$;

-- A task (a row even without the step) and its step by name, with the step's signal_schema from its template
-- (queries.ts SIGNAL_TARGET), for the runtime login: a signal through the API function.
create or replace function tasker.signal_target(p_task uuid, p_step text) returns table (
  step_uuid uuid, step_type text, publishes_events jsonb, signal_schema jsonb
) language sql stable as $$
  select s.step_uuid, s.step_type, s.publishes_events,
         (select x->'wait'->'signalSchema' from jsonb_array_elements(nt.template->'steps') x where x->>'name' = s.name)
    from tasker.tasks t
    join tasker.named_tasks nt using (named_task_id)
    left join tasker.workflow_steps s on s.task_uuid = t.task_uuid and s.name = p_step
   where t.task_uuid = p_task
$$;

-- A task's audit trail, one row per event, in the order it happened (queries.ts says how).
create or replace function tasker.task_transitions(p_task uuid) returns table (
  entity text, uuid uuid, from_state text, to_state text, reason text, metadata jsonb, created_at timestamptz
) language sql stable as $$
  select x.entity, x.uuid, x.from_state, x.to_state, x.reason, x.metadata, x.created_at from (
    select 'step' as entity, w.step_uuid as uuid, coalesce(w.step_states[e.i - 1], w.step_from) as from_state, e.to_state,
           w.step_reasons[e.i] as reason, w.metadata, w.created_at, w.kind, w.id, 0 as part, s.ordinal, e.i
      from tasker.walks w
      join tasker.workflow_steps s on s.step_uuid = w.step_uuid
      cross join lateral unnest(w.step_states) with ordinality as e(to_state, i)
     where w.task_uuid = p_task
    union all
    select 'task', w.task_uuid, coalesce(w.task_states[e.i - 1], w.task_from), e.to_state, w.task_reasons[e.i],
           case when w.step_uuid is null then w.metadata else '{}'::jsonb end, w.created_at, w.kind, w.id, 1, 0, e.i
      from tasker.walks w
      cross join lateral unnest(w.task_states) with ordinality as e(to_state, i)
     where w.task_uuid = p_task
  ) x
   order by x.created_at, x.kind, x.id, x.part, x.ordinal, x.i
$$;

-- Tasks newest first, filtered; p_after_us/p_after_uuid: the last row of the previous page (created_at in microseconds
-- since the epoch, exact, and the uuid that breaks ties). No index serves it: operators list, the engine never does.
create or replace function tasker.list_tasks(
  p_namespace text, p_name text, p_state text, p_created_from timestamptz, p_created_to timestamptz,
  p_after_us bigint, p_after_uuid uuid, p_limit int
) returns table (
  task_uuid uuid, namespace text, name text, version text, state text, correlation_id uuid, priority int,
  created_at timestamptz, completed_at timestamptz, created_us bigint
) language sql stable as $$
  select t.task_uuid, t.namespace_name, t.task_name, t.task_version, t.state, t.correlation_id, t.priority,
         t.created_at, t.completed_at, (extract(epoch from t.created_at) * 1000000)::bigint
    from tasker.tasks t
   where (p_namespace is null or t.namespace_name = p_namespace)
     and (p_name is null or t.task_name = p_name)
     and (p_state is null or t.state = p_state)
     and (p_created_from is null or t.created_at >= p_created_from)
     and (p_created_to is null or t.created_at < p_created_to)
     and (p_after_us is null or (t.created_at, t.task_uuid) <
          ('epoch'::timestamptz + p_after_us * interval '1 microsecond', p_after_uuid))
   order by t.created_at desc, t.task_uuid desc
   limit p_limit
$$;

-- The API function (lib/api) logs in as the runtime: it creates tasks, reads them and takes the operator actions.
create or replace function tasker.runtime_operations() returns text[] language sql immutable as $$
  select array['apply_step_result', 'apply_step_results', 'evaluate_task_now', 'mark_outbox_sent', 'unsent_outbox', 'find_timed_out_dispatches', 'claim_due_retries', 'fail_blocked_tasks', 'mark_attempts_started', 'expire_waits',
               'create_task', 'cancel_task', 'step_action', 'template_id', 'find_template', 'task_row', 'task_steps', 'task_transitions', 'list_tasks',
               'signal_target', 'signal_step']
$$;

select tasker.grant_runtime_access();
