-- re-creates: tasker.create_task(...) (000027's): inserts the steps and claims the roots in one statement
-- re-creates: tasker.generic_plan_operations() (000027's): - claim_roots
-- drops: tasker.insert_steps(uuid, jsonb), tasker.claim_roots(uuid, uuid[])
--
-- Less work in creating a task (issue 12). create_task inserted the steps (insert_steps: one statement), then claimed
-- the roots (claim_roots: a second statement, which read the new step rows and the task row back by key to build the
-- messages). One statement now does both: the messages are built from what the step insert returns and what
-- create_task already holds (the task's names, context and correlation id). The rows written, the messages, and what
-- create_task refuses and returns are unchanged (test/integration/postgres: task creation, dispatch identity, delayed
-- start, dynamic steps). Two cases keep what they did, by other means:
-- - A delayed task's roots (run_at in the future) are inserted pending, attempts 0, next_attempt_at = run_at: the row
--   the insert and the update after it wrote (000018), written once.
-- - A decision or batchable root's message carries what dynamic_of_step reads from the step rows and edges, which a
--   statement cannot read back from its own inserts: such a root is inserted pending and claimed after the statement by
--   claim_steps_locked, as a released step is (no parents: no parents' results).
-- Measured side by side (npm run bench -- --only sqlloop --against 28, three runs): creating a task 5-12% less backend
-- time (one-step 265-286 -> 249-252 us, linear 368-372 -> 343-358 us); per step 0.91-0.98x one-step, 0.99-1.02x linear.

-- As in 000027_lean_claims.sql; the changed part is marked `issue 12 (000029)`.
create or replace function tasker.create_task(
  p_named_task bigint, p_context jsonb, p_correlation_id uuid, p_priority int,
  p_identity_strategy text, p_idempotency_key text, p_initiator text, p_reason text, p_run_at timestamptz default null
) returns jsonb language plpgsql as $$
declare
  v_hash text := tasker.identity_hash(p_named_task, p_identity_strategy, p_context, p_idempotency_key);
  v_task uuid := gen_random_uuid();
  v_template jsonb;
  v_walk tasker.transitions;
  v_outbox jsonb;
  v_claimed int;
  v_dynamic uuid[];
  v_more record;
  v_root_count int;
  v_namespace text;
  v_name text;
  v_version text;
  v_correlation uuid := coalesce(p_correlation_id, gen_random_uuid());
  v_delayed boolean := coalesce(p_run_at > now(), false);
begin
  select nt.template, ns.name, nt.name, nt.version,
         (select count(*)::int from jsonb_array_elements(nt.template->'steps') s
           where jsonb_array_length(coalesce(s->'dependencies', '[]'::jsonb)) = 0)
    into v_template, v_namespace, v_name, v_version, v_root_count
    from tasker.named_tasks nt join tasker.namespaces ns on ns.namespace_id = nt.namespace_id
   where nt.named_task_id = p_named_task;
  -- The task is written in the state its creation walk ends in; the audit derives that walk.
  v_walk := case when v_delayed then tasker.delayed_creation_walk(p_reason) else tasker.creation_walk(p_reason) end;
  insert into tasker.tasks (task_uuid, named_task_id, namespace_name, task_name, task_version, context, identity_strategy, identity_hash,
                            correlation_id, priority, initiator, reason, state, total_steps, in_flight_steps, run_at)
  values (v_task, p_named_task, v_namespace, v_name, v_version, p_context, p_identity_strategy, v_hash, v_correlation, p_priority, p_initiator, p_reason,
          v_walk.task_states[cardinality(v_walk.task_states)], jsonb_array_length(v_template->'steps'),
          case when v_delayed then 0 else v_root_count end, case when v_delayed then p_run_at end)
  on conflict (identity_hash) where identity_strategy <> 'always_unique' do nothing;
  if not found then
    return (select jsonb_build_object('task_uuid', task_uuid, 'created', false, 'state', state,
              'correlation_id', correlation_id, 'outbox', '[]'::jsonb)
              from tasker.tasks where identity_hash = v_hash and identity_strategy <> 'always_unique');
  end if;
  -- issue 12 (000029): the steps, their edges and the roots' claim in one statement (was insert_steps, then claim_roots).
  -- A root is inserted enqueued and dispatched here, unless the task is delayed (inserted pending until run_at) or the
  -- root is a decision or batchable step: their messages name what the step rows and edges say (dynamic_of_step),
  -- which this statement cannot read back, so they are inserted pending and claimed by claim_steps_locked after it.
  with inserted as (
    insert into tasker.workflow_steps (
      step_uuid, task_uuid, name, ordinal, namespace, handler_callable, inputs, step_type, wait_on_timeout, max_attempts, retryable,
      backoff_base_ms, max_backoff_ms, timeout_seconds, publishes_events, waiting_on, has_children, state, attempts, last_attempted_at,
      next_attempt_at, batch)
    select gen_random_uuid(), v_task, s->>'name', ord, s->>'namespace', coalesce(s->'handler'->>'callable', ''),
           coalesce(s->'handler'->'initialization', '{}'::jsonb), s->>'type', s->'wait'->>'onTimeout',
           (s->'retry'->>'maxAttempts')::int, (s->'retry'->>'retryable')::boolean, (s->'retry'->>'backoffBaseMs')::int,
           (s->'retry'->>'maxBackoffMs')::int, (s->>'timeoutSeconds')::int, coalesce(s->'publishesEvents', '[]'::jsonb),
           jsonb_array_length(coalesce(s->'dependencies', '[]'::jsonb)), p.dep is not null,
           case when r.claim_now then tasker.step_next('pending', 'enqueue') else 'pending' end, r.claim_now::int,
           case when r.claim_now then now() end,
           case when q.root and v_delayed then p_run_at end, s->'batch'
      from jsonb_array_elements(v_template->'steps') with ordinality as t(s, ord)
      cross join lateral (select jsonb_array_length(coalesce(t.s->'dependencies', '[]'::jsonb)) = 0 as root) q
      cross join lateral (select q.root and not v_delayed and coalesce(t.s->>'type', '') not in ('decision', 'batchable') as claim_now) r
      left join (select distinct d.dep from jsonb_array_elements(v_template->'steps') as u(s)
                   cross join lateral jsonb_array_elements_text(u.s->'dependencies') as d(dep)) p on p.dep = t.s->>'name'
    returning step_uuid, name, ordinal, waiting_on, state, namespace, handler_callable, inputs, attempts, max_attempts, retryable,
              timeout_seconds, publishes_events, step_type, batch_index, batch_count, batch_cursor, checkpoint
  ),
  edges as (
    insert into tasker.workflow_step_edges (from_step_uuid, to_step_uuid)
    select parent.step_uuid, child.step_uuid
      from jsonb_array_elements(v_template->'steps') as t(s)
      cross join lateral jsonb_array_elements_text(s->'dependencies') as d(dep)
      join inserted child on child.name = s->>'name'
      join inserted parent on parent.name = d.dep
  ),
  g as (select coalesce((select (value #>> '{}')::float8 from tasker.settings where key = 'dispatch_grace_ms'), 900000) / 1000.0 as secs,
               clock_timestamp() as at),
  message as (
    select s.step_uuid, s.step_type, s.timeout_seconds, s.attempts, s.ordinal, e.event_id, g.at, e.deadline,
           tasker.dispatch_message(v_task, e.event_id, s.step_uuid, v_correlation, coalesce(s.namespace, v_namespace), v_name,
             v_version, s.name, s.handler_callable, s.inputs, s.attempts, s.max_attempts, s.retryable, s.timeout_seconds, g.at,
             e.deadline, p_context, '{}'::jsonb, s.publishes_events, s.batch_index, s.batch_count, s.batch_cursor, s.checkpoint,
             s.step_type) as payload
      from inserted s
      cross join g
      cross join lateral (select gen_random_uuid() as event_id, g.at + make_interval(secs => s.timeout_seconds + g.secs) as deadline) e
     where s.state <> 'pending'
  ),
  dispatched as (
    insert into tasker.step_dispatches (event_id, step_uuid, task_uuid, attempt, dispatched_at, deadline_at, started_at, wait_deadline_at)
    select event_id, step_uuid, v_task, attempts, at, deadline,
           case when step_type = 'wait' then at end, case when step_type = 'wait' then at + make_interval(secs => timeout_seconds) end
      from message
  ),
  queued as (
    insert into tasker.outbox (kind, namespace, payload)
    select 'step_dispatch', payload->>'namespace', payload from message where step_type is distinct from 'wait' order by ordinal
    returning *
  )
  select (select coalesce(jsonb_agg(tasker.outbox_json(q) order by q.id), '[]'::jsonb) from queued q),
         (select count(*)::int from message),
         (select coalesce(array_agg(s.step_uuid order by s.ordinal), '{}') from inserted s
           where s.waiting_on = 0 and s.state = 'pending' and not v_delayed)
    into v_outbox, v_claimed, v_dynamic;
  if v_delayed then
    return jsonb_build_object('task_uuid', v_task, 'created', true, 'state', 'pending', 'correlation_id', v_correlation,
                              'outbox', jsonb_build_array(tasker.emit_retry_due(v_task, p_run_at)));
  end if;
  if cardinality(v_dynamic) > 0 then
    v_more := tasker.claim_steps_locked(v_task, v_dynamic);
    v_outbox := v_outbox || v_more.outbox;
    v_claimed := v_claimed + v_more.claimed;
  end if;
  if v_claimed <> v_root_count then
    raise exception 'task % claimed % of its % root steps', v_task, v_claimed, v_root_count using errcode = 'TK003';
  end if;
  return jsonb_build_object('task_uuid', v_task, 'created', true, 'state', v_walk.task_states[cardinality(v_walk.task_states)],
                            'correlation_id', v_correlation, 'outbox', v_outbox);
end $$;

drop function tasker.insert_steps(uuid, jsonb);
drop function tasker.claim_roots(uuid, uuid[]);

create or replace function tasker.generic_plan_operations() returns text[] language sql immutable as $$
  select array['claim_steps_locked', 'release_children', 'mark_outbox_sent']
$$;

select tasker.grant_runtime_access();
