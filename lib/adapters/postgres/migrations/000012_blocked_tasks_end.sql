-- Blocked tasks end, and tell the truth while they wait (tasker-core's TaskFinalizer: a permanent
-- failure or exhausted retries finalize the task as TaskFailed). A task blocked_by_failures fails
-- (-> error, publishing task.failed) once nothing of it is in flight and its grace has passed: the
-- setting blocked_task_grace_ms, 0 by default (at once). While a task is blocked or failed, the
-- retries of its steps waiting for one are held (they have no due time). An operator's step action
-- on a failed task reopens it (error -> blocked_by_failures, 000010) and it walks on from there.

-- When the task became blocked_by_failures; null in every other state. Only blocked tasks are in
-- the index (the sweeper looks for those whose grace has passed); the updates that keep a task's
-- counters never change the column, so they stay HOT.
alter table tasker.tasks add column blocked_at timestamptz;
create index tasks_blocked_idx on tasker.tasks (blocked_at) where blocked_at is not null;

-- Tasks already blocked when this runs: their grace counts from now.
update tasker.tasks set blocked_at = now() where state = 'blocked_by_failures';

-- How long a blocked task is kept for an operator before it fails (milliseconds). The deploy-time
-- migration writes the construct's blockedTaskGrace, the embedded runtime its blockedTaskGraceMs.
insert into tasker.settings (key, value) values ('blocked_task_grace_ms', '0') on conflict (key) do nothing;

create or replace function tasker.blocked_task_grace_ms() returns bigint language sql stable as $$
  select coalesce((select (value #>> '{}')::bigint from tasker.settings where key = 'blocked_task_grace_ms'), 0)
$$;

create or replace function tasker.set_blocked_task_grace(p_ms bigint) returns bigint language plpgsql as $$
begin
  if p_ms is null or p_ms < 0 then
    raise exception 'the blocked task grace must be 0 or more milliseconds (got %)', p_ms using errcode = '22023';
  end if;
  insert into tasker.settings (key, value) values ('blocked_task_grace_ms', to_jsonb(p_ms))
  on conflict (key) do update set value = excluded.value;
  return p_ms;
end $$;

-- Same rule as blockedTaskFails in lib/domain/blocked-task.ts (a test keeps them equal).
create or replace function tasker.blocked_task_fails(p_in_flight int, p_blocked_at timestamptz, p_grace_ms bigint, p_now timestamptz)
returns boolean language sql immutable parallel safe as $$
  select p_in_flight = 0 and extract(epoch from p_now - p_blocked_at) * 1000 >= p_grace_ms
$$;

-- Decides what a task does next from its counters (moved by p_delta: in flight, waiting,
-- completed, failed, for step moves the caller has not written to the task yet) and its ready
-- steps (p_released: the children the caller's results made ready, when it applied results), then writes it all: p_pending (the dispatch its last applied result closed, written
-- with the task walk it caused), the claims, and the task row once. The caller holds the task's row lock
-- (p_row: the task's row as the caller read it under that lock). A blocked task with nothing in
-- flight whose grace has passed walks on to error; a blocked or failed task's retries are held.
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
  v_grace bigint;
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

-- Blocked tasks with nothing in flight whose grace has passed (the sweeper's turn: no tick waits
-- for a grace): evaluates each, which fails it. A task another transaction holds is left for the
-- next sweep.
create or replace function tasker.fail_blocked_tasks(p_limit int) returns jsonb language plpgsql as $$
declare
  v_task uuid;
  v_out jsonb := '[]'::jsonb;
begin
  for v_task in
    select task_uuid from tasker.tasks
     where blocked_at is not null and blocked_at <= now() - make_interval(secs => tasker.blocked_task_grace_ms() / 1000.0)
       and in_flight_steps = 0
     order by blocked_at
     limit p_limit
  loop
    v_out := v_out || coalesce(tasker.evaluate_task_now(v_task, true), '[]'::jsonb);
  end loop;
  return v_out;
end $$;

-- reset_for_retry: error|cancelled -> pending with attempts reset; resolve_manually: the step no
-- longer blocks its dependents; complete_manually: complete with the given result, which
-- dependents receive as if the handler had returned it. On a task that failed (error) the action
-- reopens it first (back to blocked_by_failures, its grace counted from now); a task complete,
-- cancelled or resolved manually takes no step action.
create or replace function tasker.step_action(p_step uuid, p_action text, p_reason text, p_result jsonb default null)
returns jsonb language plpgsql as $$
declare
  v_task uuid := (select task_uuid from tasker.workflow_steps where step_uuid = p_step);
  v_task_state text;
begin
  if v_task is null then return tasker.operator_refusal('no such step'); end if;
  select state into v_task_state from tasker.tasks where task_uuid = v_task for update;
  if tasker.task_is_terminal(v_task_state) and tasker.task_next(v_task_state, 'reopen') is null then
    return tasker.operator_refusal('the task is ' || v_task_state || ' and takes no more step actions');
  end if;
  if tasker.transition_step(p_step, p_action, p_reason, jsonb_build_object('operator_action', p_action)) is null then
    return tasker.operator_refusal(p_action || ' is not allowed for a step in state ' ||
                                   (select state from tasker.workflow_steps where step_uuid = p_step));
  end if;
  if tasker.task_is_terminal(v_task_state) then
    perform tasker.walk_task(v_task, '{reopen}', array[p_reason], jsonb_build_object('operator_action', p_action, 'step_uuid', p_step));
    update tasker.tasks set completed_at = null, blocked_at = now() where task_uuid = v_task;
  end if;
  perform tasker.supersede_open_dispatches(v_task, p_step);
  update tasker.workflow_steps
     set attempts = case when p_action = 'reset_for_retry' then 0 else attempts end,
         next_attempt_at = null,
         results = case when p_action = 'complete_manually' then coalesce(p_result, 'null'::jsonb) else results end
   where step_uuid = p_step;
  return jsonb_build_object('ok', true, 'outbox', tasker.evaluate_task(v_task));
end $$;

-- The sweeper calls fail_blocked_tasks: one more operation of the runtime role (000010_runtime_role.sql), which runs as
-- its owner like the others.
create or replace function tasker.runtime_operations() returns text[] language sql immutable as $$
  select array['apply_step_result', 'apply_step_results', 'evaluate_task_now', 'mark_outbox_sent', 'unsent_outbox', 'find_timed_out_dispatches', 'claim_due_retries', 'fail_blocked_tasks']
$$;

select tasker.grant_runtime_access();
