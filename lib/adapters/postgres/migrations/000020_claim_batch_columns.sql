-- re-creates: tasker.claim_steps_locked(uuid, uuid[], boolean) (000015_dynamic_steps.sql's): the claimed rows carry
--             batch_index, batch_count, batch_cursor and checkpoint; the {batch} of an instance is built from them
--             (was: tasker.batch_of_instance(step), one lookup per claimed step), and the parents' results are read by
--             a subquery of the claim's statement, 000019's dependency_results(step) inlined (was: a call, two statements)
-- re-creates: tasker.apply_step_results(jsonb, float8[]) (000019_planner_proof_plans.sql's): the locking read also takes
--             the step's step_type and batch_index; checked_result and apply_dynamic are called only for a step they
--             can change (a batch instance / a decision or batchable)
-- re-creates: tasker.template_id(text, text, text), tasker.find_template(text, text, text) (000017_operator_api.sql's):
--             PL/pgSQL (plans kept) instead of SQL (planned at every call); find_template is one statement
--
-- Issue 12 after the dynamic workflows (issue 15) merged: the claim called two PL/pgSQL functions per claimed step,
-- three statements in all (the step's batch_index, its parents' results, the step's batch again), each a lookup by
-- primary key of a row the claim had just updated. Every step of a chain paid them on its critical path. They are now
-- part of the claim's one statement: it reads the batch columns with the rest of the step, and the parents' results
-- in a subquery per claimed step (each parent by primary key from the edge's side, as 000019 made them). What each
-- message carries is unchanged (dependency_results(uuid) and batch_of_instance(uuid) stay, for any other caller).
-- The results and the template lookups: below.

-- As in 000015_dynamic_steps.sql; changed lines are marked `issue 12 (000020)`.
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
        || case when m.batch_index is null then '{}'::jsonb -- issue 12 (000020): batch_of_instance from the claimed row, no lookup
                else jsonb_build_object('batch', jsonb_build_object('index', m.batch_index, 'count', m.batch_count,
                       'cursor', coalesce(m.batch_cursor, 'null'::jsonb), 'checkpoint', coalesce(m.checkpoint, 'null'::jsonb))) end as payload
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

-- As in 000019_planner_proof_plans.sql; changed lines are marked `issue 12 (000020)`: a result of a step that is neither
-- a batch instance, a decision nor a batchable skips checked_result (which returns such a result unchanged) and
-- apply_dynamic (which does nothing for it), two lookups of the step's type per result; the locking read gives it.
create or replace function tasker.apply_step_results(p_results jsonb, p_randoms float8[]) returns jsonb language plpgsql as $$
declare
  x record;
  v_hit record;
  v_refusal text[];
  v_one record;
  v_task uuid;
  v_row tasker.tasks;
  v_delta int[];
  v_pending tasker.step_dispatches;
  v_applied uuid[] := '{}';
  v_closed int;
  v_completed uuid[];
  v_last int;
  v_outcomes jsonb := '{}'::jsonb;
  v_dynamic record; -- issue 15
begin
  for x in
    select e.i::int as i, e.r as result,
           (select d.task_uuid from tasker.step_dispatches d where d.event_id = (e.r->>'event_id')::uuid) as task_uuid
      from jsonb_array_elements(p_results) with ordinality as e(r, i)
     order by 3 nulls first, e.i
  loop
    if x.task_uuid is distinct from v_task then
      if v_last is not null then
        v_outcomes := tasker.with_outbox(v_outcomes, v_last, tasker.settle_task(v_row, v_delta, v_pending, v_completed));
      end if;
      v_row := null;
      v_task := x.task_uuid; v_delta := '{0,0,0,0}'; v_pending := null; v_completed := '{}'; v_last := null;
    end if;
    if x.task_uuid is null then
      v_outcomes := v_outcomes || jsonb_build_object(x.i::text, tasker.apply_outcome('unknown_event', 'no attempt was dispatched with this event_id', null, null));
      continue;
    end if;
    -- The loop runs in task order, so the task locks are taken in that order (the first result of
    -- a task takes it; the step and the dispatch are locked with it).
    select t, d, row(s.step_uuid, s.state, s.attempts, s.max_attempts, s.retryable, s.backoff_base_ms, s.max_backoff_ms,
                     s.has_children)::tasker.step_policy as s,
           s.step_type, s.batch_index -- issue 12 (000020): what decides whether a result can be dynamic
      into v_hit
      from tasker.tasks t
      join tasker.step_dispatches d on d.task_uuid = t.task_uuid
      join tasker.workflow_steps s on s.step_uuid = d.step_uuid
     where d.event_id = (x.result->>'event_id')::uuid and t.task_uuid = x.task_uuid
       for update;
    if v_row.task_uuid is null then v_row := v_hit.t; end if;
    -- A dispatch is closed when its task is settled: a second copy in this batch is told apart here.
    v_refusal := case when (v_hit.d).event_id = any(v_applied) then array['duplicate', 'a result for this event_id was already applied']
                      else tasker.refusal(v_hit.d, (v_hit.s).state, x.result) end;
    if v_refusal is not null then
      v_outcomes := v_outcomes || jsonb_build_object(x.i::text, tasker.apply_outcome(v_refusal[1], v_refusal[2], x.task_uuid, (v_hit.d).step_uuid));
      continue;
    end if;
    -- issue 12 (000020): checked_result only for a step it can change (a batch instance, a decision, a batchable).
    v_one := tasker.apply_one(case when v_hit.batch_index is null and coalesce(v_hit.step_type not in ('decision', 'batchable'), true) then x.result
                                   else tasker.checked_result(x.result, (v_hit.d).step_uuid) end, p_randoms[x.i], v_hit.d, v_hit.s); -- issue 15: checked_result
    if v_pending.event_id is not null then v_closed := tasker.close_dispatch(v_pending); end if;
    v_pending := v_one.walk;
    v_applied := v_applied || (v_hit.d).event_id;
    v_delta := array[v_delta[1] + v_one.delta[1], v_delta[2] + v_one.delta[2], v_delta[3] + v_one.delta[3], v_delta[4] + v_one.delta[4]];
    if v_one.delta[3] > 0 and (v_hit.s).has_children then v_completed := v_completed || (v_hit.d).step_uuid; end if;
    -- issue 15: a decision's skips and a batchable's instances, in the transaction that applies its result.
    if v_one.delta[3] > 0 and (v_hit.s).has_children and v_hit.step_type in ('decision', 'batchable') then -- issue 12 (000020): only they are dynamic
      v_dynamic := tasker.apply_dynamic(x.task_uuid, (v_hit.d).step_uuid, x.result->'result', (v_hit.d).event_id);
      v_delta[3] := v_delta[3] + cardinality(v_dynamic.skipped);
      v_completed := v_completed || v_dynamic.skipped;
      v_row.total_steps := v_row.total_steps + v_dynamic.added;
    end if;
    v_last := x.i;
    v_outcomes := v_outcomes || jsonb_build_object(x.i::text, tasker.apply_outcome('applied', null, x.task_uuid, (v_hit.d).step_uuid,
                                                                                   case when v_one.tick is null then '[]'::jsonb else jsonb_build_array(v_one.tick) end));
  end loop;
  if v_last is not null then
    v_outcomes := tasker.with_outbox(v_outcomes, v_last, tasker.settle_task(v_row, v_delta, v_pending, v_completed));
  end if;
  -- The states each outcome reports are the ones after the whole batch.
  return (select coalesce(jsonb_agg(o.value || jsonb_build_object(
                   'step_state', (select s.state from tasker.workflow_steps s where s.step_uuid = (o.value->>'step_uuid')::uuid),
                   'task_state', (select t.state from tasker.tasks t where t.task_uuid = (o.value->>'task_uuid')::uuid)) order by o.key::int), '[]'::jsonb)
            from jsonb_each(v_outcomes) o);
end $$;

-- The template lookups (000017_operator_api.sql's), in PL/pgSQL: a SQL function with a SET clause is never inlined and
-- is planned again at every call; a PL/pgSQL one keeps its plan for the session. find_template reads the template in
-- the same statement that picks the version. Same rows, same order, same null when none.
create or replace function tasker.template_id(p_namespace text, p_name text, p_version text default null)
returns bigint language plpgsql stable as $$
begin
  return (select nt.named_task_id from tasker.named_tasks nt join tasker.namespaces ns using (namespace_id)
           where ns.name = p_namespace and nt.name = p_name and (p_version is null or nt.version = p_version)
           order by nt.version_sort desc limit 1);
end $$;

create or replace function tasker.find_template(p_namespace text, p_name text, p_version text default null)
returns jsonb language plpgsql stable as $$
begin
  return (select nt.template from tasker.named_tasks nt join tasker.namespaces ns using (namespace_id)
           where ns.name = p_namespace and nt.name = p_name and (p_version is null or nt.version = p_version)
           order by nt.version_sort desc limit 1);
end $$;

select tasker.grant_runtime_access();
