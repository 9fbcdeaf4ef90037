-- re-creates: tasker.grant_runtime_access() (000019's: the functions of generic_plan_operations() get plan_cache_mode)
--
-- The claim (claim_steps_locked) and the release of children (release_children) run their statements with generic
-- plans only (plan_cache_mode = force_generic_plan on the function). Under the default (auto), PL/pgSQL re-planned the
-- claim's one statement at every call, because a custom plan for a one-element array of steps is estimated cheaper
-- than the generic one; planning it cost more than running it, and more as the tables grew: in a database holding
-- 2,850 4-step tasks, claim_steps_locked took 0.83 ms of backend time per call re-planned and 0.19 ms with its generic
-- plan (release_children 0.12 → 0.05 ms). Both were written for generic plans (000019: lookups by key whatever the
-- planner knows; test/integration/postgres/wide-fan-out.test.ts counts their scans under generic plans).
-- Forcing generic plans on the entry points instead (apply_step_results and the others) was measured too: it cost a
-- 1 → 5,000 → 1 fan-out 0.35 ms of PostgreSQL CPU per step against 0.25 ms, so the rest keeps the default.

create or replace function tasker.generic_plan_operations() returns text[] language sql immutable as $$
  select array['claim_steps_locked', 'release_children']
$$;

-- As in 000019, and (changed) the functions of generic_plan_operations() get plan_cache_mode = force_generic_plan.
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
  -- (Changed) the claim and the release keep one generic plan per statement (see above).
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
