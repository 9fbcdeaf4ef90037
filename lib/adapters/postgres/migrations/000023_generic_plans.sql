-- re-creates: tasker.grant_runtime_access() (000019's: the hot operations also get plan_cache_mode)
--
-- The hot operations run their statements with generic plans only (plan_cache_mode = force_generic_plan, set on the
-- entry point: it holds for every function it calls). Under the default (auto), PL/pgSQL re-planned the claim's one
-- statement at every call, because a custom plan for a one-element array of steps is estimated cheaper than the
-- generic one; planning it cost more than running it, and more as the tables grew: in a database holding 2,850
-- 4-step tasks, claim_steps_locked took 0.83 ms of backend time per call re-planned and 0.19 ms with its generic plan
-- (release_children 0.12 → 0.05 ms). The statements were written for generic plans (000019: lookups by key whatever
-- the planner knows), and test/integration/postgres/wide-fan-out.test.ts counts their scans under generic plans.
-- The read operations of the API (list_tasks, task_transitions, …), whose optional filters a custom plan serves
-- better, are left as they are.

create or replace function tasker.generic_plan_operations() returns text[] language sql immutable as $$
  select array['apply_step_result', 'apply_step_results', 'create_task', 'create_tasks', 'claim_ready_steps', 'evaluate_task_now',
               'claim_due_retries', 'mark_outbox_sent', 'mark_attempts_started', 'expire_waits', 'fail_blocked_tasks', 'signal_step',
               'cancel_task', 'step_action']
$$;

-- As in 000019, and (changed) the entry points of generic_plan_operations() get plan_cache_mode = force_generic_plan.
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
  -- (Changed) the hot operations keep one generic plan per statement, nested calls included (see above).
  for v_fn in select p.oid::regprocedure from pg_proc p where p.pronamespace = 'tasker'::regnamespace and p.proname = any(tasker.generic_plan_operations()) order by 1 loop
    execute format('alter function %s set plan_cache_mode = force_generic_plan', v_fn);
  end loop;
  if v_role then grant usage on schema tasker to tasker_runtime; end if;
  -- PostgreSQL grants EXECUTE to PUBLIC on every new function, and a per-schema default privilege cannot take that
  -- away: each migration that creates functions ends with this call, which takes it away again.
  revoke execute on all functions in schema tasker from public;
  return cardinality(v_found);
end $$;

select tasker.grant_runtime_access();
