-- The state machines, mirrored from lib/domain/{task,step}-transitions.ts (a test keeps them equal),
-- and compare-and-swap transitions that write one audit row each.
create table tasker.task_transition_rules (
  from_state text not null,
  event text not null,
  to_state text not null,
  primary key (from_state, event)
);

create table tasker.step_transition_rules (
  from_state text not null,
  event text not null,
  to_state text not null,
  primary key (from_state, event)
);

insert into tasker.task_transition_rules (from_state, event, to_state) values
  ('pending', 'start', 'initializing'),
  ('initializing', 'initialize_failed', 'error'),
  ('initializing', 'enqueue_steps', 'enqueuing_steps'),
  ('evaluating_results', 'enqueue_steps', 'enqueuing_steps'),
  ('waiting_for_dependencies', 'enqueue_steps', 'enqueuing_steps'),
  ('waiting_for_retry', 'enqueue_steps', 'enqueuing_steps'),
  ('blocked_by_failures', 'enqueue_steps', 'enqueuing_steps'),
  ('enqueuing_steps', 'steps_enqueued', 'steps_in_process'),
  ('steps_in_process', 'evaluate_results', 'evaluating_results'),
  ('waiting_for_retry', 'evaluate_results', 'evaluating_results'),
  ('waiting_for_dependencies', 'evaluate_results', 'evaluating_results'),
  ('blocked_by_failures', 'evaluate_results', 'evaluating_results'),
  ('evaluating_results', 'wait_for_dependencies', 'waiting_for_dependencies'),
  ('evaluating_results', 'wait_for_retry', 'waiting_for_retry'),
  ('evaluating_results', 'block_by_failures', 'blocked_by_failures'),
  ('evaluating_results', 'complete', 'complete'),
  ('blocked_by_failures', 'fail', 'error'),
  ('pending', 'cancel', 'cancelled'),
  ('initializing', 'cancel', 'cancelled'),
  ('enqueuing_steps', 'cancel', 'cancelled'),
  ('steps_in_process', 'cancel', 'cancelled'),
  ('evaluating_results', 'cancel', 'cancelled'),
  ('waiting_for_dependencies', 'cancel', 'cancelled'),
  ('waiting_for_retry', 'cancel', 'cancelled'),
  ('blocked_by_failures', 'cancel', 'cancelled'),
  ('blocked_by_failures', 'resolve_manually', 'resolved_manually'),
  ('error', 'resolve_manually', 'resolved_manually');

insert into tasker.step_transition_rules (from_state, event, to_state) values
  ('pending', 'enqueue', 'enqueued'),
  ('waiting_for_retry', 'enqueue', 'enqueued'),
  ('enqueued', 'start', 'in_progress'),
  ('in_progress', 'enqueue_for_orchestration', 'enqueued_for_orchestration'),
  ('enqueued', 'enqueue_as_error_for_orchestration', 'enqueued_as_error_for_orchestration'),
  ('in_progress', 'enqueue_as_error_for_orchestration', 'enqueued_as_error_for_orchestration'),
  ('enqueued_for_orchestration', 'complete', 'complete'),
  ('enqueued_as_error_for_orchestration', 'wait_for_retry', 'waiting_for_retry'),
  ('enqueued_as_error_for_orchestration', 'fail', 'error'),
  ('pending', 'cancel', 'cancelled'),
  ('enqueued', 'cancel', 'cancelled'),
  ('in_progress', 'cancel', 'cancelled'),
  ('enqueued_for_orchestration', 'cancel', 'cancelled'),
  ('enqueued_as_error_for_orchestration', 'cancel', 'cancelled'),
  ('waiting_for_retry', 'cancel', 'cancelled'),
  ('pending', 'resolve_manually', 'resolved_manually'),
  ('enqueued', 'resolve_manually', 'resolved_manually'),
  ('in_progress', 'resolve_manually', 'resolved_manually'),
  ('waiting_for_retry', 'resolve_manually', 'resolved_manually'),
  ('error', 'resolve_manually', 'resolved_manually'),
  ('pending', 'complete_manually', 'complete'),
  ('enqueued', 'complete_manually', 'complete'),
  ('in_progress', 'complete_manually', 'complete'),
  ('waiting_for_retry', 'complete_manually', 'complete'),
  ('error', 'complete_manually', 'complete'),
  ('error', 'reset_for_retry', 'pending'),
  ('cancelled', 'reset_for_retry', 'pending');

-- Moves a task by one event, only from the state it is in now (the row is locked, so no other
-- writer can move it in between; p_expected makes the caller's view of that state part of the
-- condition), and records the transition. Returns the new state, or null when the event is not
-- allowed from the current state or the state is not the expected one.
create or replace function tasker.transition_task(
  p_task uuid, p_event text, p_reason text default null, p_metadata jsonb default '{}', p_expected text default null
) returns text language plpgsql as $$
declare
  v_from text;
  v_states text[];
begin
  select state into v_from from tasker.tasks where task_uuid = p_task for update;
  v_states := tasker.walk_path('task', v_from, array[p_event]);
  if v_from is null or v_from <> coalesce(p_expected, v_from) or v_states is null then
    return null;
  end if;
  return tasker.record_task_walk(p_task, v_from, v_states, array[p_event], array[p_reason], p_metadata);
end $$;

create or replace function tasker.transition_step(
  p_step uuid, p_event text, p_reason text default null, p_metadata jsonb default '{}', p_expected text default null
) returns text language plpgsql as $$
declare
  v_from text;
  v_states text[];
begin
  select state into v_from from tasker.workflow_steps where step_uuid = p_step for update;
  v_states := tasker.walk_path('step', v_from, array[p_event]);
  if v_from is null or v_from <> coalesce(p_expected, v_from) or v_states is null then
    return null;
  end if;
  return tasker.record_step_walk(p_step, v_from, v_states, array[p_event], array[p_reason], p_metadata);
end $$;

-- Records a state an entity is created in (a transition from nothing).
create or replace function tasker.record_initial_step_states(p_task uuid) returns void language sql as $$
  insert into tasker.workflow_step_transitions (step_uuid, from_state, to_state, event, reason, sort_key)
  select step_uuid, null, state, 'create', 'task created', 1 from tasker.workflow_steps where task_uuid = p_task;
$$;

-- Walks an entity through several events in one go (the path is checked against the rules
-- first; any refused event raises and nothing moves), writing one audit row per event with
-- only the last most_recent: the same trail as one transition at a time, with fewer writes.
create or replace function tasker.walk_step(p_step uuid, p_events text[], p_reasons text[], p_metadata jsonb default '{}')
returns text language plpgsql as $$
declare
  v_from text;
  v_states text[];
begin
  select state into v_from from tasker.workflow_steps where step_uuid = p_step for update;
  v_states := tasker.walk_path('step', v_from, p_events);
  if v_states is null then
    raise exception 'step % cannot walk % from state %', p_step, p_events, v_from using errcode = 'TK002';
  end if;
  return tasker.record_step_walk(p_step, v_from, v_states, p_events, p_reasons, p_metadata);
end $$;

-- Writes a checked path (the states walk_path returned from v_from); the caller holds the row lock.
create or replace function tasker.record_step_walk(
  p_step uuid, p_from text, p_states text[], p_events text[], p_reasons text[], p_metadata jsonb
) returns text language plpgsql as $$
declare v_sort int;
begin
  update tasker.workflow_steps set state = p_states[array_length(p_states, 1)], updated_at = now() where step_uuid = p_step;
  update tasker.workflow_step_transitions set most_recent = false
   where step_uuid = p_step and most_recent returning sort_key into v_sort;
  insert into tasker.workflow_step_transitions (step_uuid, from_state, to_state, event, reason, metadata, sort_key, most_recent)
  select p_step, coalesce(p_states[i - 1], p_from), p_states[i], p_events[i], p_reasons[i], coalesce(p_metadata, '{}'),
         coalesce(v_sort, 0) + i, i = array_length(p_states, 1)
    from generate_subscripts(p_states, 1) as i;
  return p_states[array_length(p_states, 1)];
end $$;

create or replace function tasker.walk_task(p_task uuid, p_events text[], p_reasons text[], p_metadata jsonb default '{}')
returns text language plpgsql as $$
declare
  v_from text;
  v_states text[];
begin
  select state into v_from from tasker.tasks where task_uuid = p_task for update;
  v_states := tasker.walk_path('task', v_from, p_events);
  if v_states is null then
    raise exception 'task % cannot walk % from state %', p_task, p_events, v_from using errcode = 'TK002';
  end if;
  return tasker.record_task_walk(p_task, v_from, v_states, p_events, p_reasons, p_metadata);
end $$;

create or replace function tasker.record_task_walk(
  p_task uuid, p_from text, p_states text[], p_events text[], p_reasons text[], p_metadata jsonb
) returns text language plpgsql as $$
declare
  v_to text := p_states[array_length(p_states, 1)];
  v_sort int;
begin
  update tasker.tasks
     set state = v_to, updated_at = now(),
         completed_at = case when v_to in ('complete', 'error', 'cancelled', 'resolved_manually') then now() else completed_at end
   where task_uuid = p_task;
  update tasker.task_transitions set most_recent = false
   where task_uuid = p_task and most_recent returning sort_key into v_sort;
  insert into tasker.task_transitions (task_uuid, from_state, to_state, event, reason, metadata, sort_key, most_recent)
  select p_task, coalesce(p_states[i - 1], p_from), p_states[i], p_events[i], p_reasons[i], coalesce(p_metadata, '{}'),
         coalesce(v_sort, 0) + i, i = array_length(p_states, 1)
    from generate_subscripts(p_states, 1) as i;
  return v_to;
end $$;

-- The states a path of events visits from p_from, or null when a rule refuses one of them.
create or replace function tasker.walk_path(p_entity text, p_from text, p_events text[]) returns text[] language plpgsql stable as $$
declare
  v_state text := p_from;
  v_states text[] := '{}';
  v_event text;
begin
  foreach v_event in array p_events loop
    if p_entity = 'task' then
      select to_state into v_state from tasker.task_transition_rules where from_state = v_state and event = v_event;
    else
      select to_state into v_state from tasker.step_transition_rules where from_state = v_state and event = v_event;
    end if;
    if v_state is null then return null; end if;
    v_states := v_states || v_state;
  end loop;
  return v_states;
end $$;
