-- Templates, task creation, and the evaluation that finalizes a task or dispatches its ready steps.

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

create or replace function tasker.version_sort(p_version text) returns int[] language sql immutable as $$
  select array[
    split_part(split_part(p_version, '-', 1), '.', 1)::int,
    split_part(split_part(p_version, '-', 1), '.', 2)::int,
    split_part(split_part(p_version, '-', 1), '.', 3)::int]
$$;

-- The outbox row for a task lifecycle event (contract: lib/contracts/task-lifecycle-event.ts).
create or replace function tasker.emit_task_lifecycle(p_task uuid, p_event_name text) returns jsonb language plpgsql as $$
declare v_row tasker.outbox;
begin
  insert into tasker.outbox (kind, namespace, payload)
  select 'task_lifecycle', ns.name, jsonb_build_object(
      'schema_version', 1, 'event_id', gen_random_uuid(), 'event_name', p_event_name,
      'task_uuid', t.task_uuid, 'namespace', ns.name, 'task_name', nt.name, 'task_version', nt.version,
      'correlation_id', t.correlation_id, 'state', t.state, 'fired_at', now())
    from tasker.tasks t
    join tasker.named_tasks nt on nt.named_task_id = t.named_task_id
    join tasker.namespaces ns on ns.namespace_id = nt.namespace_id
   where t.task_uuid = p_task
  returning * into v_row;
  return tasker.outbox_json(v_row);
end $$;

-- Walks the task to a target state through the transitions the state machine allows.
create or replace function tasker.advance_task(p_task uuid, p_target text, p_reason text) returns boolean language plpgsql as $$
declare
  v_state text;
  v_events text[];
begin
  select state into v_state from tasker.tasks where task_uuid = p_task;
  if v_state = p_target then return false; end if;
  if p_target = 'steps_in_process' then
    v_events := case when v_state = 'enqueuing_steps' then '{}'::text[] else array['enqueue_steps'] end || array['steps_enqueued'];
  else
    v_events := case when v_state = 'evaluating_results' then '{}'::text[] else array['evaluate_results'] end || array[case p_target
      when 'complete' then 'complete'
      when 'blocked_by_failures' then 'block_by_failures'
      when 'waiting_for_retry' then 'wait_for_retry'
      else 'wait_for_dependencies' end];
  end if;
  perform tasker.walk_task(p_task, v_events, array_fill(p_reason, array[array_length(v_events, 1)]));
  return true;
end $$;

-- Decides what a task does next from its execution context; the caller holds the task's row lock.
-- Returns the outbox rows to send: claimed steps and lifecycle events.
create or replace function tasker.evaluate_task(p_task uuid) returns jsonb language plpgsql as $$
declare
  v_state text;
  v_ready uuid[];
  v_ctx record;
  v_out jsonb := '[]'::jsonb;
begin
  select state into v_state from tasker.tasks where task_uuid = p_task;
  if v_state in ('complete', 'error', 'cancelled', 'resolved_manually') then return v_out; end if;
  -- The ready set is computed once: it decides the status and is what gets claimed.
  v_ready := tasker.ready_step_ids(p_task);
  select * into v_ctx from tasker.task_execution_context(p_task, cardinality(v_ready));
  case v_ctx.execution_status
    when 'has_ready_steps' then
      v_out := tasker.claim_steps_locked(p_task, v_ready);
      perform tasker.advance_task(p_task, 'steps_in_process', 'steps dispatched');
    when 'processing' then
      if v_state <> 'steps_in_process' then perform tasker.advance_task(p_task, 'steps_in_process', 'steps in process'); end if;
    when 'all_complete' then
      if tasker.advance_task(p_task, 'complete', 'all steps complete') then
        v_out := jsonb_build_array(tasker.emit_task_lifecycle(p_task, 'task.completed'));
      end if;
    when 'blocked_by_failures' then
      if tasker.advance_task(p_task, 'blocked_by_failures', 'a step failed permanently') then
        v_out := jsonb_build_array(tasker.emit_task_lifecycle(p_task, 'task.blocked_by_failures'));
      end if;
    else
      perform tasker.advance_task(p_task, v_ctx.execution_status, v_ctx.execution_status);
  end case;
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

create or replace function tasker.insert_steps(p_task uuid, p_template jsonb) returns void language plpgsql as $$
begin
  insert into tasker.workflow_steps (
    step_uuid, task_uuid, name, ordinal, namespace, handler_callable, inputs, max_attempts, retryable,
    backoff_base_ms, max_backoff_ms, timeout_seconds, publishes_events)
  select gen_random_uuid(), p_task, s->>'name', ord, s->>'namespace', s->'handler'->>'callable',
         coalesce(s->'handler'->'initialization', '{}'), (s->'retry'->>'maxAttempts')::int,
         (s->'retry'->>'retryable')::boolean, (s->'retry'->>'backoffBaseMs')::int,
         (s->'retry'->>'maxBackoffMs')::int, (s->>'timeoutSeconds')::int, coalesce(s->'publishesEvents', '[]')
    from jsonb_array_elements(p_template->'steps') with ordinality as t(s, ord);
  insert into tasker.workflow_step_edges (from_step_uuid, to_step_uuid)
  select parent.step_uuid, child.step_uuid
    from jsonb_array_elements(p_template->'steps') as t(s)
    cross join lateral jsonb_array_elements_text(s->'dependencies') as d(dep)
    join tasker.workflow_steps child on child.task_uuid = p_task and child.name = s->>'name'
    join tasker.workflow_steps parent on parent.task_uuid = p_task and parent.name = d.dep;
  perform tasker.record_initial_step_states(p_task);
end $$;

-- Creates a task from a registered template and dispatches its root steps, or returns the
-- existing task with the same identity. Returns {task_uuid, created, state, correlation_id, outbox}.
create or replace function tasker.create_task(
  p_named_task bigint, p_context jsonb, p_correlation_id uuid, p_priority int,
  p_identity_strategy text, p_idempotency_key text, p_initiator text, p_reason text
) returns jsonb language plpgsql as $$
declare
  v_hash text := tasker.identity_hash(p_named_task, p_identity_strategy, p_context, p_idempotency_key);
  v_task uuid := gen_random_uuid();
  v_out jsonb;
begin
  insert into tasker.tasks (task_uuid, named_task_id, context, identity_strategy, identity_hash, correlation_id, priority, initiator, reason)
  values (v_task, p_named_task, p_context, p_identity_strategy, v_hash, coalesce(p_correlation_id, gen_random_uuid()), p_priority, p_initiator, p_reason)
  on conflict (identity_hash) do nothing;
  if not found then
    return (select jsonb_build_object('task_uuid', task_uuid, 'created', false, 'state', state,
              'correlation_id', correlation_id, 'outbox', '[]'::jsonb)
              from tasker.tasks where identity_hash = v_hash);
  end if;
  insert into tasker.task_transitions (task_uuid, from_state, to_state, event, reason, sort_key)
  values (v_task, null, 'pending', 'create', p_reason, 1);
  perform tasker.insert_steps(v_task, (select template from tasker.named_tasks where named_task_id = p_named_task));
  v_out := tasker.claim_ready_steps_locked(v_task, null);
  perform tasker.walk_task(v_task, array['start', 'enqueue_steps', 'steps_enqueued'],
                           array['task created', 'task initialized', 'root steps dispatched']);
  return (select jsonb_build_object('task_uuid', task_uuid, 'created', true, 'state', state,
            'correlation_id', correlation_id, 'outbox', v_out) from tasker.tasks where task_uuid = v_task);
end $$;
