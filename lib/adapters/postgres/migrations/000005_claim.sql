-- Claiming ready steps, all in one statement: each step moves to enqueued with its attempt
-- counted, and gets a dispatch record (which is also its audit: see tasker.walks) and an outbox
-- row (the dispatch message).
-- The caller holds the task's row lock (so no step is claimed twice) and keeps the task's
-- counters from what this returns.

create or replace function tasker.setting_ms(p_key text, p_default bigint) returns bigint language sql stable as $$
  select coalesce((select (value #>> '{}')::bigint from tasker.settings where key = p_key), p_default)
$$;

-- An outbox row as the adapter reads it.
create or replace function tasker.outbox_json(o tasker.outbox) returns jsonb language sql stable as $$
  select jsonb_build_object('id', o.id::text, 'kind', o.kind, 'namespace', o.namespace, 'payload', o.payload, 'available_at', o.available_at)
$$;

-- Claims the given steps (in the order given) that the rules let enqueue. p_fresh: the steps are a new task's
-- roots, inserted already enqueued with their first attempt counted, so only what goes with
-- the claim is written. Returns the outbox rows, how many steps were claimed, and how many of
-- those were waiting for a retry.
create or replace function tasker.claim_steps_locked(
  p_task uuid, p_steps uuid[], p_fresh boolean default false,
  out outbox jsonb, out claimed int, out from_waiting int
) language plpgsql as $$
begin
  -- One instant for the whole claim, taken now (not at the transaction's start) so the audit
  -- orders a claim after what the same transaction recorded before it.
  with grace as (select coalesce((select (value #>> '{}')::float8 from tasker.settings where key = 'dispatch_grace_ms'), 900000) / 1000.0 as secs,
                        clock_timestamp() as at),
  moved as (
    update tasker.workflow_steps s
       set state = tasker.step_next(o.state, 'enqueue'), attempts = s.attempts + 1, last_attempted_at = now(),
           next_attempt_at = null, updated_at = now()
      from (select x.step_uuid, x.state, p.pos
              from unnest(p_steps) with ordinality as p(step_uuid, pos)
              join tasker.workflow_steps x on x.step_uuid = p.step_uuid
             where x.task_uuid = p_task and tasker.step_next(x.state, 'enqueue') is not null) o,
           grace g
     where s.step_uuid = o.step_uuid and not p_fresh
    returning s.step_uuid, o.state as from_state, s.state as to_state, o.pos, s.name, s.namespace, s.handler_callable, s.inputs,
              s.attempts, s.max_attempts, s.retryable, s.timeout_seconds, s.publishes_events, gen_random_uuid() as event_id,
              g.at + make_interval(secs => s.timeout_seconds + g.secs) as deadline, g.at
  ),
  fresh as (
    select s.step_uuid, 'pending'::text as from_state, s.state as to_state, p.pos, s.name,
           s.namespace, s.handler_callable, s.inputs, s.attempts, s.max_attempts, s.retryable, s.timeout_seconds,
           s.publishes_events, gen_random_uuid() as event_id, g.at + make_interval(secs => s.timeout_seconds + g.secs) as deadline, g.at
      from unnest(p_steps) with ordinality as p(step_uuid, pos)
      join tasker.workflow_steps s on s.step_uuid = p.step_uuid
      cross join grace g
     where p_fresh and s.task_uuid = p_task
  ),
  claimed as (select * from moved union all select * from fresh),
  task as (
    select t.correlation_id, t.context, t.task_name, t.task_version, t.namespace_name as namespace
      from tasker.tasks t
     where t.task_uuid = p_task
  ),
  -- The dispatch message (contract: lib/contracts/step-dispatch-message.ts).
  message as (
    select m.*, jsonb_build_object(
        'schema_version', 1,
        'message_type', 'step_dispatch',
        'event_id', m.event_id,
        'task_uuid', p_task,
        'step_uuid', m.step_uuid,
        'correlation_id', k.correlation_id,
        'trace_id', replace(p_task::text, '-', ''),
        'span_id', left(replace(m.event_id::text, '-', ''), 16),
        'namespace', coalesce(m.namespace, k.namespace),
        'task_name', k.task_name,
        'task_version', k.task_version,
        'step_name', m.name,
        'handler', jsonb_build_object('callable', m.handler_callable, 'initialization', m.inputs),
        'attempt', m.attempts,
        'max_attempts', m.max_attempts,
        'retryable', m.retryable,
        'timeout_ms', m.timeout_seconds * 1000,
        'dispatched_at', m.at,
        'deadline', m.deadline,
        'task_context', k.context,
        'dependency_results', coalesce((
          select jsonb_object_agg(p.name, coalesce(p.results, 'null'::jsonb))
            from tasker.workflow_step_edges e
            join tasker.workflow_steps p on p.step_uuid = e.from_step_uuid
           where e.to_step_uuid = m.step_uuid), '{}'::jsonb),
        'publishes_events', m.publishes_events) as payload
      from claimed m cross join task k
  ),
  dispatched as (
    insert into tasker.step_dispatches (event_id, step_uuid, task_uuid, attempt, dispatched_at, deadline_at)
    select event_id, step_uuid, p_task, attempts, at, deadline from message
  ),
  queued as (
    insert into tasker.outbox (kind, namespace, payload)
    select 'step_dispatch', payload->>'namespace', payload from message order by pos
    returning *
  )
  select coalesce(jsonb_agg(tasker.outbox_json(q) order by q.id), '[]'::jsonb),
         (select count(*)::int from message), (select count(*)::int from message where from_state = 'waiting_for_retry')
    into outbox, claimed, from_waiting
    from queued q;
end $$;

-- Claims up to p_limit ready steps of a task (all when null) for a caller that does not hold
-- the task's lock, and keeps the task's counters.
create or replace function tasker.claim_ready_steps(p_task uuid, p_limit int default null) returns jsonb language plpgsql as $$
declare v_claim record;
begin
  perform 1 from tasker.tasks where task_uuid = p_task for update;
  if not found then return '[]'::jsonb; end if;
  v_claim := tasker.claim_steps_locked(p_task, tasker.ready_step_ids(p_task, p_limit));
  if v_claim.claimed > 0 then
    update tasker.tasks
       set in_flight_steps = in_flight_steps + v_claim.claimed, waiting_steps = waiting_steps - v_claim.from_waiting
     where task_uuid = p_task;
  end if;
  return v_claim.outbox;
end $$;
