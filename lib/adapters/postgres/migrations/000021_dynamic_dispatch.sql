-- re-creates: tasker.batch_of_instance(uuid)
--
-- A decision's or a batchable step's dispatch message carries what its result must satisfy: `dynamic` =
-- {type: 'decision', dependents: [names]} or {type: 'batchable', max_batches: N} (the contract:
-- lib/contracts/step-dispatch-message.ts). The worker checks its result against it before answering, so a result
-- tasker.checked_result would refuse fails the step there, and no `success` domain event describes a result that
-- was never applied. tasker.checked_result stays: it is the engine's own check, for workers that do not look.

-- What a claimed step's dispatch payload gains (000015_dynamic_steps.sql): an instance's {batch}, and (changed) a
-- decision's or batchable step's {dynamic}; {} for every other step.
create or replace function tasker.batch_of_instance(p_step uuid) returns jsonb language plpgsql stable as $$
begin
  return coalesce((
    select case
             when s.batch_index is not null then
               jsonb_build_object('batch', jsonb_build_object('index', s.batch_index, 'count', s.batch_count,
                 'cursor', coalesce(s.batch_cursor, 'null'::jsonb), 'checkpoint', coalesce(s.checkpoint, 'null'::jsonb)))
             when s.step_type = 'decision' then
               jsonb_build_object('dynamic', jsonb_build_object('type', 'decision', 'dependents',
                 (select coalesce(jsonb_agg(c.name order by c.ordinal), '[]'::jsonb)
                    from (select distinct on (x.name) x.name, x.ordinal
                            from tasker.workflow_step_edges e
                            cross join lateral (select w.name, w.ordinal from tasker.workflow_steps w
                                                 where w.step_uuid = e.to_step_uuid offset 0) x
                           where e.from_step_uuid = s.step_uuid
                           order by x.name, x.ordinal) c)))
             when s.step_type = 'batchable' then
               jsonb_build_object('dynamic', jsonb_build_object('type', 'batchable',
                 'max_batches', (s.batch->>'maxBatches')::int))
           end
      from tasker.workflow_steps s
     where s.step_uuid = p_step), '{}'::jsonb);
end $$;

select tasker.grant_runtime_access();
