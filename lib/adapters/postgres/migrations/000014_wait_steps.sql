-- Wait steps (issue 15, `type: wait`): a step no handler runs. When it becomes ready it is claimed
-- like any step (enqueued, an attempt counted, a dispatch record with a fresh event_id) but no
-- message is sent: its attempt stays open until a signal (tasker.signal_step) applies the signal's
-- payload as its result, or its wait deadline passes and the sweeper (tasker.expire_waits) fails it
-- with `wait_timeout` or, with `on_timeout: complete`, completes it with a null result. Both go
-- through tasker.apply_step_results, so a wait is applied once like any result: a second or late
-- signal is refused as a duplicate or late result.
--
-- re-creates: tasker.insert_steps(uuid, jsonb), tasker.claim_steps_locked(uuid, uuid[], boolean),
--             tasker.runtime_operations()
-- new:        tasker.wait_reasons, tasker.name_based_uuid, tasker.wait_domain_events, tasker.signal_step,
--             tasker.expire_waits (the runtime role's: the sweeper calls it)
-- alters:     workflow_steps (+step_type, +wait_on_timeout), step_dispatches (+wait_deadline_at, an index),
--             outbox's kind check (+domain_event)

-- The template's `type` (null: a step a handler runs; 'wait': a step that waits for a signal).
alter table tasker.workflow_steps add column step_type text;
-- A wait's `on_timeout`: 'fail' or 'complete'; null for other steps.
alter table tasker.workflow_steps add column wait_on_timeout text;
-- A wait's deadline: when its attempt is claimed plus its timeout_seconds; null for a handler's
-- attempt. Its deadline_at stays the claim plus timeout plus grace, so should the sweeper fail to
-- expire a wait for that long, the usual timeout (handler_timeout) still ends it.
alter table tasker.step_dispatches add column wait_deadline_at timestamptz;
create index step_dispatches_wait_idx on tasker.step_dispatches (wait_deadline_at)
  where status = 'dispatched' and wait_deadline_at is not null;

-- A wait's domain events (no worker publishes them: no handler runs it) go out through the outbox,
-- written with the signal or the timeout that ended the wait, so they are published after the commit
-- (and re-sent by the sweeper like any outbox row). payload: {source, detail_type, detail}.
alter table tasker.outbox drop constraint outbox_kind_check;
alter table tasker.outbox add constraint outbox_kind_check
  check (kind in ('step_dispatch', 'retry_due', 'task_lifecycle', 'domain_event'));

-- Changed from 000006: a wait has no handler (handler_callable ''), and its type and on_timeout are kept.
create or replace function tasker.insert_steps(p_task uuid, p_template jsonb) returns uuid[] language plpgsql as $$
declare v_roots uuid[];
begin
  with inserted as (
    insert into tasker.workflow_steps (
      step_uuid, task_uuid, name, ordinal, namespace, handler_callable, inputs, step_type, wait_on_timeout, max_attempts, retryable,
      backoff_base_ms, max_backoff_ms, timeout_seconds, publishes_events, waiting_on, has_children, state, attempts, last_attempted_at)
    select gen_random_uuid(), p_task, s->>'name', ord, s->>'namespace', coalesce(s->'handler'->>'callable', ''),
           coalesce(s->'handler'->'initialization', '{}'::jsonb), s->>'type', s->'wait'->>'onTimeout',
           (s->'retry'->>'maxAttempts')::int, (s->'retry'->>'retryable')::boolean, (s->'retry'->>'backoffBaseMs')::int,
           (s->'retry'->>'maxBackoffMs')::int, (s->>'timeoutSeconds')::int, coalesce(s->'publishesEvents', '[]'::jsonb), jsonb_array_length(coalesce(s->'dependencies', '[]'::jsonb)),
           p.dep is not null, case when r.root then tasker.step_next('pending', 'enqueue') else 'pending' end,
           r.root::int, case when r.root then now() end
      from jsonb_array_elements(p_template->'steps') with ordinality as t(s, ord)
      cross join lateral (select jsonb_array_length(coalesce(t.s->'dependencies', '[]'::jsonb)) = 0 as root) r
      left join (select distinct d.dep from jsonb_array_elements(p_template->'steps') as u(s)
                   cross join lateral jsonb_array_elements_text(u.s->'dependencies') as d(dep)) p on p.dep = t.s->>'name'
    returning step_uuid, name, ordinal, waiting_on
  ),
  edges as (
    insert into tasker.workflow_step_edges (from_step_uuid, to_step_uuid)
    select parent.step_uuid, child.step_uuid
      from jsonb_array_elements(p_template->'steps') as t(s)
      cross join lateral jsonb_array_elements_text(s->'dependencies') as d(dep)
      join inserted child on child.name = s->>'name'
      join inserted parent on parent.name = d.dep
  )
  select coalesce(array_agg(step_uuid order by ordinal) filter (where waiting_on = 0), '{}') into v_roots from inserted;
  return v_roots;
end $$;

-- Changed from 000005: a wait's attempt gets its wait deadline and is marked started at its claim
-- (no start marker will come: no worker takes it up), and no outbox row (no message is sent).
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
              s.attempts, s.max_attempts, s.retryable, s.timeout_seconds, s.publishes_events, s.step_type, gen_random_uuid() as event_id,
              g.at + make_interval(secs => s.timeout_seconds + g.secs) as deadline, g.at
  ),
  fresh as (
    select s.step_uuid, 'pending'::text as from_state, s.state as to_state, p.pos, s.name,
           s.namespace, s.handler_callable, s.inputs, s.attempts, s.max_attempts, s.retryable, s.timeout_seconds,
           s.publishes_events, s.step_type, gen_random_uuid() as event_id, g.at + make_interval(secs => s.timeout_seconds + g.secs) as deadline, g.at
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
    insert into tasker.step_dispatches (event_id, step_uuid, task_uuid, attempt, dispatched_at, deadline_at, started_at, wait_deadline_at)
    select event_id, step_uuid, p_task, attempts, at, deadline,
           case when step_type = 'wait' then at end, case when step_type = 'wait' then at + make_interval(secs => timeout_seconds) end
      from message
  ),
  queued as (
    insert into tasker.outbox (kind, namespace, payload)
    select 'step_dispatch', payload->>'namespace', payload from message where step_type is distinct from 'wait' order by pos
    returning *
  )
  select coalesce(jsonb_agg(tasker.outbox_json(q) order by q.id), '[]'::jsonb),
         (select count(*)::int from message), (select count(*)::int from message where from_state = 'waiting_for_retry')
    into outbox, claimed, from_waiting
    from queued q;
end $$;

-- The reasons an applied wait's walk is audited with: the result's events (start,
-- enqueue_for_orchestration, complete), told as a signal's or a timeout's.
create or replace function tasker.wait_reasons(p_events text[], p_how text) returns text[] language sql immutable as $$
  select array_agg(case e
           when 'start' then case p_how when 'signal' then 'signal received' else 'wait timed out' end
           when 'enqueue_for_orchestration' then
             case p_how when 'signal' then 'signal payload taken as the result' else 'completed on timeout (on_timeout: complete)' end
           else 'result applied' end order by i)
    from unnest(p_events) with ordinality as x(e, i)
$$;

-- A name-based uuid (version 3: MD5) of p_name, so deriving it again gives the same id.
create or replace function tasker.name_based_uuid(p_name text) returns uuid language sql immutable parallel safe as $$
  select (substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-3' || substr(h, 14, 3) || '-'
          || substr('89ab', (('x' || substr(h, 17, 1))::bit(4)::int % 4) + 1, 1) || substr(h, 18, 3) || '-' || substr(h, 21, 12))::uuid
    from md5(p_name) h
$$;

-- The outbox rows of the domain events a wait's end fires: its declared events whose condition
-- matches p_outcome ('success' or 'permanent_failure'; a wait is never retried), each with the
-- envelope of lib/contracts/domain-event.ts. An event's id is derived from the attempt's event_id and
-- the event's name, so a re-send carries the same id. p_unchecked: the payload was not checked against
-- the events' schemas (a timeout's), so the events that declare one are left out, as a worker drops an
-- event whose payload fails its schema. Returns the rows as the adapter reads them.
create or replace function tasker.wait_domain_events(p_event uuid, p_outcome text, p_payload jsonb, p_error jsonb, p_unchecked boolean)
returns jsonb language sql as $$
  with fired as (
    insert into tasker.outbox (kind, namespace, payload)
    select 'domain_event', ns.name, jsonb_build_object(
             'source', 'tasker.' || ns.name, 'detail_type', e->>'name',
             'detail', jsonb_build_object(
               'schema_version', 1, 'event_id', tasker.name_based_uuid(d.event_id::text || ':' || (e->>'name')),
               'event_name', e->>'name', 'event_version', t.task_version, 'payload', coalesce(p_payload, 'null'::jsonb),
               'error', p_error,
               'metadata', jsonb_build_object(
                 'task_uuid', d.task_uuid, 'step_uuid', d.step_uuid, 'step_name', s.name, 'namespace', ns.name,
                 'task_name', t.task_name, 'correlation_id', t.correlation_id, 'source_event_id', d.event_id,
                 'attempt', d.attempt, 'outcome', p_outcome,
                 'fired_at', to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))))
      from tasker.step_dispatches d
      join tasker.workflow_steps s on s.step_uuid = d.step_uuid
      join tasker.tasks t on t.task_uuid = d.task_uuid
      cross join lateral (select coalesce(s.namespace, t.namespace_name) as name) ns
      cross join lateral jsonb_array_elements(s.publishes_events) e
     where d.event_id = p_event
       and (e->>'condition' = 'always' or e->>'condition' = p_outcome
            or (e->>'condition' = 'failure' and p_outcome <> 'success'))
       and not (p_unchecked and e ? 'schema')
    returning *
  )
  select coalesce(jsonb_agg(tasker.outbox_json(f) order by f.id), '[]'::jsonb) from fired f
$$;

-- Signals a wait step: its open attempt is completed with p_payload as the step's result, through
-- tasker.apply_step_results (so under the task's lock, once: dependents claimed, the task evaluated,
-- the outbox written). Returns apply_step_results' outcome ({status, reason, task_uuid, step_uuid,
-- step_state, task_state, outbox}), whose status is 'applied', 'duplicate' (already signalled), 'late'
-- (timed out, or superseded by an operator), or refused here: 'unknown_task', 'unknown_step',
-- 'not_a_wait', 'not_waiting' (its dependencies are not complete yet).
create or replace function tasker.signal_step(p_task uuid, p_step text, p_payload jsonb) returns jsonb language plpgsql as $$
declare
  v_step record;
  v_event uuid;
  v_out jsonb;
begin
  select s.step_uuid, s.step_type, s.state, t.correlation_id, s.name into v_step
    from tasker.tasks t left join tasker.workflow_steps s on s.task_uuid = t.task_uuid and s.name = p_step
   where t.task_uuid = p_task;
  if not found then
    return tasker.apply_outcome('unknown_task', format('no task %s', p_task), null, null);
  elsif v_step.step_uuid is null then
    return tasker.apply_outcome('unknown_step', format('task %s has no step named %s', p_task, p_step), p_task, null);
  elsif v_step.step_type is distinct from 'wait' then
    return tasker.apply_outcome('not_a_wait', format('step %s is not a wait step: a handler runs it', p_step), p_task, v_step.step_uuid);
  end if;
  -- Its open attempt, else its latest one (apply_step_results refuses that as a duplicate or late signal).
  select d.event_id into v_event from tasker.step_dispatches d
   where d.step_uuid = v_step.step_uuid order by d.status = 'dispatched' desc, d.dispatched_at desc limit 1;
  if v_event is null or (v_step.state = 'pending' and not exists (
        select 1 from tasker.step_dispatches d where d.step_uuid = v_step.step_uuid and d.status = 'dispatched')) then
    return tasker.apply_outcome('not_waiting', format('step %s is not waiting yet: its dependencies are not complete', p_step),
                                p_task, v_step.step_uuid);
  end if;
  v_out := tasker.apply_step_result(jsonb_build_object(
    'event_id', v_event, 'task_uuid', p_task, 'step_uuid', v_step.step_uuid, 'correlation_id', v_step.correlation_id,
    'step_name', v_step.name, 'status', 'success', 'result', coalesce(p_payload, 'null'::jsonb),
    'worker', jsonb_build_object('kind', 'signal'), 'timing', jsonb_build_object('signalled_at', clock_timestamp())), 0.5);
  if v_out->>'status' = 'applied' then
    update tasker.step_dispatches set step_reasons = tasker.wait_reasons(step_events, 'signal') where event_id = v_event;
    v_out := jsonb_set(v_out, '{outbox}', (v_out->'outbox') || tasker.wait_domain_events(v_event, 'success', p_payload, null, false));
  end if;
  return v_out;
end $$;

-- Waits past their deadline: each is failed with `wait_timeout` (permanent), or completed with a
-- null result when its on_timeout is 'complete' (its attempt is recorded as timed out either way,
-- so a signal after it is refused as late). Up to p_limit, the oldest deadline first, applied in
-- one call of tasker.apply_step_results. Returns its outcomes.
create or replace function tasker.expire_waits(p_limit int) returns jsonb language plpgsql as $$
declare
  v_results jsonb;
  v_out jsonb;
  v_completed uuid[];
begin
  select coalesce(jsonb_agg(jsonb_build_object(
           'event_id', d.event_id, 'task_uuid', d.task_uuid, 'step_uuid', d.step_uuid, 'correlation_id', t.correlation_id,
           'step_name', s.name, 'attempt', d.attempt,
           'status', case when s.wait_on_timeout = 'complete' then 'success' else 'failure' end,
           'result', case when s.wait_on_timeout = 'complete' then 'null'::jsonb end,
           'error', case when s.wait_on_timeout is distinct from 'complete' then jsonb_build_object(
             'error_type', 'wait_timeout', 'retryable', false,
             'message', format('no signal arrived before the wait''s deadline %s', to_char(d.wait_deadline_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))) end,
           -- a sweeper's failure needs no start; a completion walks through it, so it is told apart
           'worker', jsonb_build_object('kind', case when s.wait_on_timeout = 'complete' then 'wait_timeout' else 'sweeper' end),
           'timing', jsonb_build_object('wait_deadline', d.wait_deadline_at)) order by d.wait_deadline_at), '[]'::jsonb),
         coalesce(array_agg(d.event_id) filter (where s.wait_on_timeout = 'complete'), '{}')
    into v_results, v_completed
    from (select * from tasker.step_dispatches
           where status = 'dispatched' and wait_deadline_at is not null and wait_deadline_at <= now()
           order by wait_deadline_at limit p_limit) d
    join tasker.workflow_steps s on s.step_uuid = d.step_uuid
    join tasker.tasks t on t.task_uuid = d.task_uuid;
  if jsonb_array_length(v_results) = 0 then return '[]'::jsonb; end if;
  v_out := tasker.apply_step_results(v_results, array_fill(0.5::float8, array[jsonb_array_length(v_results)]));
  update tasker.step_dispatches
     set status = 'timed_out', step_reasons = tasker.wait_reasons(step_events, 'timeout')
   where event_id = any(v_completed) and status = 'completed';
  -- Each applied expiry carries its domain events (success when completed, permanent_failure when failed).
  return (select coalesce(jsonb_agg(case when o->>'status' = 'applied' then jsonb_set(o, '{outbox}', (o->'outbox') ||
                   tasker.wait_domain_events((r->>'event_id')::uuid,
                     case when r->>'status' = 'success' then 'success' else 'permanent_failure' end,
                     case when r->>'status' = 'success' then r->'result' else r->'error' end, r->'error', true))
                 else o end order by i), '[]'::jsonb)
            from jsonb_array_elements(v_out) with ordinality as x(o, i)
            join jsonb_array_elements(v_results) with ordinality as y(r, j) on j = i);
end $$;

-- The sweeper expires waits: one more operation of the runtime role (000013_attempt_start.sql).
create or replace function tasker.runtime_operations() returns text[] language sql immutable as $$
  select array['apply_step_result', 'apply_step_results', 'evaluate_task_now', 'mark_outbox_sent', 'unsent_outbox', 'find_timed_out_dispatches', 'claim_due_retries', 'fail_blocked_tasks', 'mark_attempts_started', 'expire_waits']
$$;

select tasker.grant_runtime_access();
