-- What keeps work from being lost: timed-out attempts, unsent outbox rows, due retries.

-- Dispatched attempts past their deadline with no result (Lambda killed, message dead-lettered).
create or replace function tasker.find_timed_out_dispatches(p_limit int)
returns table (event_id uuid, task_uuid uuid, step_uuid uuid, step_name text, correlation_id uuid,
               attempt int, dispatched_at timestamptz, deadline_at timestamptz)
language sql stable as $$
  select d.event_id, d.task_uuid, d.step_uuid, s.name, t.correlation_id, d.attempt, d.dispatched_at, d.deadline_at
    from tasker.step_dispatches d
    join tasker.workflow_steps s on s.step_uuid = d.step_uuid
    join tasker.tasks t on t.task_uuid = d.task_uuid
   where d.status = 'dispatched' and d.deadline_at < now()
   order by d.deadline_at
   limit p_limit
$$;

-- Outbox rows older than p_older_than_ms: their sender crashed between commit and send.
create or replace function tasker.unsent_outbox(p_older_than_ms bigint, p_limit int) returns jsonb language sql stable as $$
  select coalesce(jsonb_agg(tasker.outbox_json(o) order by o.id), '[]'::jsonb)
    from (select * from tasker.outbox
           where created_at < now() - make_interval(secs => p_older_than_ms / 1000.0)
           order by id limit p_limit) o
$$;

create or replace function tasker.mark_outbox_sent(p_ids bigint[]) returns int language plpgsql as $$
declare v_n int;
begin
  delete from tasker.outbox where id = any(p_ids);
  get diagnostics v_n = row_count;
  return v_n;
end $$;

-- Evaluates one task under its row lock; skips a task another transaction holds (null).
-- Re-arms a retry tick when a step is still in backoff and nothing else will wake the task.
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
  -- The task waits for a retry exactly when evaluating it found nothing else to do.
  if (select state from tasker.tasks where task_uuid = p_task) = 'waiting_for_retry' then
    v_due := tasker.next_retry_at(p_task);
    if v_due > now() then v_out := v_out || jsonb_build_array(tasker.emit_retry_due(p_task, v_due)); end if;
  end if;
  return v_out;
end $$;

-- Tasks with a step whose backoff elapsed: evaluates each (claiming what is ready).
create or replace function tasker.claim_due_retries(p_limit int) returns jsonb language plpgsql as $$
declare
  v_task uuid;
  v_out jsonb := '[]'::jsonb;
begin
  for v_task in
    select distinct s.task_uuid from tasker.workflow_steps s
     where s.state = 'waiting_for_retry' and s.next_attempt_at <= now()
     limit p_limit
  loop
    v_out := v_out || coalesce(tasker.evaluate_task_now(v_task, true), '[]'::jsonb);
  end loop;
  return v_out;
end $$;
