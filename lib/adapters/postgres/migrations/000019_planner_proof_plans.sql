-- re-creates: tasker.release_children(uuid[]), tasker.dependency_results(uuid) (the claim's parent results),
--             tasker.apply_step_results(jsonb, float8[]), tasker.grant_runtime_access()
--
-- Two changes for issue 12, each below with its reason: lookups by key (flat in width), and one
-- search_path for every plan (the chain's critical path).
--
-- 1. Lookups that cost the same whatever the planner knows (issue 12, flat in width). The engine's
-- tables grow by thousands of rows inside one wide task, before any ANALYZE has seen them (and
-- set-returning functions such as jsonb_array_elements are estimated at 100 rows), so the planner
-- chose hash joins that scan a whole table once per call: per claimed step in a claim (a 1→5,000
-- fan-out's claim scanned workflow_steps 5,000 times: 1.8 s of CPU), per batch of results in
-- apply_step_results (step_dispatches for the event_ids, workflow_steps for the outcomes) and in
-- release_children (workflow_steps). Each lookup below is by primary key, one row per row it
-- serves, which no estimate can turn into a scan. Nothing else in these functions changed.

-- The children of steps that became complete (or resolved) have one unmet parent less each.
-- Returns those that became ready by it, in order: what a result's evaluation claims.
-- (Changed: the edges are read from each parent's side, by edge key, and a few children are updated
-- one by one by primary key, so a batch of results costs the same whatever the width of a fan-in it
-- feeds and whatever the size of the table; a generic plan joining them to the steps scanned the
-- table, 0.25 ms at 1,200 steps, in every result of a chain.)
create or replace function tasker.release_children(p_steps uuid[]) returns uuid[] language plpgsql as $$
declare
  v_children uuid[];
  v_parents int[];
  v_ready uuid[] := '{}';
  v_ordinals int[] := '{}';
  v_ordinal int;
  v_is_ready boolean;
begin
  select array_agg(x.to_step_uuid), array_agg(x.n) into v_children, v_parents
    from (select e.to_step_uuid, count(*)::int as n
            from unnest(p_steps) p(step_uuid)
            cross join lateral (select to_step_uuid from tasker.workflow_step_edges where from_step_uuid = p.step_uuid offset 0) e
           group by e.to_step_uuid) x;
  if cardinality(v_children) > 16 then
    -- A wide release (a fan-out's start): one statement, whose pass over the steps is in proportion.
    with released as (
      update tasker.workflow_steps c set waiting_on = c.waiting_on - r.n
        from unnest(v_children, v_parents) r(step_uuid, n)
       where c.step_uuid = r.step_uuid
      returning c.step_uuid, c.ordinal, tasker.step_is_ready(c.state, c.waiting_on, c.attempts, c.max_attempts, c.next_attempt_at) as ready)
    select coalesce(array_agg(step_uuid order by ordinal) filter (where ready), '{}') into v_ready from released;
    return v_ready;
  end if;
  -- A few children (a chain, a batch of results): one update by primary key each, which no plan
  -- turns into a scan of the steps.
  for i in 1 .. coalesce(cardinality(v_children), 0) loop
    update tasker.workflow_steps c set waiting_on = c.waiting_on - v_parents[i] where c.step_uuid = v_children[i]
    returning c.ordinal, tasker.step_is_ready(c.state, c.waiting_on, c.attempts, c.max_attempts, c.next_attempt_at)
      into v_ordinal, v_is_ready;
    if v_is_ready then
      v_ready := v_ready || v_children[i];
      v_ordinals := v_ordinals || v_ordinal;
    end if;
  end loop;
  if cardinality(v_ready) > 1 then
    select array_agg(u.step_uuid order by u.ordinal) into v_ready from unnest(v_ready, v_ordinals) u(step_uuid, ordinal);
  end if;
  return v_ready;
end $$;

-- The results a step's dispatch carries (000015_dynamic_steps.sql). (Changed: each parent read by primary key, from
-- the edge's side, so the claim of a wide fan-in or fan-out never scans the steps table per claimed step.)
create or replace function tasker.dependency_results(p_step uuid) returns jsonb language plpgsql stable as $$
declare v_instance boolean := (select batch_index is not null from tasker.workflow_steps where step_uuid = p_step);
begin
  return (
    select coalesce(jsonb_object_agg(r.name, r.results), '{}'::jsonb)
      from (select p.name,
                   case when count(p.batch_index) = 0 then (array_agg(coalesce(p.results, 'null'::jsonb)))[1]
                        else jsonb_agg(coalesce(p.results, 'null'::jsonb) order by p.batch_index) end as results
              from tasker.workflow_step_edges e
              cross join lateral (select x.name, x.results, x.batch_index, x.state, x.step_type
                                    from tasker.workflow_steps x where x.step_uuid = e.from_step_uuid offset 0) p
             where e.to_step_uuid = p_step and p.state <> 'skipped' and not (v_instance and p.step_type = 'batchable')
             group by p.name) r);
end $$;


-- Applies a batch of results, each exactly once per event_id: see 000007_apply_result.sql.
-- (Changed: the event_ids' dispatches and the outcomes' states are read by primary key.)
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
                     s.has_children)::tasker.step_policy as s
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
    v_one := tasker.apply_one(tasker.checked_result(x.result, (v_hit.d).step_uuid), p_randoms[x.i], v_hit.d, v_hit.s); -- issue 15: checked_result
    if v_pending.event_id is not null then v_closed := tasker.close_dispatch(v_pending); end if;
    v_pending := v_one.walk;
    v_applied := v_applied || (v_hit.d).event_id;
    v_delta := array[v_delta[1] + v_one.delta[1], v_delta[2] + v_one.delta[2], v_delta[3] + v_one.delta[3], v_delta[4] + v_one.delta[4]];
    if v_one.delta[3] > 0 and (v_hit.s).has_children then v_completed := v_completed || (v_hit.d).step_uuid; end if;
    -- issue 15: a decision's skips and a batchable's instances, in the transaction that applies its result.
    if v_one.delta[3] > 0 and (v_hit.s).has_children then
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

-- 2. One search_path for every plan (issue 12, the chain's critical path). PostgreSQL keeps a PL/pgSQL
-- statement's plan with the search_path it was planned under, and plans it again from scratch when
-- a call comes with another one. The runtime operations run with search_path = pg_catalog, pg_temp
-- (000010); create_task, claim_ready_steps and the operator actions ran with the caller's. They
-- share functions (the claim, the evaluation), so on a connection that creates tasks and applies
-- results, as each Lambda and the embedded runtime's does, the claim's statement was parsed and
-- planned again at every switch: half of create_task's backend CPU (1.8 → 0.8 ms) and two thirds of
-- the claim's time in a 4-step chain. The entry points below now run with the same pinned path (a
-- SET clause, like the runtime operations', and nothing else: they keep running as their caller,
-- with no grant to the runtime role). Every object they use is schema-qualified.
--
-- grant_runtime_access sets it, so that a migration that re-creates one of them (create or replace
-- resets SET) and ends with `select tasker.grant_runtime_access();`, as every migration does, pins
-- it again. A new entry point that calls the claim or the evaluation joins pinned_path_operations.

create or replace function tasker.pinned_path_operations() returns text[] language sql immutable as $$
  select array['create_task', 'create_tasks', 'claim_ready_steps', 'cancel_task', 'step_action']
$$;

-- As in 000010, and (changed) the entry points of pinned_path_operations() get the runtime operations' search_path.
create or replace function tasker.grant_runtime_access() returns int language plpgsql as $$
declare
  v_fn regprocedure;
  v_names text[] := tasker.runtime_operations();
  v_found text[] := '{}';
  v_role boolean := exists (select from pg_roles where rolname = 'tasker_runtime');
begin
  for v_fn in select p.oid::regprocedure from pg_proc p where p.pronamespace = 'tasker'::regnamespace and p.proname = any(v_names) order by 1 loop
    execute format('alter function %s security definer set search_path = pg_catalog, pg_temp', v_fn);
    if v_role then execute format('grant execute on function %s to tasker_runtime', v_fn); end if;
    v_found := v_found || (select proname::text from pg_proc where oid = v_fn);
  end loop;
  if exists (select from unnest(v_names) n where n <> all(v_found)) then
    raise exception 'runtime operations missing from schema tasker: %', (select array_agg(n) from unnest(v_names) n where n <> all(v_found));
  end if;
  -- The engine's other entry points get the same search_path (and stay the caller's: no SECURITY DEFINER, no grant).
  for v_fn in select p.oid::regprocedure from pg_proc p where p.pronamespace = 'tasker'::regnamespace and p.proname = any(tasker.pinned_path_operations()) order by 1 loop
    execute format('alter function %s set search_path = pg_catalog, pg_temp', v_fn);
  end loop;
  if v_role then grant usage on schema tasker to tasker_runtime; end if;
  -- PostgreSQL grants EXECUTE to PUBLIC on every new function, and a per-schema default privilege cannot take that
  -- away: each migration that creates functions ends with this call, which takes it away again.
  revoke execute on all functions in schema tasker from public;
  return cardinality(v_found);
end $$;

select tasker.grant_runtime_access();
