-- The runtime role: what the deployed runtime (the completion and sweeper functions) logs in as, instead of the
-- owner that runs the migrations. It holds no privilege on any table or sequence: it may call the engine's
-- operations and nothing else, and they run as their owner (SECURITY DEFINER), so every change the runtime makes
-- goes through a state machine's compare-and-swap and leaves its audit row; it cannot read a task's context, edit a
-- state or run DDL. Logins are members of it (the migrate function creates the deployed one from its secret).

-- The operations the runtime calls (lib/orchestration: process-completion-batch, deliver-outbox, sweep). A migration
-- that adds one, or replaces one (create or replace resets SECURITY DEFINER and SET), replaces this list if needed
-- and ends with `select tasker.grant_runtime_access();`.
create or replace function tasker.runtime_operations() returns text[] language sql immutable as $$
  select array['apply_step_result', 'apply_step_results', 'evaluate_task_now', 'mark_outbox_sent', 'unsent_outbox', 'find_timed_out_dispatches', 'claim_due_retries']
$$;

-- Makes each runtime operation run as its owner with a search_path no caller can change (pg_catalog, then pg_temp
-- last: every engine object is schema-qualified), and lets tasker_runtime call it. Returns how many functions it
-- covered; an operation missing from the schema is an error.
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
  if v_role then grant usage on schema tasker to tasker_runtime; end if;
  -- PostgreSQL grants EXECUTE to PUBLIC on every new function, and a per-schema default privilege cannot take that
  -- away: each migration that creates functions ends with this call, which takes it away again.
  revoke execute on all functions in schema tasker from public;
  return cardinality(v_found);
end $$;

-- The role, once per cluster (roles are shared by its databases; another database may be creating it right now). A
-- migrator that may not create roles (a restricted owner of an existing database) leaves it to an administrator:
--   create role tasker_runtime nologin; select tasker.grant_runtime_access();
do $$
begin
  if exists (select from pg_roles where rolname = 'tasker_runtime') then return; end if;
  if not (select rolcreaterole or rolsuper from pg_roles where rolname = current_user) then
    raise notice 'role tasker_runtime not created: % may not create roles; an administrator can run: create role tasker_runtime nologin; select tasker.grant_runtime_access();', current_user;
    return;
  end if;
  create role tasker_runtime nologin;
exception when duplicate_object or unique_violation then
  null;
end $$;

-- No one but the owner calls the engine's functions unless granted: grant_runtime_access takes away the EXECUTE that
-- PostgreSQL grants PUBLIC on each new function (a per-schema default privilege cannot), so every later migration that
-- creates or replaces a function ends with it too.
select tasker.grant_runtime_access();
