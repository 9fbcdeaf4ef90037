-- Bursts (issue 11): an attempt's time starts when a handler takes it up, not when it is claimed.
-- Two things tell orchestration that an attempt has not run out of time while it waits in a
-- backlog (docs/reliability.md, "Bursts"):
-- - a start marker from the worker (lib/contracts/step-started-message.ts) when the message waited
--   or came back: the attempt is marked started and its deadline moves by the wait;
-- - what the sweeper sees of the dispatch queues: an attempt nobody reported started is not timed
--   out while its queue was seen holding messages within the attempt's budget (timeout + grace).

-- The first receive of the attempt's message, when a worker reported it; null: not reported.
alter table tasker.step_dispatches add column started_at timestamptz;

-- When the sweeper last saw each dispatch queue holding messages waiting for a receive (visible or
-- delayed), or could not read it. One row per queue, written once per sweep.
create table tasker.dispatch_queue_backlogs (
  queue_url text primary key,
  seen_at timestamptz not null
);

-- Start markers: each open, unreported attempt gets its start, and its deadline moves to the start
-- plus its budget (deadline - dispatched_at, unchanged since the claim while unreported). A closed,
-- unknown or already started attempt is left alone, and so is one another transaction holds (a
-- result or a timeout is closing it): skipping instead of waiting keeps markers out of the lock
-- order of apply_step_results. Returns how many attempts were marked.
create or replace function tasker.mark_attempts_started(p_starts jsonb) returns int language plpgsql as $$
declare v_marked int;
begin
  with wanted as (
    select (e->>'event_id')::uuid as event_id, min((e->>'started_at')::timestamptz) as started_at
      from jsonb_array_elements(p_starts) e
     group by 1
  ),
  open as (
    select d.event_id, w.started_at
      from tasker.step_dispatches d
      join wanted w on w.event_id = d.event_id
     where d.status = 'dispatched' and d.started_at is null
     order by d.event_id
       for update of d skip locked
  )
  update tasker.step_dispatches d
     set started_at = o.started_at,
         deadline_at = greatest(d.deadline_at, o.started_at + (d.deadline_at - d.dispatched_at))
    from open o
   where d.event_id = o.event_id;
  get diagnostics v_marked = row_count;
  return v_marked;
end $$;

-- The dispatch queue an attempt's message went to: its namespace's own, else the default one.
create or replace function tasker.dispatch_queue_of(p_queues jsonb, p_namespace text) returns text language sql immutable as $$
  select coalesce(p_queues->'namespaces'->>p_namespace, p_queues->>'default')
$$;

drop function tasker.find_timed_out_dispatches(int);

-- Dispatched attempts past their deadline with no result (Lambda killed, message dead-lettered or
-- lost). p_queues is what the sweeper saw of the dispatch queues ({"default": url, "namespaces":
-- {ns: url}, "backlogged": [url]}, lib/ports/orchestration-store.ts): the backlogged queues are
-- recorded first, then an attempt nobody reported started is held while its queue was seen holding
-- messages within the attempt's budget: its message may still be waiting there. Without p_queues
-- only the deadlines count.
create function tasker.find_timed_out_dispatches(p_limit int, p_queues jsonb default null)
returns table (event_id uuid, task_uuid uuid, step_uuid uuid, step_name text, correlation_id uuid,
               attempt int, dispatched_at timestamptz, deadline_at timestamptz)
language plpgsql as $$
#variable_conflict use_column
begin
  if p_queues is not null then
    insert into tasker.dispatch_queue_backlogs (queue_url, seen_at)
    select distinct u, now() from jsonb_array_elements_text(coalesce(p_queues->'backlogged', '[]'::jsonb)) u
    on conflict (queue_url) do update set seen_at = excluded.seen_at;
  end if;
  return query
  select d.event_id, d.task_uuid, d.step_uuid, s.name, t.correlation_id, d.attempt, d.dispatched_at, d.deadline_at
    from tasker.step_dispatches d
    join tasker.workflow_steps s on s.step_uuid = d.step_uuid
    join tasker.tasks t on t.task_uuid = d.task_uuid
   where d.status = 'dispatched' and d.deadline_at < now()
     and (d.started_at is not null or p_queues is null or not exists (
           select 1 from tasker.dispatch_queue_backlogs b
            where b.queue_url = tasker.dispatch_queue_of(p_queues, coalesce(s.namespace, t.namespace_name))
              and b.seen_at > now() - (d.deadline_at - d.dispatched_at)))
   order by d.deadline_at
   limit p_limit;
end $$;

-- The completion function records start markers: one more operation of the runtime role (000010_runtime_role.sql);
-- find_timed_out_dispatches was re-created above, so it is made the owner's again too.
create or replace function tasker.runtime_operations() returns text[] language sql immutable as $$
  select array['apply_step_result', 'apply_step_results', 'evaluate_task_now', 'mark_outbox_sent', 'unsent_outbox', 'find_timed_out_dispatches', 'claim_due_retries', 'fail_blocked_tasks', 'mark_attempts_started']
$$;

select tasker.grant_runtime_access();
