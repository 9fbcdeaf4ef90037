-- Delayed start and the ingress (lib/ingress): a task created with run_at in the future is written pending with its steps
-- unclaimed; its root steps wait with next_attempt_at = run_at, so readiness skips them until then. When due, the task is
-- started by the tick on the completion queue (a retry_due message at run_at, re-armed while early: SQS delays stop at
-- 15 minutes) or, should the tick be lost, by the sweeper (claim_due_retries). No Lambda waits for it.
-- The ingress function logs in as the runtime: it looks templates up and creates tasks in batches.
--
-- re-creates: tasker.step_is_ready(text, int, int, int, timestamptz): a pending step waits for its next_attempt_at too
-- re-creates: tasker.create_task(bigint, jsonb, uuid, int, text, text, text, text) -> (..., p_run_at timestamptz): a
--             future run_at writes the task pending, roots pending with next_attempt_at = run_at, and a tick at run_at
-- re-creates: tasker.create_tasks(jsonb): passes each request's run_at
-- re-creates: tasker.evaluate_task(uuid, int[], tasker.step_dispatches, tasker.tasks, uuid[]) (000012's): a task not
--             yet due (run_at > now()) is not evaluated
-- re-creates: tasker.evaluate_task_now(uuid, boolean): re-arms the tick of a pending task not yet due as of a waiting one
-- re-creates: tasker.claim_due_retries(int): also the tasks whose delayed start is due
-- re-creates: view tasker.walks: a delayed task's derived creation walk is its creation only (pending)
-- re-creates: tasker.runtime_operations() (000017_operator_api.sql's): + create_tasks (the ingress function)
-- adds: tasker.delayed_creation_walk(text) (template_id and find_template, which the ingress uses, are 000017's)

-- When a delayed task's first steps are due; null for a task started at creation. Never changes, so no update of a
-- task's counters touches it (they stay HOT).
alter table tasker.tasks add column run_at timestamptz;

-- The root steps of delayed tasks not yet started (the sweeper looks for those due). A claim clears next_attempt_at.
create index workflow_steps_start_idx on tasker.workflow_steps (next_attempt_at)
  where state = 'pending' and next_attempt_at is not null;

-- As in 000004_readiness.sql, and a pending step with a next_attempt_at (a delayed task's root) waits for it.
create or replace function tasker.step_is_ready(
  p_state text, p_waiting_on int, p_attempts int, p_max_attempts int, p_next_attempt_at timestamptz
) returns boolean language sql stable as $$
  select p_state in ('pending', 'waiting_for_retry') and p_waiting_on = 0 and p_attempts < p_max_attempts
     and (p_attempts = 0 or p_state = 'pending' or p_next_attempt_at is null or p_next_attempt_at <= now())
     and (p_state <> 'pending' or p_next_attempt_at is null or p_next_attempt_at <= now())
$$;

-- The walk a delayed task takes as create_task writes it: created pending, nothing more until it is due.
create or replace function tasker.delayed_creation_walk(p_reason text) returns tasker.transitions language sql immutable as $$
  select row(null, null, null, null, null, null, null,
             null, array['pending'], array['create'], array[p_reason], '{}'::jsonb, null)::tasker.transitions
$$;

drop function tasker.create_task(bigint, jsonb, uuid, int, text, text, text, text);

-- As in 000006_task_lifecycle.sql, with p_run_at: a time in the future delays the start (see the top of this file).
create or replace function tasker.create_task(
  p_named_task bigint, p_context jsonb, p_correlation_id uuid, p_priority int,
  p_identity_strategy text, p_idempotency_key text, p_initiator text, p_reason text, p_run_at timestamptz default null
) returns jsonb language plpgsql as $$
declare
  v_hash text := tasker.identity_hash(p_named_task, p_identity_strategy, p_context, p_idempotency_key);
  v_task uuid := gen_random_uuid();
  v_template jsonb;
  v_walk tasker.transitions;
  v_roots uuid[];
  v_claim record;
  v_root_count int;
  v_namespace text;
  v_name text;
  v_version text;
  v_correlation uuid := coalesce(p_correlation_id, gen_random_uuid());
  v_delayed boolean := coalesce(p_run_at > now(), false);
begin
  select nt.template, ns.name, nt.name, nt.version,
         (select count(*)::int from jsonb_array_elements(nt.template->'steps') s
           where jsonb_array_length(coalesce(s->'dependencies', '[]'::jsonb)) = 0)
    into v_template, v_namespace, v_name, v_version, v_root_count
    from tasker.named_tasks nt join tasker.namespaces ns on ns.namespace_id = nt.namespace_id
   where nt.named_task_id = p_named_task;
  -- The task is written in the state its creation walk ends in; the audit derives that walk.
  v_walk := case when v_delayed then tasker.delayed_creation_walk(p_reason) else tasker.creation_walk(p_reason) end;
  insert into tasker.tasks (task_uuid, named_task_id, namespace_name, task_name, task_version, context, identity_strategy, identity_hash,
                            correlation_id, priority, initiator, reason, state, total_steps, in_flight_steps, run_at)
  values (v_task, p_named_task, v_namespace, v_name, v_version, p_context, p_identity_strategy, v_hash, v_correlation, p_priority, p_initiator, p_reason,
          v_walk.task_states[cardinality(v_walk.task_states)], jsonb_array_length(v_template->'steps'),
          case when v_delayed then 0 else v_root_count end, case when v_delayed then p_run_at end)
  on conflict (identity_hash) where identity_strategy <> 'always_unique' do nothing;
  if not found then
    return (select jsonb_build_object('task_uuid', task_uuid, 'created', false, 'state', state,
              'correlation_id', correlation_id, 'outbox', '[]'::jsonb)
              from tasker.tasks where identity_hash = v_hash and identity_strategy <> 'always_unique');
  end if;
  v_roots := tasker.insert_steps(v_task, v_template);
  if v_delayed then
    update tasker.workflow_steps set state = 'pending', attempts = 0, last_attempted_at = null, next_attempt_at = p_run_at
     where step_uuid = any(v_roots);
    return jsonb_build_object('task_uuid', v_task, 'created', true, 'state', 'pending', 'correlation_id', v_correlation,
                              'outbox', jsonb_build_array(tasker.emit_retry_due(v_task, p_run_at)));
  end if;
  v_claim := tasker.claim_steps_locked(v_task, v_roots, true);
  if v_claim.claimed <> v_root_count then
    raise exception 'task % claimed % of its % root steps', v_task, v_claim.claimed, v_root_count using errcode = 'TK003';
  end if;
  return jsonb_build_object('task_uuid', v_task, 'created', true, 'state', v_walk.task_states[cardinality(v_walk.task_states)],
                            'correlation_id', v_correlation, 'outbox', v_claim.outbox);
end $$;

-- As in 000006_task_lifecycle.sql; each request may carry run_at.
create or replace function tasker.create_tasks(p_requests jsonb) returns jsonb language plpgsql as $$
declare
  x record;
  v_out jsonb := '[]'::jsonb;
begin
  for x in
    select r, nt.named_task_id
      from jsonb_array_elements(p_requests) with ordinality as e(r, i)
      left join tasker.namespaces ns on ns.name = r->>'namespace'
      left join tasker.named_tasks nt on nt.namespace_id = ns.namespace_id and nt.name = r->>'name' and nt.version = r->>'version'
     order by i
  loop
    v_out := v_out || jsonb_build_array(case when x.named_task_id is not null then
      tasker.create_task(x.named_task_id, x.r->'context', (x.r->>'correlation_id')::uuid, coalesce((x.r->>'priority')::int, 0),
                         x.r->>'identity_strategy', x.r->>'idempotency_key', x.r->>'initiator', x.r->>'reason',
                         (x.r->>'run_at')::timestamptz) end);
  end loop;
  return v_out;
end $$;

-- As in 000012_blocked_tasks_end.sql (the newest), and a task not yet due is left as it is.
create or replace function tasker.evaluate_task(
  p_task uuid, p_delta int[] default '{0,0,0,0}', p_pending tasker.step_dispatches default null, p_row tasker.tasks default null,
  p_released uuid[] default null
) returns jsonb language plpgsql as $$
declare
  t tasker.tasks;
  v_ready uuid[] := '{}';
  v_status text;
  v_walk tasker.transitions;
  v_to text;
  v_claim record;
  v_closed int;
  v_grace bigint;
  v_out jsonb := '[]'::jsonb;
begin
  if p_row.task_uuid is null then select * into t from tasker.tasks where task_uuid = p_task; else t := p_row; end if;
  t.in_flight_steps := t.in_flight_steps + p_delta[1];
  t.waiting_steps := t.waiting_steps + p_delta[2];
  t.completed_steps := t.completed_steps + p_delta[3];
  t.failed_steps := t.failed_steps + p_delta[4];
  v_to := t.state;
  -- A delayed task (run_at, 000016) is not evaluated before it is due: it stays pending, nothing claimed.
  if not tasker.task_is_terminal(t.state) and not coalesce(t.run_at > now(), false) then
    -- The ready set is computed once: it decides the status and is what gets claimed. After
    -- results (p_released given), a step can only have become ready by losing its last unmet
    -- parent, or by its backoff ending: only those are looked at. Otherwise the task is scanned,
    -- unless its counters say every step is in flight, complete or failed.
    if t.waiting_steps > 0 or (p_released is null and t.total_steps > t.in_flight_steps + t.completed_steps + t.failed_steps) then
      v_ready := tasker.ready_step_ids(p_task);
    elsif cardinality(p_released) > 0 then
      v_ready := p_released;
    end if;
    v_status := tasker.execution_status(t.failed_steps, cardinality(v_ready), t.in_flight_steps, t.waiting_steps, t.completed_steps, t.total_steps);
    v_walk.task_from := t.state;
    v_walk.task_events := tasker.task_path(t.state, v_status);
    v_walk.task_reasons := array_fill(case v_status
        when 'has_ready_steps' then 'steps dispatched' when 'processing' then 'steps in process'
        when 'all_complete' then 'all steps complete' when 'blocked_by_failures' then 'a step failed permanently'
        else v_status end, array[cardinality(v_walk.task_events)]);
    if v_status = 'blocked_by_failures' then
      v_grace := tasker.blocked_task_grace_ms();
      if tasker.blocked_task_fails(t.in_flight_steps, case when t.state = 'blocked_by_failures' then coalesce(t.blocked_at, now()) else now() end, v_grace, now()) then
        v_walk.task_events := v_walk.task_events || 'fail'::text;
        v_walk.task_reasons := v_walk.task_reasons || case when v_grace = 0 then 'a step failed permanently and nothing is in flight'
                                                          else 'blocked with nothing in flight for its grace of ' || v_grace || ' ms' end;
      end if;
    end if;
    v_walk.task_states := tasker.walk_states('task', t.state, v_walk.task_events);
    if cardinality(v_walk.task_events) = 0 then v_walk := null; else v_to := v_walk.task_states[cardinality(v_walk.task_states)]; end if;
    if v_status <> 'has_ready_steps' then v_ready := '{}'; end if;
  end if;
  if p_pending.event_id is not null then
    p_pending.task_from := v_walk.task_from;
    p_pending.task_states := v_walk.task_states;
    p_pending.task_events := v_walk.task_events;
    p_pending.task_reasons := v_walk.task_reasons;
    v_closed := tasker.close_dispatch(p_pending);
    v_walk := null;
  end if;
  if v_walk.task_events is not null then
    insert into tasker.transitions (task_uuid, task_from, task_states, task_events, task_reasons)
    values (p_task, v_walk.task_from, v_walk.task_states, v_walk.task_events, v_walk.task_reasons);
  end if;
  if cardinality(v_ready) > 0 then
    v_claim := tasker.claim_steps_locked(p_task, v_ready);
    v_out := v_claim.outbox;
    t.in_flight_steps := t.in_flight_steps + v_claim.claimed;
    t.waiting_steps := t.waiting_steps - v_claim.from_waiting;
  end if;
  if v_to <> t.state or p_delta <> '{0,0,0,0}' or cardinality(v_ready) > 0 then
    update tasker.tasks
       set state = v_to, in_flight_steps = t.in_flight_steps, waiting_steps = t.waiting_steps,
           completed_steps = t.completed_steps, failed_steps = t.failed_steps,
           updated_at = now(), completed_at = case when v_to <> t.state and tasker.task_is_terminal(v_to) then now() else completed_at end,
           blocked_at = case when v_to = 'blocked_by_failures' then coalesce(t.blocked_at, now()) end
     where task_uuid = p_task;
  end if;
  -- A blocked or failed task's retries are held: no due time, so no tick or sweep claims them;
  -- they are ready the moment the task is unblocked.
  if v_to in ('blocked_by_failures', 'error') and t.waiting_steps > 0 then
    update tasker.workflow_steps set next_attempt_at = null
     where task_uuid = p_task and state = 'waiting_for_retry' and next_attempt_at is not null;
  end if;
  if v_to <> t.state and v_to in ('complete', 'blocked_by_failures', 'error') then
    v_out := v_out || jsonb_build_array(tasker.emit_task_lifecycle(p_task,
      case v_to when 'complete' then 'task.completed' when 'error' then 'task.failed' else 'task.blocked_by_failures' end));
  end if;
  return v_out;
end $$;

-- As in 000008_recovery.sql; the tick a pending task not yet due waits for is re-armed as a waiting task's is.
create or replace function tasker.evaluate_task_now(p_task uuid, p_skip_locked boolean default false) returns jsonb language plpgsql as $$
declare
  v_out jsonb;
  v_due timestamptz;
begin
  if p_skip_locked then
    perform 1 from tasker.tasks where task_uuid = p_task for update skip locked;
  else
    perform 1 from tasker.tasks where task_uuid = p_task for update;
  end if;
  if not found then return null; end if;
  v_out := tasker.evaluate_task(p_task);
  -- The task waits for a retry exactly when evaluating it found nothing else to do; a delayed one for its run_at.
  select case t.state when 'waiting_for_retry' then tasker.next_retry_at(p_task) when 'pending' then t.run_at end
    into v_due from tasker.tasks t where t.task_uuid = p_task;
  if v_due > now() then v_out := v_out || jsonb_build_array(tasker.emit_retry_due(p_task, v_due)); end if;
  return v_out;
end $$;

-- As in 000008_recovery.sql: tasks with a step whose backoff elapsed, and those whose delayed start is due.
create or replace function tasker.claim_due_retries(p_limit int) returns jsonb language plpgsql as $$
declare
  v_task uuid;
  v_out jsonb := '[]'::jsonb;
begin
  for v_task in
    select s.task_uuid from tasker.workflow_steps s
     where s.state = 'waiting_for_retry' and s.next_attempt_at <= now()
    union
    select s.task_uuid from tasker.workflow_steps s
     where s.state = 'pending' and s.next_attempt_at <= now()
     limit p_limit
  loop
    v_out := v_out || coalesce(tasker.evaluate_task_now(v_task, true), '[]'::jsonb);
  end loop;
  return v_out;
end $$;

-- As in 000003_walks.sql, a delayed task's creation walk derived as delayed_creation_walk.
create or replace view tasker.walks as
  select t.id, 2 as kind, t.task_uuid, t.step_uuid, t.step_from, t.step_states, t.step_events, t.step_reasons,
         t.task_from, t.task_states, t.task_events, t.task_reasons, t.metadata, t.created_at
    from tasker.transitions t
  union all
  select 0, 0, k.task_uuid, null, null, null, null, null, (c.w).task_from, (c.w).task_states, (c.w).task_events, (c.w).task_reasons,
         '{}'::jsonb, k.created_at
    from tasker.tasks k cross join lateral (select case when k.run_at is null then tasker.creation_walk(k.reason) else tasker.delayed_creation_walk(k.reason) end as w) c
   where k.total_steps > 0
  union all
  select 0, 0, s.task_uuid, s.step_uuid, null, '{pending}', '{create}', '{task created}', null, null, null, null, '{}'::jsonb, s.created_at
    from tasker.workflow_steps s
  union all
  select 0, 1, d.task_uuid, d.step_uuid, c.from_state, array[tasker.step_next(c.from_state, 'enqueue')], '{enqueue}', '{dependencies met}',
         null, null, null, null, '{}'::jsonb, d.dispatched_at
    from tasker.step_dispatches d
   cross join lateral (select case when d.attempt = 1 then 'pending' else 'waiting_for_retry' end as from_state) c
  union all
  select 0, 2, d.task_uuid, d.step_uuid, d.step_from, d.step_states, d.step_events, d.step_reasons,
         d.task_from, d.task_states, d.task_events, d.task_reasons, d.metadata, d.completed_at
    from tasker.step_dispatches d
   where d.step_states is not null;

-- The ingress function (lib/lambda/ingress-lambda.ts) logs in as the runtime: it looks templates up and creates tasks in batches.
create or replace function tasker.runtime_operations() returns text[] language sql immutable as $$
  select array['apply_step_result', 'apply_step_results', 'evaluate_task_now', 'mark_outbox_sent', 'unsent_outbox', 'find_timed_out_dispatches', 'claim_due_retries', 'fail_blocked_tasks', 'mark_attempts_started', 'expire_waits',
               'create_task', 'cancel_task', 'step_action', 'template_id', 'find_template', 'task_row', 'task_steps', 'task_transitions', 'list_tasks',
               'signal_target', 'signal_step', 'create_tasks']
$$;

select tasker.grant_runtime_access();
