-- re-creates: tasker.apply_step_results(jsonb, float8[]) (000020_claim_batch_columns.sql's): a batch of one result is
--             applied without a statement to order it
--
-- Results are applied in the order of their tasks, so that concurrent batches take task locks in one order. That
-- order came from a statement of its own at the start of every call (each result's task looked up by its event_id,
-- then sorted), which a batch of one result does not need: a chain's every step, a one-step task's result, and every
-- result a completion function receives alone. A batch of one now goes straight to the locking read; a batch of more
-- keeps the ordering statement. The locking read finds the task, dispatch and step by the event_id alone (the task was
-- the dispatch's anyway), and finding none is what makes an `unknown_event`, for a batch of any size. What a batch
-- does, refuses and reports is unchanged (test/integration/postgres/batch-apply.test.ts); statements per one-step task
-- 15.9 → 14.9 (npm run bench, dbwork).

-- As in 000020_claim_batch_columns.sql; changed lines are marked `issue 12 (000025)`.
create or replace function tasker.apply_step_results(p_results jsonb, p_randoms float8[]) returns jsonb language plpgsql as $$
declare
  x_i int; -- issue 12 (000025): the result at hand (was: a record of the loop's query)
  x_result jsonb;
  x_task uuid;
  v_order int[]; -- issue 12 (000025): the results' positions, in lock order
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
  -- issue 12 (000025): results are applied in the order of their tasks, so that task locks are taken in that order; a
  -- batch of one needs no order, and no statement to find it (was: one lookup of each result's task, for any batch).
  if jsonb_array_length(p_results) = 1 then
    v_order := '{1}';
  else
    v_order := (select coalesce(array_agg(e.i::int order by (select d.task_uuid from tasker.step_dispatches d where d.event_id = (e.r->>'event_id')::uuid) nulls first, e.i), '{}')
                  from jsonb_array_elements(p_results) with ordinality as e(r, i));
  end if;
  foreach x_i in array v_order loop
    x_result := p_results->(x_i - 1);
    -- The result's task, its dispatch and its step, locked (000025: found by the event_id alone; none: no such attempt).
    select t, d, row(s.step_uuid, s.state, s.attempts, s.max_attempts, s.retryable, s.backoff_base_ms, s.max_backoff_ms,
                     s.has_children)::tasker.step_policy as s,
           s.step_type, s.batch_index -- issue 12 (000020): what decides whether a result can be dynamic
      into v_hit
      from tasker.tasks t
      join tasker.step_dispatches d on d.task_uuid = t.task_uuid
      join tasker.workflow_steps s on s.step_uuid = d.step_uuid
     where d.event_id = (x_result->>'event_id')::uuid
       for update;
    if not found then
      v_outcomes := v_outcomes || jsonb_build_object(x_i::text, tasker.apply_outcome('unknown_event', 'no attempt was dispatched with this event_id', null, null));
      continue;
    end if;
    x_task := (v_hit.t).task_uuid;
    -- A task's results follow each other: the first of the next task settles the one before (after taking its lock,
    -- which is the next in task order).
    if x_task is distinct from v_task then
      if v_last is not null then
        v_outcomes := tasker.with_outbox(v_outcomes, v_last, tasker.settle_task(v_row, v_delta, v_pending, v_completed));
      end if;
      v_row := v_hit.t;
      v_task := x_task; v_delta := '{0,0,0,0}'; v_pending := null; v_completed := '{}'; v_last := null;
    end if;
    -- A dispatch is closed when its task is settled: a second copy in this batch is told apart here.
    v_refusal := case when (v_hit.d).event_id = any(v_applied) then array['duplicate', 'a result for this event_id was already applied']
                      else tasker.refusal(v_hit.d, (v_hit.s).state, x_result) end;
    if v_refusal is not null then
      v_outcomes := v_outcomes || jsonb_build_object(x_i::text, tasker.apply_outcome(v_refusal[1], v_refusal[2], x_task, (v_hit.d).step_uuid));
      continue;
    end if;
    -- issue 12 (000020): checked_result only for a step it can change (a batch instance, a decision, a batchable).
    v_one := tasker.apply_one(case when v_hit.batch_index is null and coalesce(v_hit.step_type not in ('decision', 'batchable'), true) then x_result
                                   else tasker.checked_result(x_result, (v_hit.d).step_uuid) end, p_randoms[x_i], v_hit.d, v_hit.s); -- issue 15: checked_result
    if v_pending.event_id is not null then v_closed := tasker.close_dispatch(v_pending); end if;
    v_pending := v_one.walk;
    v_applied := v_applied || (v_hit.d).event_id;
    v_delta := array[v_delta[1] + v_one.delta[1], v_delta[2] + v_one.delta[2], v_delta[3] + v_one.delta[3], v_delta[4] + v_one.delta[4]];
    if v_one.delta[3] > 0 and (v_hit.s).has_children then v_completed := v_completed || (v_hit.d).step_uuid; end if;
    -- issue 15: a decision's skips and a batchable's instances, in the transaction that applies its result.
    if v_one.delta[3] > 0 and (v_hit.s).has_children and v_hit.step_type in ('decision', 'batchable') then -- issue 12 (000020): only they are dynamic
      v_dynamic := tasker.apply_dynamic(x_task, (v_hit.d).step_uuid, x_result->'result', (v_hit.d).event_id);
      v_delta[3] := v_delta[3] + cardinality(v_dynamic.skipped);
      v_completed := v_completed || v_dynamic.skipped;
      v_row.total_steps := v_row.total_steps + v_dynamic.added;
    end if;
    v_last := x_i;
    v_outcomes := v_outcomes || jsonb_build_object(x_i::text, tasker.apply_outcome('applied', null, x_task, (v_hit.d).step_uuid,
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

select tasker.grant_runtime_access();
