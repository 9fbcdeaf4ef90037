-- Applying step execution results (contract: lib/contracts/step-execution-result.ts), a batch in
-- one call and one transaction, each result once per event_id.

-- Why a result cannot apply to this dispatch, or null when it can.
create or replace function tasker.refusal(p_dispatch tasker.step_dispatches, p_step_state text, p_result jsonb) returns text[]
language sql immutable as $$
  select case
    when p_dispatch.task_uuid <> (p_result->>'task_uuid')::uuid or p_dispatch.step_uuid <> (p_result->>'step_uuid')::uuid then
      array['unknown_event', 'the result names another task or step than its event_id was dispatched for']
    when p_dispatch.status = 'completed' then array['duplicate', 'a result for this event_id was already applied']
    when p_dispatch.status = 'timed_out' then array['late', 'this attempt was already timed out']
    when p_dispatch.status = 'superseded' then array['late', 'this attempt was superseded by an operator action']
    when tasker.step_next(p_step_state, 'enqueue_as_error_for_orchestration') is null then
      array['late', 'the step is no longer waiting for this attempt']
  end
$$;

-- What applying a result needs to know of its step (not the whole row: its results may be large).
create type tasker.step_policy as (
  step_uuid uuid, state text, attempts int, max_attempts int, retryable boolean, backoff_base_ms int, max_backoff_ms int,
  has_children boolean
);

-- Applies one result that refusal() let through: the step walks to its outcome (`start` first
-- when a handler ran and had not been marked in progress). Returns the dispatch row closed with
-- that outcome, for the caller to write (tasker.close_dispatch), the counter change and, for a
-- retry in backoff, the tick's outbox row.
create or replace function tasker.apply_one(
  p_result jsonb, p_random float8, d tasker.step_dispatches, s tasker.step_policy,
  out walk tasker.step_dispatches, out delta int[], out tick jsonb
) language plpgsql as $$
declare
  v_success boolean := p_result->>'status' = 'success';
  v_error jsonb := p_result->'error';
  v_kind text := p_result->'worker'->>'kind';
  v_retry boolean := not v_success and coalesce((v_error->>'retryable')::boolean, false) and s.retryable and s.attempts < s.max_attempts;
  v_delay bigint := case when v_retry then tasker.compute_backoff_ms(s.attempts, s.backoff_base_ms, s.max_backoff_ms, (v_error->>'retry_after_ms')::float8, p_random) end;
  v_due timestamptz := now() + make_interval(secs => v_delay / 1000.0);
begin
  walk := d;
  walk.status := case when v_kind = 'sweeper' then 'timed_out' else 'completed' end;
  -- The instant it was applied, taken now so the audit orders it before what the same
  -- transaction claims next.
  walk.completed_at := clock_timestamp();
  walk.result_status := p_result->>'status';
  walk.step_from := s.state;
  walk.metadata := jsonb_build_object('event_id', d.event_id, 'attempt', d.attempt, 'worker', p_result->'worker', 'timing', p_result->'timing');
  if v_success then
    walk.step_events := '{enqueue_for_orchestration,complete}';
    walk.step_reasons := '{handler succeeded,result applied}';
  else
    walk.step_events := array['enqueue_as_error_for_orchestration', case when v_retry then 'wait_for_retry' else 'fail' end];
    walk.step_reasons := array[v_error->>'error_type', v_error->>'message'];
    walk.metadata := walk.metadata || jsonb_build_object('backoff_ms', v_delay);
  end if;
  if s.state = 'enqueued' and coalesce(v_kind not in ('sweeper', 'orchestration'), false) then
    walk.step_events := array_prepend('start', walk.step_events);
    walk.step_reasons := array_prepend('handler started', walk.step_reasons);
  end if;
  walk.step_states := tasker.walk_states('step', s.state, walk.step_events);
  if walk.step_states is null then
    raise exception 'step % cannot walk % from state %', s.step_uuid, walk.step_events, s.state using errcode = 'TK002';
  end if;
  update tasker.workflow_steps
     set state = walk.step_states[cardinality(walk.step_states)], updated_at = now(),
         results = case when v_success then coalesce(p_result->'result', 'null'::jsonb) else results end,
         last_error = case when v_success then null else v_error || jsonb_build_object('attempt', attempts, 'at', now()) end,
         next_attempt_at = case when v_success then next_attempt_at when v_retry then v_due end
   where step_uuid = s.step_uuid;
  delta := tasker.bucket_delta(s.state, walk.step_states[cardinality(walk.step_states)]);
  if v_retry then tick := tasker.emit_retry_due(d.task_uuid, v_due); end if;
end $$;

-- Writes a dispatch row closed by its result (apply_one), with the task walk it caused, if any.
create or replace function tasker.close_dispatch(p tasker.step_dispatches) returns int language plpgsql as $$
begin
  update tasker.step_dispatches
     set status = p.status, completed_at = p.completed_at, result_status = p.result_status,
         step_from = p.step_from, step_states = p.step_states, step_events = p.step_events, step_reasons = p.step_reasons,
         metadata = p.metadata, task_from = p.task_from, task_states = p.task_states, task_events = p.task_events,
         task_reasons = p.task_reasons
   where event_id = p.event_id;
  return 1;
end $$;

-- After a task's results: their children are released, then the task is evaluated once.
create or replace function tasker.settle_task(
  p_task tasker.tasks, p_delta int[], p_pending tasker.step_dispatches, p_completed uuid[]
) returns jsonb language plpgsql as $$
declare v_released uuid[] := '{}';
begin
  if cardinality(p_completed) > 0 then v_released := tasker.release_children(p_completed); end if;
  return tasker.evaluate_task(p_task.task_uuid, p_delta, p_pending, p_task, v_released);
end $$;

-- Applies a batch of results, each exactly once per event_id: a duplicate, late or unknown one
-- is refused and changes nothing. Tasks are locked in uuid order (then step, then dispatch), so
-- concurrent batches cannot deadlock; each task is evaluated once, after all of its results.
-- Returns one outcome per result, in order: {status, reason, task_uuid, step_uuid, step_state,
-- task_state, outbox}; a task's claims and lifecycle events ride on its last applied result.
create or replace function tasker.apply_step_results(p_results jsonb, p_randoms float8[]) returns jsonb language plpgsql as $$
declare
  x record;
  v_hit record;
  v_refusal text[];
  v_one record;
  v_task uuid;
  v_row tasker.tasks;
  v_delta int[];
  v_pending tasker.step_dispatches;
  v_applied uuid[] := '{}';
  v_closed int;
  v_completed uuid[];
  v_last int;
  v_outcomes jsonb := '{}'::jsonb;
begin
  for x in
    select e.i::int as i, e.r as result, d.task_uuid
      from jsonb_array_elements(p_results) with ordinality as e(r, i)
      left join tasker.step_dispatches d on d.event_id = (e.r->>'event_id')::uuid
     order by d.task_uuid nulls first, e.i
  loop
    if x.task_uuid is distinct from v_task then
      if v_last is not null then
        v_outcomes := tasker.with_outbox(v_outcomes, v_last, tasker.settle_task(v_row, v_delta, v_pending, v_completed));
      end if;
      v_row := null;
      v_task := x.task_uuid; v_delta := '{0,0,0,0}'; v_pending := null; v_completed := '{}'; v_last := null;
    end if;
    if x.task_uuid is null then
      v_outcomes := v_outcomes || jsonb_build_object(x.i::text, tasker.apply_outcome('unknown_event', 'no attempt was dispatched with this event_id', null, null));
      continue;
    end if;
    -- The loop runs in task order, so the task locks are taken in that order (the first result of
    -- a task takes it; the step and the dispatch are locked with it).
    select t, d, row(s.step_uuid, s.state, s.attempts, s.max_attempts, s.retryable, s.backoff_base_ms, s.max_backoff_ms,
                     s.has_children)::tasker.step_policy as s
      into v_hit
      from tasker.tasks t
      join tasker.step_dispatches d on d.task_uuid = t.task_uuid
      join tasker.workflow_steps s on s.step_uuid = d.step_uuid
     where d.event_id = (x.result->>'event_id')::uuid and t.task_uuid = x.task_uuid
       for update;
    if v_row.task_uuid is null then v_row := v_hit.t; end if;
    -- A dispatch is closed when its task is settled: a second copy in this batch is told apart here.
    v_refusal := case when (v_hit.d).event_id = any(v_applied) then array['duplicate', 'a result for this event_id was already applied']
                      else tasker.refusal(v_hit.d, (v_hit.s).state, x.result) end;
    if v_refusal is not null then
      v_outcomes := v_outcomes || jsonb_build_object(x.i::text, tasker.apply_outcome(v_refusal[1], v_refusal[2], x.task_uuid, (v_hit.d).step_uuid));
      continue;
    end if;
    v_one := tasker.apply_one(x.result, p_randoms[x.i], v_hit.d, v_hit.s);
    if v_pending.event_id is not null then v_closed := tasker.close_dispatch(v_pending); end if;
    v_pending := v_one.walk;
    v_applied := v_applied || (v_hit.d).event_id;
    v_delta := array[v_delta[1] + v_one.delta[1], v_delta[2] + v_one.delta[2], v_delta[3] + v_one.delta[3], v_delta[4] + v_one.delta[4]];
    if v_one.delta[3] > 0 and (v_hit.s).has_children then v_completed := v_completed || (v_hit.d).step_uuid; end if;
    v_last := x.i;
    v_outcomes := v_outcomes || jsonb_build_object(x.i::text, tasker.apply_outcome('applied', null, x.task_uuid, (v_hit.d).step_uuid,
                                                                                   case when v_one.tick is null then '[]'::jsonb else jsonb_build_array(v_one.tick) end));
  end loop;
  if v_last is not null then
    v_outcomes := tasker.with_outbox(v_outcomes, v_last, tasker.settle_task(v_row, v_delta, v_pending, v_completed));
  end if;
  -- The states each outcome reports are the ones after the whole batch.
  return (select coalesce(jsonb_agg(o.value || jsonb_build_object('step_state', s.state, 'task_state', t.state) order by o.key::int), '[]'::jsonb)
            from jsonb_each(v_outcomes) o
            left join tasker.workflow_steps s on s.step_uuid = (o.value->>'step_uuid')::uuid
            left join tasker.tasks t on t.task_uuid = (o.value->>'task_uuid')::uuid);
end $$;

create or replace function tasker.apply_outcome(p_status text, p_reason text, p_task uuid, p_step uuid, p_outbox jsonb default '[]')
returns jsonb language sql stable as $$
  select jsonb_build_object('status', p_status, 'reason', p_reason, 'task_uuid', p_task, 'step_uuid', p_step, 'outbox', p_outbox)
$$;

-- Puts a task's evaluation outbox in front of what the outcome at p_key already carries.
create or replace function tasker.with_outbox(p_outcomes jsonb, p_key int, p_outbox jsonb) returns jsonb language sql stable as $$
  select jsonb_set(p_outcomes, array[p_key::text, 'outbox'], p_outbox || (p_outcomes->p_key::text->'outbox'))
$$;

-- One result: apply_step_results with a batch of one.
create or replace function tasker.apply_step_result(p_result jsonb, p_random float8) returns jsonb language plpgsql as $$
begin
  return tasker.apply_step_results(jsonb_build_array(p_result), array[p_random])->0;
end $$;

