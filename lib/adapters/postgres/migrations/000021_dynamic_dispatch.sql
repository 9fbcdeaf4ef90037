-- re-creates: tasker.claim_steps_locked(uuid, uuid[], boolean) (000020's)
-- drops: tasker.dependency_results(uuid), tasker.batch_of_instance(uuid) (000015's; since 000020 the claim computes
--        both from its own rows, and nothing else calls them)
--
-- A decision's or a batchable step's dispatch message carries what its result must satisfy: `dynamic` =
-- {type: 'decision', dependents: [names]} or {type: 'batchable', max_batches: N} (the contract:
-- lib/contracts/step-dispatch-message.ts). The worker checks its result against it before answering, so a result
-- tasker.checked_result would refuse fails the step there, and no `success` domain event describes a result that
-- was never applied. tasker.checked_result stays: it is the engine's own check, for workers that do not look.
-- Only the claim of a decision or batchable step calls dynamic_of_step; every other step's claim is unchanged.

-- {dynamic: ...} for a decision (its dependents, by name, in template order) or a batchable step (its max_batches).
create or replace function tasker.dynamic_of_step(p_step uuid) returns jsonb language plpgsql stable as $$
begin
  return coalesce((
    select case s.step_type
             when 'decision' then
               jsonb_build_object('dynamic', jsonb_build_object('type', 'decision', 'dependents',
                 (select coalesce(jsonb_agg(c.name order by c.ordinal), '[]'::jsonb)
                    from (select x.name, min(x.ordinal) as ordinal
                            from tasker.workflow_step_edges e
                            cross join lateral (select w.name, w.ordinal from tasker.workflow_steps w
                                                 where w.step_uuid = e.to_step_uuid offset 0) x
                           where e.from_step_uuid = s.step_uuid
                           group by x.name) c)))
             when 'batchable' then
               jsonb_build_object('dynamic', jsonb_build_object('type', 'batchable',
                 'max_batches', (s.batch->>'maxBatches')::int))
           end
      from tasker.workflow_steps s
     where s.step_uuid = p_step), '{}'::jsonb);
end $$;

-- Claims the given steps (000020_claim_batch_columns.sql). (Changed: a decision's or batchable step's payload gains
-- its {dynamic}.)
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
              g.at + make_interval(secs => s.timeout_seconds + g.secs) as deadline, g.at,
              s.batch_index, s.batch_count, s.batch_cursor, s.checkpoint -- issue 12 (000020): the instance's batch, read with the step
  ),
  fresh as (
    select s.step_uuid, 'pending'::text as from_state, s.state as to_state, p.pos, s.name,
           s.namespace, s.handler_callable, s.inputs, s.attempts, s.max_attempts, s.retryable, s.timeout_seconds,
           s.publishes_events, s.step_type, gen_random_uuid() as event_id, g.at + make_interval(secs => s.timeout_seconds + g.secs) as deadline, g.at,
           s.batch_index, s.batch_count, s.batch_cursor, s.checkpoint -- issue 12 (000020): the instance's batch, read with the step
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
        'dependency_results', ( -- issue 12 (000020): dependency_results(m.step_uuid) inlined, the instance flag from the claimed row
          select coalesce(jsonb_object_agg(r.name, r.results), '{}'::jsonb)
            from (select p.name,
                         case when count(p.batch_index) = 0 then (array_agg(coalesce(p.results, 'null'::jsonb)))[1]
                              else jsonb_agg(coalesce(p.results, 'null'::jsonb) order by p.batch_index) end as results
                    from tasker.workflow_step_edges e
                    cross join lateral (select x.name, x.results, x.batch_index, x.state, x.step_type
                                          from tasker.workflow_steps x where x.step_uuid = e.from_step_uuid offset 0) p
                   where e.to_step_uuid = m.step_uuid and p.state <> 'skipped' and not (m.batch_index is not null and p.step_type = 'batchable')
                   group by p.name) r),
        'publishes_events', m.publishes_events)
        || case when m.batch_index is not null -- issue 12 (000020): batch_of_instance from the claimed row, no lookup
                  then jsonb_build_object('batch', jsonb_build_object('index', m.batch_index, 'count', m.batch_count,
                       'cursor', coalesce(m.batch_cursor, 'null'::jsonb), 'checkpoint', coalesce(m.checkpoint, 'null'::jsonb)))
                when m.step_type in ('decision', 'batchable') then tasker.dynamic_of_step(m.step_uuid) -- (000021) a dynamic step's rule
                else '{}'::jsonb end as payload
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

drop function tasker.dependency_results(uuid);
drop function tasker.batch_of_instance(uuid);

select tasker.grant_runtime_access();
