-- Which steps may run now, and where a task stands.

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

-- A step is ready when every parent is complete (or resolved manually), it is pending or waiting
-- for a retry whose backoff has elapsed, and it has attempts left. A first attempt is always eligible.
create or replace function tasker.get_ready_steps(p_task uuid)
returns table (step_uuid uuid, name text, attempts int, max_attempts int, ordinal int)
language sql stable as $$
  select s.step_uuid, s.name, s.attempts, s.max_attempts, s.ordinal
    from tasker.workflow_steps s
   where s.task_uuid = p_task
     and s.state in ('pending', 'waiting_for_retry')
     and s.attempts < s.max_attempts
     and (s.attempts = 0 or s.state = 'pending' or s.next_attempt_at is null or s.next_attempt_at <= now())
     and not exists (
       select 1
         from tasker.workflow_step_edges e
         join tasker.workflow_steps p on p.step_uuid = e.from_step_uuid
        where e.to_step_uuid = s.step_uuid
          and p.state not in ('complete', 'resolved_manually'))
   order by s.ordinal
$$;

-- Counts and the execution status, with TAS-67's precedence fix: blocked_by_failures wins over
-- has_ready_steps (same order as executionStatus in lib/domain/execution-status.ts), given how
-- many steps are ready (a caller that already has the ready set passes its size).
create or replace function tasker.task_execution_context(p_task uuid, p_ready int)
returns table (
  task_uuid uuid, total_steps int, ready_steps int, in_progress_steps int, waiting_for_retry_steps int,
  completed_steps int, failed_steps int, execution_status text, next_retry_at timestamptz
) language sql stable as $$
  with counts as (
    select
      count(*)::int as total,
      count(*) filter (where s.state in ('enqueued', 'in_progress', 'enqueued_for_orchestration', 'enqueued_as_error_for_orchestration'))::int as in_progress,
      count(*) filter (where s.state = 'waiting_for_retry')::int as waiting,
      count(*) filter (where s.state in ('complete', 'resolved_manually'))::int as completed,
      count(*) filter (where s.state = 'error')::int as failed,
      min(s.next_attempt_at) filter (where s.state = 'waiting_for_retry') as next_retry_at
    from tasker.workflow_steps s where s.task_uuid = p_task
  )
  select p_task, c.total, p_ready, c.in_progress, greatest(c.waiting - p_ready, 0), c.completed, c.failed,
    case
      when c.failed > 0 then 'blocked_by_failures'
      when p_ready > 0 then 'has_ready_steps'
      when c.in_progress > 0 then 'processing'
      when c.waiting > 0 then 'waiting_for_retry'
      when c.completed = c.total then 'all_complete'
      else 'waiting_for_dependencies'
    end,
    c.next_retry_at
  from counts c
  where c.total > 0
$$;

create or replace function tasker.get_task_execution_context(p_task uuid)
returns table (
  task_uuid uuid, total_steps int, ready_steps int, in_progress_steps int, waiting_for_retry_steps int,
  completed_steps int, failed_steps int, execution_status text, next_retry_at timestamptz
) language sql stable as $$
  select * from tasker.task_execution_context(p_task, (select count(*)::int from tasker.get_ready_steps(p_task)))
$$;
