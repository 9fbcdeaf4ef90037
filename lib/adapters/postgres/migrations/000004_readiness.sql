-- Which steps may run now, and where a task stands: read from the task's counters and the ready
-- index, so neither grows with the width of the task.

-- Same formula as computeBackoffMs in lib/domain/backoff.ts (a test keeps them equal):
-- exponential with equal jitter, or the handler's retry-after capped at the maximum.
create or replace function tasker.compute_backoff_ms(
  p_attempt int, p_base_ms float8, p_max_ms float8, p_retry_after_ms float8, p_random float8
) returns bigint language sql immutable as $$
  select case
    when p_retry_after_ms is not null and p_retry_after_ms >= 0 then least(floor(p_retry_after_ms), p_max_ms)::bigint
    else floor(
      least(p_max_ms, p_base_ms * power(2::float8, greatest(0, p_attempt - 1)::float8)) / 2
      + p_random * (least(p_max_ms, p_base_ms * power(2::float8, greatest(0, p_attempt - 1)::float8)) / 2)
    )::bigint
  end
$$;

-- Same order as executionStatus in lib/domain/execution-status.ts (a test keeps them equal), with
-- TAS-67's precedence fix: blocked_by_failures wins over has_ready_steps.
create or replace function tasker.execution_status(
  p_failed int, p_ready int, p_in_flight int, p_waiting int, p_completed int, p_total int
) returns text language sql immutable parallel safe as $$
  select case
    when p_failed > 0 then 'blocked_by_failures'
    when p_ready > 0 then 'has_ready_steps'
    when p_in_flight > 0 then 'processing'
    when p_waiting > 0 then 'waiting_for_retry'
    when p_completed = p_total then 'all_complete'
    else 'waiting_for_dependencies'
  end
$$;

-- A step is ready when every parent is complete (or resolved manually: waiting_on = 0), it is
-- pending or waiting for a retry whose backoff has elapsed, and it has attempts left. A first
-- attempt is always eligible.
create or replace function tasker.step_is_ready(
  p_state text, p_waiting_on int, p_attempts int, p_max_attempts int, p_next_attempt_at timestamptz
) returns boolean language sql stable as $$
  select p_state in ('pending', 'waiting_for_retry') and p_waiting_on = 0 and p_attempts < p_max_attempts
     and (p_attempts = 0 or p_state = 'pending' or p_next_attempt_at is null or p_next_attempt_at <= now())
$$;

-- The ready steps of a task, in order (the state condition repeated for the ready index).
create or replace function tasker.get_ready_steps(p_task uuid)
returns table (step_uuid uuid, name text, attempts int, max_attempts int, ordinal int)
language sql stable as $$
  select s.step_uuid, s.name, s.attempts, s.max_attempts, s.ordinal
    from tasker.workflow_steps s
   where s.task_uuid = p_task and s.state in ('pending', 'waiting_for_retry')
     and tasker.step_is_ready(s.state, s.waiting_on, s.attempts, s.max_attempts, s.next_attempt_at)
   order by s.ordinal
$$;

-- The task's ready steps in order, at most p_limit (all when null). Hot-path helpers are
-- PL/pgSQL: it keeps their plans for the session, where a SQL function that is not inlined is
-- planned again at every call.
create or replace function tasker.ready_step_ids(p_task uuid, p_limit int default null) returns uuid[] language plpgsql stable as $$
begin
  return (select coalesce(array_agg(r.step_uuid order by r.ordinal), '{}') from (select * from tasker.get_ready_steps(p_task) limit p_limit) r);
end $$;

-- When the task's next retry is due (null when no step waits for one).
create or replace function tasker.next_retry_at(p_task uuid) returns timestamptz language sql stable as $$
  select min(next_attempt_at) from tasker.workflow_steps where task_uuid = p_task and state = 'waiting_for_retry'
$$;

-- Counts and the execution status, given how many steps are ready.
create or replace function tasker.task_execution_context(p_task uuid, p_ready int)
returns table (
  task_uuid uuid, total_steps int, ready_steps int, in_progress_steps int, waiting_for_retry_steps int,
  completed_steps int, failed_steps int, execution_status text, next_retry_at timestamptz
) language sql stable as $$
  select t.task_uuid, t.total_steps, p_ready, t.in_flight_steps, greatest(t.waiting_steps - p_ready, 0), t.completed_steps, t.failed_steps,
         tasker.execution_status(t.failed_steps, p_ready, t.in_flight_steps, t.waiting_steps, t.completed_steps, t.total_steps),
         case when t.waiting_steps > 0 then tasker.next_retry_at(p_task) end
    from tasker.tasks t
   where t.task_uuid = p_task and t.total_steps > 0
$$;

create or replace function tasker.get_task_execution_context(p_task uuid)
returns table (
  task_uuid uuid, total_steps int, ready_steps int, in_progress_steps int, waiting_for_retry_steps int,
  completed_steps int, failed_steps int, execution_status text, next_retry_at timestamptz
) language sql stable as $$
  select * from tasker.task_execution_context(p_task, cardinality(tasker.ready_step_ids(p_task)))
$$;
