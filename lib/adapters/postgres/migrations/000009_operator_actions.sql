-- Operator actions: cancel a task; reset, resolve or complete a step by hand.

create or replace function tasker.supersede_open_dispatches(p_task uuid, p_step uuid) returns void language sql as $$
  update tasker.step_dispatches set status = 'superseded', completed_at = now()
   where task_uuid = p_task and step_uuid = p_step and status = 'dispatched'
$$;

create or replace function tasker.operator_refusal(p_reason text) returns jsonb language sql immutable as $$
  select jsonb_build_object('ok', false, 'reason', p_reason)
$$;

create or replace function tasker.cancel_task(p_task uuid, p_reason text) returns jsonb language plpgsql as $$
declare v_step uuid;
begin
  perform 1 from tasker.tasks where task_uuid = p_task for update;
  if not found then return tasker.operator_refusal('no such task'); end if;
  if tasker.transition_task(p_task, 'cancel', p_reason) is null then
    return tasker.operator_refusal('a task in state ' || (select state from tasker.tasks where task_uuid = p_task) || ' cannot be cancelled');
  end if;
  for v_step in select step_uuid from tasker.workflow_steps where task_uuid = p_task order by ordinal loop
    perform tasker.transition_step(v_step, 'cancel', p_reason);
    perform tasker.supersede_open_dispatches(p_task, v_step);
  end loop;
  return jsonb_build_object('ok', true, 'outbox', jsonb_build_array(tasker.emit_task_lifecycle(p_task, 'task.cancelled')));
end $$;

-- reset_for_retry: error|cancelled -> pending with attempts reset; resolve_manually: the step no
-- longer blocks its dependents; complete_manually: complete with the given result, which
-- dependents receive as if the handler had returned it.
create or replace function tasker.step_action(p_step uuid, p_action text, p_reason text, p_result jsonb default null)
returns jsonb language plpgsql as $$
declare
  v_task uuid := (select task_uuid from tasker.workflow_steps where step_uuid = p_step);
  v_task_state text;
begin
  if v_task is null then return tasker.operator_refusal('no such step'); end if;
  select state into v_task_state from tasker.tasks where task_uuid = v_task for update;
  if tasker.task_is_terminal(v_task_state) then
    return tasker.operator_refusal('the task is ' || v_task_state || ' and takes no more step actions');
  end if;
  if tasker.transition_step(p_step, p_action, p_reason, jsonb_build_object('operator_action', p_action)) is null then
    return tasker.operator_refusal(p_action || ' is not allowed for a step in state ' ||
                                   (select state from tasker.workflow_steps where step_uuid = p_step));
  end if;
  perform tasker.supersede_open_dispatches(v_task, p_step);
  update tasker.workflow_steps
     set attempts = case when p_action = 'reset_for_retry' then 0 else attempts end,
         next_attempt_at = null,
         results = case when p_action = 'complete_manually' then coalesce(p_result, 'null'::jsonb) else results end
   where step_uuid = p_step;
  return jsonb_build_object('ok', true, 'outbox', tasker.evaluate_task(v_task));
end $$;
