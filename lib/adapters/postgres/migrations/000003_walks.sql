-- Walking the state machines: one walk (tasker.walk_states over the generated rules), one audit
-- row per walk, per-task step counters kept by every step move, and the audit read one row per
-- event through two views.

-- The states a path of events visits from p_from, or null when a rule refuses one of them.
create or replace function tasker.walk_states(p_entity text, p_from text, p_events text[]) returns text[]
language plpgsql immutable as $$
declare
  v_state text := p_from;
  v_states text[] := '{}';
  v_event text;
begin
  foreach v_event in array p_events loop
    v_state := case p_entity when 'task' then tasker.task_next(v_state, v_event) else tasker.step_next(v_state, v_event) end;
    if v_state is null then return null; end if;
    v_states := v_states || v_state;
  end loop;
  return v_states;
end $$;

-- How the task's counters (in flight, waiting, completed, failed) change when a step moves.
create or replace function tasker.bucket_delta(p_from text, p_to text) returns int[] language sql immutable parallel safe as $$
  select array[
    (tasker.step_bucket(p_to) = 'in_flight')::int - (tasker.step_bucket(p_from) = 'in_flight')::int,
    (tasker.step_bucket(p_to) = 'waiting')::int - (tasker.step_bucket(p_from) = 'waiting')::int,
    (tasker.step_bucket(p_to) = 'completed')::int - (tasker.step_bucket(p_from) = 'completed')::int,
    (tasker.step_bucket(p_to) = 'failed')::int - (tasker.step_bucket(p_from) = 'failed')::int]
$$;

-- Keeps the task's counters (and its children's count of unmet parents) for n steps that moved
-- from p_from to p_to. The caller holds the task's row lock.
create or replace function tasker.note_step_moves(p_task uuid, p_steps uuid[], p_from text, p_to text) returns void
language plpgsql as $$
declare
  v_delta int[] := tasker.bucket_delta(p_from, p_to);
  v_n int := cardinality(p_steps);
  v_released uuid[];
begin
  if v_delta = '{0,0,0,0}' then return; end if;
  update tasker.tasks
     set in_flight_steps = in_flight_steps + v_n * v_delta[1], waiting_steps = waiting_steps + v_n * v_delta[2],
         completed_steps = completed_steps + v_n * v_delta[3], failed_steps = failed_steps + v_n * v_delta[4]
   where task_uuid = p_task;
  if v_delta[3] > 0 then v_released := tasker.release_children(p_steps); end if;
end $$;

-- The children of steps that became complete (or resolved) have one unmet parent less each.
-- Returns those that became ready by it, in order: what a result's evaluation claims.
create or replace function tasker.release_children(p_steps uuid[]) returns uuid[] language plpgsql as $$
declare v_ready uuid[];
begin
  with released as (
    update tasker.workflow_steps c set waiting_on = c.waiting_on - e.n
      from (select to_step_uuid, count(*)::int as n from tasker.workflow_step_edges
             where from_step_uuid = any(p_steps) group by to_step_uuid) e
     where c.step_uuid = e.to_step_uuid
    returning c.step_uuid, c.ordinal, tasker.step_is_ready(c.state, c.waiting_on, c.attempts, c.max_attempts, c.next_attempt_at) as ready)
  select coalesce(array_agg(step_uuid order by ordinal) filter (where ready), '{}') into v_ready from released;
  return v_ready;
end $$;

-- Moves a step along p_events from the state it is in now, keeps the counters and writes one
-- audit row. Refused (a rule, or p_expected is not the current state): raises when p_strict,
-- else returns null and changes nothing. Takes the task's lock, then the step's.
create or replace function tasker.walk_step(
  p_step uuid, p_events text[], p_reasons text[], p_metadata jsonb default '{}',
  p_strict boolean default true, p_expected text default null
) returns text language plpgsql as $$
declare
  v_task uuid := (select task_uuid from tasker.workflow_steps where step_uuid = p_step);
  v_from text;
  v_states text[];
  v_to text;
begin
  perform 1 from tasker.tasks where task_uuid = v_task for update;
  select state into v_from from tasker.workflow_steps where step_uuid = p_step for update;
  v_states := tasker.walk_states('step', v_from, p_events);
  if v_from is null or v_from <> coalesce(p_expected, v_from) or v_states is null then
    if p_strict then
      raise exception 'step % cannot walk % from state %', p_step, p_events, v_from using errcode = 'TK002';
    end if;
    return null;
  end if;
  v_to := v_states[cardinality(v_states)];
  update tasker.workflow_steps set state = v_to, updated_at = now() where step_uuid = p_step;
  perform tasker.note_step_moves(v_task, array[p_step], v_from, v_to);
  insert into tasker.transitions (task_uuid, step_uuid, step_from, step_states, step_events, step_reasons, metadata)
  values (v_task, p_step, v_from, v_states, p_events, p_reasons, coalesce(p_metadata, '{}'));
  return v_to;
end $$;

-- The same for a task: completed_at is stamped when it reaches a terminal state.
create or replace function tasker.walk_task(
  p_task uuid, p_events text[], p_reasons text[], p_metadata jsonb default '{}',
  p_strict boolean default true, p_expected text default null
) returns text language plpgsql as $$
declare
  v_from text;
  v_states text[];
  v_to text;
begin
  select state into v_from from tasker.tasks where task_uuid = p_task for update;
  v_states := tasker.walk_states('task', v_from, p_events);
  if v_from is null or v_from <> coalesce(p_expected, v_from) or v_states is null then
    if p_strict then
      raise exception 'task % cannot walk % from state %', p_task, p_events, v_from using errcode = 'TK002';
    end if;
    return null;
  end if;
  v_to := v_states[cardinality(v_states)];
  update tasker.tasks
     set state = v_to, updated_at = now(), completed_at = case when tasker.task_is_terminal(v_to) then now() else completed_at end
   where task_uuid = p_task;
  insert into tasker.transitions (task_uuid, task_from, task_states, task_events, task_reasons, metadata)
  values (p_task, v_from, v_states, p_events, p_reasons, coalesce(p_metadata, '{}'));
  return v_to;
end $$;

-- One event, only from the state the entity is in now (and p_expected, when given): the new
-- state, or null when refused.
create or replace function tasker.transition_task(
  p_task uuid, p_event text, p_reason text default null, p_metadata jsonb default '{}', p_expected text default null
) returns text language sql as $$
  select tasker.walk_task(p_task, array[p_event], array[p_reason], p_metadata, false, p_expected)
$$;

create or replace function tasker.transition_step(
  p_step uuid, p_event text, p_reason text default null, p_metadata jsonb default '{}', p_expected text default null
) returns text language sql as $$
  select tasker.walk_step(p_step, array[p_event], array[p_reason], p_metadata, false, p_expected)
$$;

-- The walk a task takes as create_task writes it: created pending, then to the state that has
-- its root steps dispatched. Recorded by no row: derived for every task that has steps.
create or replace function tasker.creation_walk(p_reason text) returns tasker.transitions language sql immutable as $$
  select row(null, null, null, null, null, null, null,
             null, array_prepend('pending', tasker.walk_states('task', 'pending', tasker.task_path('pending', 'has_ready_steps'))),
             array_prepend('create', tasker.task_path('pending', 'has_ready_steps')),
             array[p_reason, 'task created', 'task initialized', 'root steps dispatched'], '{}'::jsonb, null)::tasker.transitions
$$;

-- Every walk of the audit trail, in time order by (created_at, kind, id): the walks written
-- (kind 2: an attempt's outcome on its dispatch row, and the other walks in tasker.transitions),
-- and those derived from the facts that imply them: a task's and a step's creation (kind 0, from
-- their rows) and each claim of a step (kind 1, from its dispatch row: attempt 1 was pending, a
-- later one waiting for a retry).
create or replace view tasker.walks as
  select t.id, 2 as kind, t.task_uuid, t.step_uuid, t.step_from, t.step_states, t.step_events, t.step_reasons,
         t.task_from, t.task_states, t.task_events, t.task_reasons, t.metadata, t.created_at
    from tasker.transitions t
  union all
  select 0, 0, k.task_uuid, null, null, null, null, null, (c.w).task_from, (c.w).task_states, (c.w).task_events, (c.w).task_reasons,
         '{}'::jsonb, k.created_at
    from tasker.tasks k cross join lateral (select tasker.creation_walk(k.reason) as w) c
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

-- The audit, one row per event, numbered per entity in time order.
create or replace view tasker.workflow_step_transitions as
  select w.step_uuid, coalesce(w.step_states[e.i - 1], w.step_from) as from_state, e.to_state, w.step_events[e.i] as event,
         w.step_reasons[e.i] as reason, w.metadata,
         row_number() over (partition by w.step_uuid order by w.created_at, w.kind, w.id, e.i)::int as sort_key,
         row_number() over (partition by w.step_uuid order by w.created_at desc, w.kind desc, w.id desc, e.i desc) = 1 as most_recent,
         w.created_at
    from tasker.walks w cross join lateral unnest(w.step_states) with ordinality as e(to_state, i)
   where w.step_uuid is not null;

create or replace view tasker.task_transitions as
  select w.task_uuid, coalesce(w.task_states[e.i - 1], w.task_from) as from_state, e.to_state, w.task_events[e.i] as event,
         w.task_reasons[e.i] as reason, case when w.step_uuid is null then w.metadata else '{}'::jsonb end as metadata,
         row_number() over (partition by w.task_uuid order by w.created_at, w.kind, w.id, e.i)::int as sort_key,
         row_number() over (partition by w.task_uuid order by w.created_at desc, w.kind desc, w.id desc, e.i desc) = 1 as most_recent,
         w.created_at
    from tasker.walks w cross join lateral unnest(w.task_states) with ordinality as e(to_state, i)
   where w.task_states is not null;

-- Writing an audit row through the view (tools that plant a transition) stores a one-event walk.
create or replace function tasker.insert_step_transition() returns trigger language plpgsql as $$
begin
  insert into tasker.transitions (task_uuid, step_uuid, step_from, step_states, step_events, step_reasons, metadata, created_at)
  select s.task_uuid, new.step_uuid, new.from_state, array[new.to_state], array[new.event], array[new.reason],
         coalesce(new.metadata, '{}'), coalesce(new.created_at, clock_timestamp())
    from tasker.workflow_steps s where s.step_uuid = new.step_uuid;
  return new;
end $$;

create trigger workflow_step_transitions_insert instead of insert on tasker.workflow_step_transitions
  for each row execute function tasker.insert_step_transition();

-- Removes a task and everything that hangs off it (what foreign keys would have cascaded).
create or replace function tasker.delete_task(p_task uuid) returns boolean language plpgsql as $$
begin
  perform 1 from tasker.tasks where task_uuid = p_task for update;
  if not found then return false; end if;
  delete from tasker.workflow_step_edges e using tasker.workflow_steps s where s.task_uuid = p_task and e.to_step_uuid = s.step_uuid;
  delete from tasker.transitions where task_uuid = p_task;
  delete from tasker.step_dispatches where task_uuid = p_task;
  delete from tasker.outbox where payload->>'task_uuid' = p_task::text;
  delete from tasker.workflow_steps where task_uuid = p_task;
  delete from tasker.tasks where task_uuid = p_task;
  return true;
end $$;
