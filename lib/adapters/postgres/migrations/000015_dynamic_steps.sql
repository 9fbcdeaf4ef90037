-- Dynamic workflows (issue 15): decision steps, batchable steps and their batch workers, skipped
-- steps, and checkpoints of batch instances. The skipped state's rules are generated (000016).
-- re-creates: tasker.insert_steps(uuid, jsonb), tasker.claim_steps_locked(uuid, uuid[], boolean),
--             tasker.apply_step_results(jsonb, float8[]), tasker.step_action(uuid, text, text, jsonb)
-- Each re-created function changes only the lines marked `issue 15`; the rest is in the helpers below.
--
-- A decision's result ({activate: [names]}) skips its dependents it did not activate; a step whose
-- parents are all skipped is skipped too, and one with some parents complete runs with their
-- results (convergence). A batchable's result ({batches: [cursor, ...]}) makes its batch_worker
-- step instance 0 of n and adds instances 1..n-1 (same name, same edges); zero batches skip the
-- worker. Both happen in the transaction that applies the result, so apply-once and the outbox hold.

-- What kind of step (null: a normal one) and, for a batchable step, its {worker, maxBatches}.
-- step_type: added by 000014_wait_steps.sql
alter table tasker.workflow_steps add column batch jsonb;
-- An instance of a batch_worker step: instance batch_index (from 0) of batch_count, with its cursor
-- and the last checkpoint a failed attempt of it saved.
alter table tasker.workflow_steps add column batch_index int;
alter table tasker.workflow_steps add column batch_count int;
alter table tasker.workflow_steps add column batch_cursor jsonb;
alter table tasker.workflow_steps add column checkpoint jsonb;

-- The results a step's dispatch carries: by parent name, skipped parents left out, the instances of
-- a batch worker as one array in batch order. A batch instance is not given its batchable's result
-- (every batch's cursor): its own cursor comes in its batch.
create or replace function tasker.dependency_results(p_step uuid) returns jsonb language plpgsql stable as $$
declare v_instance boolean := (select batch_index is not null from tasker.workflow_steps where step_uuid = p_step);
begin
  return (
    select coalesce(jsonb_object_agg(r.name, r.results), '{}'::jsonb)
      from (select p.name,
                   case when count(p.batch_index) = 0 then (array_agg(coalesce(p.results, 'null'::jsonb)))[1]
                        else jsonb_agg(coalesce(p.results, 'null'::jsonb) order by p.batch_index) end as results
              from tasker.workflow_step_edges e
              join tasker.workflow_steps p on p.step_uuid = e.from_step_uuid
             where e.to_step_uuid = p_step and p.state <> 'skipped' and not (v_instance and p.step_type = 'batchable')
             group by p.name) r);
end $$;

-- {batch: {index, count, cursor, checkpoint}} for an instance of a batch worker, else {}.
create or replace function tasker.batch_of_instance(p_step uuid) returns jsonb language plpgsql stable as $$
begin
  return coalesce((
    select jsonb_build_object('batch', jsonb_build_object('index', s.batch_index, 'count', s.batch_count,
             'cursor', coalesce(s.batch_cursor, 'null'::jsonb), 'checkpoint', coalesce(s.checkpoint, 'null'::jsonb)))
      from tasker.workflow_steps s
     where s.step_uuid = p_step and s.batch_index is not null), '{}'::jsonb);
end $$;

-- Why a decision's result cannot apply, or null: it must be {activate: [names]}, each a dependent.
create or replace function tasker.decision_problem(p_value jsonb, p_step uuid) returns text language plpgsql stable as $$
declare
  v_unknown text;
  v_dependents text;
begin
  if jsonb_typeof(p_value) is distinct from 'object' or jsonb_typeof(p_value->'activate') is distinct from 'array'
     or exists (select 1 from jsonb_array_elements(p_value->'activate') a where jsonb_typeof(a) <> 'string') then
    return 'a decision must return { activate: [step names] }';
  end if;
  select string_agg(c.name, ', ' order by c.ordinal) into v_dependents
    from tasker.workflow_step_edges e join tasker.workflow_steps c on c.step_uuid = e.to_step_uuid
   where e.from_step_uuid = p_step;
  select string_agg(a, ', ') into v_unknown
    from jsonb_array_elements_text(p_value->'activate') a
   where a <> all(string_to_array(coalesce(v_dependents, ''), ', '));
  if v_unknown is not null then
    return 'the decision activates ' || v_unknown || ', not among its dependents (' || coalesce(v_dependents, 'none') || ')';
  end if;
  return null;
end $$;

-- Why a batchable's result cannot apply, or null: it must be {batches: [...]}, at most p_max of them.
create or replace function tasker.batches_problem(p_value jsonb, p_max int) returns text language plpgsql immutable as $$
begin
  if jsonb_typeof(p_value) is distinct from 'object' or jsonb_typeof(p_value->'batches') is distinct from 'array' then
    return 'a batchable step must return { batches: [cursor, ...] }';
  end if;
  if jsonb_array_length(p_value->'batches') > p_max then
    return 'the step returned ' || jsonb_array_length(p_value->'batches') || ' batches, over its max_batches of ' || p_max;
  end if;
  return null;
end $$;

-- A result as it applies: a batch instance's checkpoint is kept; a decision's or a batchable's
-- success its step cannot take becomes a permanent failure (invalid_decision, invalid_batches).
create or replace function tasker.checked_result(p_result jsonb, p_step uuid) returns jsonb language plpgsql as $$
declare
  s record;
  v_problem text;
begin
  if p_result ? 'checkpoint' then
    update tasker.workflow_steps set checkpoint = p_result->'checkpoint' where step_uuid = p_step and batch_index is not null;
  end if;
  if p_result->>'status' is distinct from 'success' then return p_result; end if;
  select step_type, batch into s from tasker.workflow_steps where step_uuid = p_step;
  if s.step_type = 'decision' then
    v_problem := tasker.decision_problem(p_result->'result', p_step);
  elsif s.step_type = 'batchable' then
    v_problem := tasker.batches_problem(p_result->'result', (s.batch->>'maxBatches')::int);
  end if;
  if v_problem is null then return p_result; end if;
  return p_result || jsonb_build_object('status', 'failure', 'result', null, 'error', jsonb_build_object(
    'error_type', case s.step_type when 'decision' then 'invalid_decision' else 'invalid_batches' end,
    'message', v_problem, 'retryable', false, 'retry_after_ms', null, 'code', null));
end $$;

-- Skips the given pending steps and, transitively, every pending step all of whose parents are
-- then skipped; one audit row each, with the event_id of the result that caused it. Returns every
-- step skipped: the caller counts them complete and releases their children (those with another
-- parent complete then run).
create or replace function tasker.skip_steps(p_task uuid, p_steps uuid[], p_reason text, p_metadata jsonb) returns uuid[]
language plpgsql as $$
declare
  v_all uuid[] := '{}';
  v_next uuid[] := p_steps;
begin
  while cardinality(v_next) > 0 loop
    v_all := v_all || v_next;
    v_next := array(
      select distinct c.step_uuid
        from tasker.workflow_step_edges e join tasker.workflow_steps c on c.step_uuid = e.to_step_uuid
       where e.from_step_uuid = any(v_next) and c.state = 'pending' and c.step_uuid <> all(v_all)
         and not exists (select 1 from tasker.workflow_step_edges pe join tasker.workflow_steps p on p.step_uuid = pe.from_step_uuid
                          where pe.to_step_uuid = c.step_uuid and p.state <> 'skipped' and p.step_uuid <> all(v_all)));
  end loop;
  with moved as (
    update tasker.workflow_steps s set state = tasker.step_next(s.state, 'skip'), updated_at = now()
     where s.step_uuid = any(v_all) and tasker.step_next(s.state, 'skip') is not null
    returning s.step_uuid, s.ordinal
  )
  insert into tasker.transitions (task_uuid, step_uuid, step_from, step_states, step_events, step_reasons, metadata)
  select p_task, m.step_uuid, 'pending', '{skipped}', '{skip}',
         array[case when m.step_uuid = any(p_steps) then p_reason else 'every parent was skipped' end], p_metadata
    from moved m order by m.ordinal;
  return v_all;
end $$;

-- Instance 0 of a batch is the worker's own row; instances 1..n-1 are copies of it, with its edges,
-- their children waiting for each. Returns how many steps were added.
create or replace function tasker.create_batch_instances(p_task uuid, p_worker uuid, p_batches jsonb) returns int language plpgsql as $$
declare v_n int := jsonb_array_length(p_batches);
begin
  update tasker.workflow_steps set batch_index = 0, batch_count = v_n, batch_cursor = p_batches->0 where step_uuid = p_worker;
  with clones as (
    insert into tasker.workflow_steps (
      step_uuid, task_uuid, name, ordinal, namespace, handler_callable, inputs, max_attempts, retryable, backoff_base_ms,
      max_backoff_ms, timeout_seconds, publishes_events, waiting_on, has_children, state, step_type, batch_index, batch_count, batch_cursor)
    select gen_random_uuid(), w.task_uuid, w.name, w.ordinal, w.namespace, w.handler_callable, w.inputs, w.max_attempts, w.retryable,
           w.backoff_base_ms, w.max_backoff_ms, w.timeout_seconds, w.publishes_events, w.waiting_on, w.has_children, 'pending',
           w.step_type, (x.i - 1)::int, v_n, x.b
      from tasker.workflow_steps w cross join jsonb_array_elements(p_batches) with ordinality as x(b, i)
     where w.step_uuid = p_worker and x.i > 1
    returning step_uuid
  ),
  parents as (
    insert into tasker.workflow_step_edges (from_step_uuid, to_step_uuid)
    select e.from_step_uuid, c.step_uuid from clones c cross join tasker.workflow_step_edges e where e.to_step_uuid = p_worker
  )
  insert into tasker.workflow_step_edges (from_step_uuid, to_step_uuid)
  select c.step_uuid, e.to_step_uuid from clones c cross join tasker.workflow_step_edges e where e.from_step_uuid = p_worker;
  update tasker.workflow_steps k set waiting_on = k.waiting_on + v_n - 1
    from tasker.workflow_step_edges e where e.from_step_uuid = p_worker and k.step_uuid = e.to_step_uuid;
  update tasker.tasks set total_steps = total_steps + v_n - 1 where task_uuid = p_task;
  return v_n - 1;
end $$;

-- What a completed decision or batchable step does to its task (p_value: its result): the skips
-- (every step skipped, for the caller to count and release) and how many instances were added.
-- A result without activate (an operator's complete_manually) activates every dependent.
create or replace function tasker.apply_dynamic(
  p_task uuid, p_step uuid, p_value jsonb, p_event uuid, out skipped uuid[], out added int
) language plpgsql as $$
declare
  s record;
  v_skip uuid[] := '{}';
  v_worker uuid;
begin
  skipped := '{}';
  added := 0;
  select step_type, batch, name into s from tasker.workflow_steps where step_uuid = p_step;
  if s.step_type = 'decision' and jsonb_typeof(p_value->'activate') = 'array' then
    v_skip := array(select c.step_uuid from tasker.workflow_step_edges e join tasker.workflow_steps c on c.step_uuid = e.to_step_uuid
                     where e.from_step_uuid = p_step and c.state = 'pending' and not (p_value->'activate' ? c.name));
  elsif s.step_type = 'batchable' then
    select w.step_uuid into v_worker from tasker.workflow_steps w
     where w.task_uuid = p_task and w.name = s.batch->>'worker' and w.state = 'pending' and w.batch_index is null;
    if v_worker is null then return; end if;
    if coalesce(jsonb_array_length(case when jsonb_typeof(p_value->'batches') = 'array' then p_value->'batches' end), 0) = 0 then
      v_skip := array[v_worker];
    else
      added := tasker.create_batch_instances(p_task, v_worker, p_value->'batches');
    end if;
  end if;
  if cardinality(v_skip) > 0 then
    skipped := tasker.skip_steps(p_task, v_skip,
      case s.step_type when 'decision' then 'not activated by decision ' || s.name else 'no batches from ' || s.name end,
      jsonb_build_object('event_id', p_event, 'cause_step_uuid', p_step));
  end if;
end $$;

-- The same for an operator's complete_manually: the counters are written and the children released at once.
create or replace function tasker.apply_dynamic_now(p_task uuid, p_step uuid, p_value jsonb) returns void language plpgsql as $$
declare v_dynamic record;
begin
  v_dynamic := tasker.apply_dynamic(p_task, p_step, p_value, null);
  if cardinality(v_dynamic.skipped) > 0 then
    perform tasker.note_step_moves(p_task, v_dynamic.skipped, 'pending', 'skipped');
  end if;
end $$;

create or replace function tasker.insert_steps(p_task uuid, p_template jsonb) returns uuid[] language plpgsql as $$
declare v_roots uuid[];
begin
  with inserted as (
    insert into tasker.workflow_steps (
      step_uuid, task_uuid, name, ordinal, namespace, handler_callable, inputs, step_type, wait_on_timeout, max_attempts, retryable,
      backoff_base_ms, max_backoff_ms, timeout_seconds, publishes_events, waiting_on, has_children, state, attempts, last_attempted_at,
      batch) -- issue 15
    select gen_random_uuid(), p_task, s->>'name', ord, s->>'namespace', coalesce(s->'handler'->>'callable', ''),
           coalesce(s->'handler'->'initialization', '{}'::jsonb), s->>'type', s->'wait'->>'onTimeout',
           (s->'retry'->>'maxAttempts')::int, (s->'retry'->>'retryable')::boolean, (s->'retry'->>'backoffBaseMs')::int,
           (s->'retry'->>'maxBackoffMs')::int, (s->>'timeoutSeconds')::int, coalesce(s->'publishesEvents', '[]'::jsonb), jsonb_array_length(coalesce(s->'dependencies', '[]'::jsonb)),
           p.dep is not null, case when r.root then tasker.step_next('pending', 'enqueue') else 'pending' end,
           r.root::int, case when r.root then now() end,
           s->'batch' -- issue 15
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
        'dependency_results', tasker.dependency_results(m.step_uuid), -- issue 15: skipped parents left out, batch results in order
        'publishes_events', m.publishes_events) || tasker.batch_of_instance(m.step_uuid) as payload -- issue 15: {batch} on an instance
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
    select e.i::int as i, e.r as result, d.task_uuid
      from jsonb_array_elements(p_results) with ordinality as e(r, i)
      left join tasker.step_dispatches d on d.event_id = (e.r->>'event_id')::uuid
     order by d.task_uuid nulls first, e.i
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
  return (select coalesce(jsonb_agg(o.value || jsonb_build_object('step_state', s.state, 'task_state', t.state) order by o.key::int), '[]'::jsonb)
            from jsonb_each(v_outcomes) o
            left join tasker.workflow_steps s on s.step_uuid = (o.value->>'step_uuid')::uuid
            left join tasker.tasks t on t.task_uuid = (o.value->>'task_uuid')::uuid);
end $$;

create or replace function tasker.step_action(p_step uuid, p_action text, p_reason text, p_result jsonb default null)
returns jsonb language plpgsql as $$
declare
  v_task uuid := (select task_uuid from tasker.workflow_steps where step_uuid = p_step);
  v_task_state text;
begin
  if v_task is null then return tasker.operator_refusal('no such step'); end if;
  select state into v_task_state from tasker.tasks where task_uuid = v_task for update;
  if tasker.task_is_terminal(v_task_state) and tasker.task_next(v_task_state, 'reopen') is null then
    return tasker.operator_refusal('the task is ' || v_task_state || ' and takes no more step actions');
  end if;
  if tasker.transition_step(p_step, p_action, p_reason, jsonb_build_object('operator_action', p_action)) is null then
    return tasker.operator_refusal(p_action || ' is not allowed for a step in state ' ||
                                   (select state from tasker.workflow_steps where step_uuid = p_step));
  end if;
  if tasker.task_is_terminal(v_task_state) then
    perform tasker.walk_task(v_task, '{reopen}', array[p_reason], jsonb_build_object('operator_action', p_action, 'step_uuid', p_step));
    update tasker.tasks set completed_at = null, blocked_at = now() where task_uuid = v_task;
  end if;
  perform tasker.supersede_open_dispatches(v_task, p_step);
  update tasker.workflow_steps
     set attempts = case when p_action = 'reset_for_retry' then 0 else attempts end,
         next_attempt_at = null,
         results = case when p_action = 'complete_manually' then coalesce(p_result, 'null'::jsonb) else results end
   where step_uuid = p_step;
  if p_action = 'complete_manually' then perform tasker.apply_dynamic_now(v_task, p_step, p_result); end if; -- issue 15
  return jsonb_build_object('ok', true, 'outbox', tasker.evaluate_task(v_task));
end $$;

select tasker.grant_runtime_access();
