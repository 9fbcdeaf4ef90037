-- Applying a step execution result (contract: lib/contracts/step-execution-result.ts), once.

create or replace function tasker.apply_outcome(
  p_status text, p_reason text, p_task uuid, p_step uuid, p_outbox jsonb default '[]'
) returns jsonb language sql stable as $$
  select jsonb_build_object(
    'status', p_status, 'reason', p_reason, 'task_uuid', p_task, 'step_uuid', p_step,
    'step_state', (select state from tasker.workflow_steps where step_uuid = p_step),
    'task_state', (select state from tasker.tasks where task_uuid = p_task),
    'outbox', p_outbox)
$$;

-- Why a result cannot apply to this dispatch, or null when it can.
create or replace function tasker.refusal(p_dispatch tasker.step_dispatches, p_result jsonb) returns text[] language plpgsql stable as $$
begin
  if p_dispatch.task_uuid <> (p_result->>'task_uuid')::uuid or p_dispatch.step_uuid <> (p_result->>'step_uuid')::uuid then
    return array['unknown_event', 'the result names another task or step than its event_id was dispatched for'];
  elsif p_dispatch.status = 'completed' then
    return array['duplicate', 'a result for this event_id was already applied'];
  elsif p_dispatch.status = 'timed_out' then
    return array['late', 'this attempt was already timed out'];
  elsif p_dispatch.status = 'superseded' then
    return array['late', 'this attempt was superseded by an operator action'];
  elsif (select state from tasker.workflow_steps where step_uuid = p_dispatch.step_uuid) not in ('enqueued', 'in_progress') then
    return array['late', 'the step is no longer waiting for this attempt'];
  end if;
  return null;
end $$;

-- The events that end an attempt: `start` first when the step had not been marked in progress
-- (results from a handler that ran; never for a timeout or a dispatch that could not be sent).
create or replace function tasker.attempt_path(p_step uuid, p_result jsonb, p_rest text[], p_reasons text[], out events text[], out reasons text[])
language sql stable as $$
  select case when started then array['start'] || p_rest else p_rest end,
         case when started then array['handler started'] || p_reasons else p_reasons end
    from (select s.state = 'enqueued' and p_result->'worker'->>'kind' not in ('sweeper', 'orchestration') as started
            from tasker.workflow_steps s where s.step_uuid = p_step) x
$$;

create or replace function tasker.apply_success(p_step uuid, p_result jsonb, p_meta jsonb) returns void language plpgsql as $$
declare v_path record;
begin
  select * into v_path from tasker.attempt_path(p_step, p_result, array['enqueue_for_orchestration', 'complete'], array['handler succeeded', 'result applied']);
  update tasker.workflow_steps set results = coalesce(p_result->'result', 'null'::jsonb), last_error = null where step_uuid = p_step;
  perform tasker.walk_step(p_step, v_path.events, v_path.reasons, p_meta);
end $$;

-- Returns the outbox row of a retry tick when the step went into backoff, else null.
create or replace function tasker.apply_failure(p_step uuid, p_result jsonb, p_meta jsonb, p_random float8)
returns jsonb language plpgsql as $$
declare
  v_step tasker.workflow_steps;
  v_error jsonb := p_result->'error';
  v_retry boolean;
  v_delay bigint;
  v_path record;
begin
  select * into v_step from tasker.workflow_steps where step_uuid = p_step;
  v_retry := (v_error->>'retryable')::boolean and v_step.retryable and v_step.attempts < v_step.max_attempts;
  v_delay := case when v_retry then tasker.compute_backoff_ms(v_step.attempts, v_step.backoff_base_ms, v_step.max_backoff_ms,
                                                              (v_error->>'retry_after_ms')::float8, p_random) end;
  select * into v_path from tasker.attempt_path(p_step, p_result,
    array['enqueue_as_error_for_orchestration', case when v_retry then 'wait_for_retry' else 'fail' end],
    array[v_error->>'error_type', v_error->>'message']);
  update tasker.workflow_steps
     set last_error = v_error || jsonb_build_object('attempt', attempts, 'at', now()),
         next_attempt_at = case when v_retry then now() + make_interval(secs => v_delay / 1000.0) end
   where step_uuid = p_step;
  perform tasker.walk_step(p_step, v_path.events, v_path.reasons, p_meta || jsonb_build_object('backoff_ms', v_delay));
  if not v_retry then return null; end if;
  return tasker.emit_retry_due(v_step.task_uuid, now() + make_interval(secs => v_delay / 1000.0));
end $$;

create or replace function tasker.emit_retry_due(p_task uuid, p_due timestamptz) returns jsonb language plpgsql as $$
declare v_row tasker.outbox;
begin
  insert into tasker.outbox (kind, payload, available_at)
  values ('retry_due', jsonb_build_object('schema_version', 1, 'message_type', 'retry_due', 'task_uuid', p_task, 'due_at', p_due), p_due)
  returning * into v_row;
  return tasker.outbox_json(v_row);
end $$;

-- Applies a result exactly once per event_id: a duplicate, late or unknown one is refused and
-- changes nothing. Then evaluates the task: finalizes it or claims what became ready.
create or replace function tasker.apply_step_result(p_result jsonb, p_random float8) returns jsonb language plpgsql as $$
declare
  v_event uuid := (p_result->>'event_id')::uuid;
  v_dispatch tasker.step_dispatches;
  v_refusal text[];
  v_tick jsonb;
  v_meta jsonb;
  v_out jsonb;
begin
  select * into v_dispatch from tasker.step_dispatches where event_id = v_event;
  if not found then
    return tasker.apply_outcome('unknown_event', 'no attempt was dispatched with this event_id', null, null);
  end if;
  -- Locks in the house order: task, step, dispatch.
  perform 1 from tasker.tasks where task_uuid = v_dispatch.task_uuid for update;
  perform 1 from tasker.workflow_steps where step_uuid = v_dispatch.step_uuid for update;
  select * into v_dispatch from tasker.step_dispatches where event_id = v_event for update;
  v_refusal := tasker.refusal(v_dispatch, p_result);
  if v_refusal is not null then
    return tasker.apply_outcome(v_refusal[1], v_refusal[2], v_dispatch.task_uuid, v_dispatch.step_uuid);
  end if;
  update tasker.step_dispatches
     set status = case when p_result->'worker'->>'kind' = 'sweeper' then 'timed_out' else 'completed' end,
         completed_at = now(), result_status = p_result->>'status'
   where event_id = v_event;
  v_meta := jsonb_build_object('event_id', v_event, 'attempt', v_dispatch.attempt, 'worker', p_result->'worker', 'timing', p_result->'timing');
  if p_result->>'status' = 'success' then
    perform tasker.apply_success(v_dispatch.step_uuid, p_result, v_meta);
  else
    v_tick := tasker.apply_failure(v_dispatch.step_uuid, p_result, v_meta, p_random);
  end if;
  v_out := tasker.evaluate_task(v_dispatch.task_uuid);
  if v_tick is not null then v_out := v_out || jsonb_build_array(v_tick); end if;
  return tasker.apply_outcome('applied', null, v_dispatch.task_uuid, v_dispatch.step_uuid, v_out);
end $$;
