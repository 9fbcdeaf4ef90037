-- Templates, task creation, and the evaluation that finalizes a task or dispatches its ready steps.

create or replace function tasker.version_sort(p_version text) returns int[] language sql immutable as $$
  select array[
    split_part(split_part(p_version, '-', 1), '.', 1)::int,
    split_part(split_part(p_version, '-', 1), '.', 2)::int,
    split_part(split_part(p_version, '-', 1), '.', 3)::int]
$$;

create or replace function tasker.register_template(
  p_namespace text, p_name text, p_version text, p_description text, p_template jsonb
) returns jsonb language plpgsql as $$
declare
  v_ns bigint;
  v_id bigint;
  v_created boolean;
begin
  insert into tasker.namespaces (name) values (p_namespace) on conflict (name) do nothing;
  select namespace_id into v_ns from tasker.namespaces where name = p_namespace;
  insert into tasker.named_tasks (namespace_id, name, version, version_sort, description, template)
  values (v_ns, p_name, p_version, tasker.version_sort(p_version), p_description, p_template)
  on conflict (namespace_id, name, version) do update
     set template = excluded.template, description = excluded.description, updated_at = now()
  returning named_task_id, (xmax = 0) into v_id, v_created;
  return jsonb_build_object('named_task_id', v_id::text, 'created', v_created);
end $$;

-- The outbox row for a task lifecycle event (contract: lib/contracts/task-lifecycle-event.ts).
create or replace function tasker.emit_task_lifecycle(p_task uuid, p_event_name text) returns jsonb language plpgsql as $$
declare v_row tasker.outbox;
begin
  insert into tasker.outbox (kind, namespace, payload)
  select 'task_lifecycle', t.namespace_name, jsonb_build_object(
      'schema_version', 1, 'event_id', gen_random_uuid(), 'event_name', p_event_name,
      'task_uuid', t.task_uuid, 'namespace', t.namespace_name, 'task_name', t.task_name, 'task_version', t.task_version,
      'correlation_id', t.correlation_id, 'state', t.state, 'fired_at', now())
    from tasker.tasks t
   where t.task_uuid = p_task
  returning * into v_row;
  return tasker.outbox_json(v_row);
end $$;

create or replace function tasker.emit_retry_due(p_task uuid, p_due timestamptz) returns jsonb language plpgsql as $$
declare v_row tasker.outbox;
begin
  insert into tasker.outbox (kind, payload, available_at)
  values ('retry_due', jsonb_build_object('schema_version', 1, 'message_type', 'retry_due', 'task_uuid', p_task, 'due_at', p_due), p_due)
  returning * into v_row;
  return tasker.outbox_json(v_row);
end $$;

-- Decides what a task does next from its counters (moved by p_delta: in flight, waiting,
-- completed, failed, for step moves the caller has not written to the task yet) and its ready
-- steps (p_released: the children the caller's results made ready, when it applied results), then writes it all: p_pending (the dispatch its last applied result closed, written
-- with the task walk it caused), the claims, and the task row once. The caller holds the task's row lock
-- (p_row: the task's row as the caller read it under that lock).
-- Returns the outbox rows to send: claimed steps and lifecycle events.
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
  v_out jsonb := '[]'::jsonb;
begin
  if p_row.task_uuid is null then select * into t from tasker.tasks where task_uuid = p_task; else t := p_row; end if;
  t.in_flight_steps := t.in_flight_steps + p_delta[1];
  t.waiting_steps := t.waiting_steps + p_delta[2];
  t.completed_steps := t.completed_steps + p_delta[3];
  t.failed_steps := t.failed_steps + p_delta[4];
  v_to := t.state;
  if not tasker.task_is_terminal(t.state) then
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
    v_walk.task_states := tasker.walk_states('task', t.state, v_walk.task_events);
    v_walk.task_reasons := array_fill(case v_status
        when 'has_ready_steps' then 'steps dispatched' when 'processing' then 'steps in process'
        when 'all_complete' then 'all steps complete' when 'blocked_by_failures' then 'a step failed permanently'
        else v_status end, array[cardinality(v_walk.task_events)]);
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
           updated_at = now(), completed_at = case when v_to <> t.state and tasker.task_is_terminal(v_to) then now() else completed_at end
     where task_uuid = p_task;
  end if;
  if v_to <> t.state and v_to in ('complete', 'blocked_by_failures') then
    v_out := v_out || jsonb_build_array(tasker.emit_task_lifecycle(p_task, case v_to when 'complete' then 'task.completed' else 'task.blocked_by_failures' end));
  end if;
  return v_out;
end $$;

create or replace function tasker.identity_hash(p_named_task bigint, p_strategy text, p_context jsonb, p_key text)
returns text language sql as $$
  select case p_strategy
    when 'strict' then encode(sha256(convert_to(p_named_task::text || ':context:' || p_context::text, 'UTF8')), 'hex')
    when 'caller_provided' then encode(sha256(convert_to(p_named_task::text || ':key:' || p_key, 'UTF8')), 'hex')
    else gen_random_uuid()::text
  end
$$;

-- The steps and edges of a new task; returns its root steps (no dependencies) in order, which
-- are all ready: they are written enqueued with their first attempt counted, for the caller to
-- claim (tasker.claim_steps_locked with p_fresh).
create or replace function tasker.insert_steps(p_task uuid, p_template jsonb) returns uuid[] language plpgsql as $$
declare v_roots uuid[];
begin
  with inserted as (
    insert into tasker.workflow_steps (
      step_uuid, task_uuid, name, ordinal, namespace, handler_callable, inputs, max_attempts, retryable,
      backoff_base_ms, max_backoff_ms, timeout_seconds, publishes_events, waiting_on, has_children, state, attempts, last_attempted_at)
    select gen_random_uuid(), p_task, s->>'name', ord, s->>'namespace', s->'handler'->>'callable',
           coalesce(s->'handler'->'initialization', '{}'::jsonb),
           (s->'retry'->>'maxAttempts')::int, (s->'retry'->>'retryable')::boolean, (s->'retry'->>'backoffBaseMs')::int,
           (s->'retry'->>'maxBackoffMs')::int, (s->>'timeoutSeconds')::int, coalesce(s->'publishesEvents', '[]'::jsonb), jsonb_array_length(coalesce(s->'dependencies', '[]'::jsonb)),
           p.dep is not null, case when r.root then tasker.step_next('pending', 'enqueue') else 'pending' end,
           r.root::int, case when r.root then now() end
      from jsonb_array_elements(p_template->'steps') with ordinality as t(s, ord)
      cross join lateral (select jsonb_array_length(coalesce(t.s->'dependencies', '[]'::jsonb)) = 0 as root) r
      left join (select distinct d.dep from jsonb_array_elements(p_template->'steps') as u(s)
                   cross join lateral jsonb_array_elements_text(u.s->'dependencies') as d(dep)) p on p.dep = t.s->>'name'
    returning step_uuid, name, ordinal, waiting_on
  ),
  edges as (
    insert into tasker.workflow_step_edges (from_step_uuid, to_step_uuid)
    select parent.step_uuid, child.step_uuid
      from jsonb_array_elements(p_template->'steps') as t(s)
      cross join lateral jsonb_array_elements_text(s->'dependencies') as d(dep)
      join inserted child on child.name = s->>'name'
      join inserted parent on parent.name = d.dep
  )
  select coalesce(array_agg(step_uuid order by ordinal) filter (where waiting_on = 0), '{}') into v_roots from inserted;
  return v_roots;
end $$;

-- Creates a task from a registered template and dispatches its root steps, or returns the
-- existing task with the same identity. Returns {task_uuid, created, state, correlation_id, outbox}.
-- A new task's root steps are all ready: it is written in the state that has them dispatched.
create or replace function tasker.create_task(
  p_named_task bigint, p_context jsonb, p_correlation_id uuid, p_priority int,
  p_identity_strategy text, p_idempotency_key text, p_initiator text, p_reason text
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
begin
  select nt.template, ns.name, nt.name, nt.version,
         (select count(*)::int from jsonb_array_elements(nt.template->'steps') s
           where jsonb_array_length(coalesce(s->'dependencies', '[]'::jsonb)) = 0)
    into v_template, v_namespace, v_name, v_version, v_root_count
    from tasker.named_tasks nt join tasker.namespaces ns on ns.namespace_id = nt.namespace_id
   where nt.named_task_id = p_named_task;
  -- The task is written in the state its creation walk ends in; the audit derives that walk.
  v_walk := tasker.creation_walk(p_reason);
  insert into tasker.tasks (task_uuid, named_task_id, namespace_name, task_name, task_version, context, identity_strategy, identity_hash,
                            correlation_id, priority, initiator, reason, state, total_steps, in_flight_steps)
  values (v_task, p_named_task, v_namespace, v_name, v_version, p_context, p_identity_strategy, v_hash, v_correlation, p_priority, p_initiator, p_reason,
          v_walk.task_states[cardinality(v_walk.task_states)], jsonb_array_length(v_template->'steps'), v_root_count)
  on conflict (identity_hash) where identity_strategy <> 'always_unique' do nothing;
  if not found then
    return (select jsonb_build_object('task_uuid', task_uuid, 'created', false, 'state', state,
              'correlation_id', correlation_id, 'outbox', '[]'::jsonb)
              from tasker.tasks where identity_hash = v_hash and identity_strategy <> 'always_unique');
  end if;
  v_roots := tasker.insert_steps(v_task, v_template);
  v_claim := tasker.claim_steps_locked(v_task, v_roots, true);
  if v_claim.claimed <> v_root_count then
    raise exception 'task % claimed % of its % root steps', v_task, v_claim.claimed, v_root_count using errcode = 'TK003';
  end if;
  return jsonb_build_object('task_uuid', v_task, 'created', true, 'state', v_walk.task_states[cardinality(v_walk.task_states)],
                            'correlation_id', v_correlation, 'outbox', v_claim.outbox);
end $$;

-- Creates several tasks in one call (each as create_task): p_requests is an array of objects with
-- namespace, name, version (of a registered template), context, correlation_id, priority,
-- identity_strategy, idempotency_key, initiator and reason. Returns create_task's answer for
-- each, in order (null for a template that is not registered).
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
                         x.r->>'identity_strategy', x.r->>'idempotency_key', x.r->>'initiator', x.r->>'reason') end);
  end loop;
  return v_out;
end $$;
