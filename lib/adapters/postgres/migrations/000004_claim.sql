-- Claiming ready steps: one attempt counted, one dispatch record and one outbox row per step, in
-- the transaction that moves the step to enqueued. The caller holds the task's row lock.

create or replace function tasker.setting_ms(p_key text, p_default bigint) returns bigint language sql stable as $$
  select coalesce((select (value #>> '{}')::bigint from tasker.settings where key = p_key), p_default)
$$;

-- The dispatch message for one attempt (contract: lib/contracts/step-dispatch-message.ts).
create or replace function tasker.build_dispatch_message(p_step uuid, p_event uuid, p_dispatched timestamptz, p_deadline timestamptz)
returns jsonb language sql stable as $$
  select jsonb_build_object(
    'schema_version', 1,
    'message_type', 'step_dispatch',
    'event_id', p_event,
    'task_uuid', t.task_uuid,
    'step_uuid', s.step_uuid,
    'correlation_id', t.correlation_id,
    'trace_id', replace(t.task_uuid::text, '-', ''),
    'span_id', left(replace(p_event::text, '-', ''), 16),
    'namespace', coalesce(s.namespace, ns.name),
    'task_name', nt.name,
    'task_version', nt.version,
    'step_name', s.name,
    'handler', jsonb_build_object('callable', s.handler_callable, 'initialization', s.inputs),
    'attempt', s.attempts,
    'max_attempts', s.max_attempts,
    'retryable', s.retryable,
    'timeout_ms', s.timeout_seconds * 1000,
    'dispatched_at', p_dispatched,
    'deadline', p_deadline,
    'task_context', t.context,
    'dependency_results', coalesce((
      select jsonb_object_agg(p.name, coalesce(p.results, 'null'::jsonb))
        from tasker.workflow_step_edges e
        join tasker.workflow_steps p on p.step_uuid = e.from_step_uuid
       where e.to_step_uuid = s.step_uuid), '{}'::jsonb),
    'publishes_events', s.publishes_events)
  from tasker.workflow_steps s
  join tasker.tasks t on t.task_uuid = s.task_uuid
  join tasker.named_tasks nt on nt.named_task_id = t.named_task_id
  join tasker.namespaces ns on ns.namespace_id = nt.namespace_id
  where s.step_uuid = p_step
$$;

-- An outbox row as the adapter reads it.
create or replace function tasker.outbox_json(o tasker.outbox) returns jsonb language sql immutable as $$
  select jsonb_build_object('id', o.id::text, 'kind', o.kind, 'namespace', o.namespace, 'payload', o.payload, 'available_at', o.available_at)
$$;

create or replace function tasker.claim_step(p_step uuid) returns jsonb language plpgsql as $$
declare
  v_event uuid := gen_random_uuid();
  v_timeout int;
  v_deadline timestamptz;
  v_message jsonb;
  v_row tasker.outbox;
begin
  if tasker.transition_step(p_step, 'enqueue', 'dependencies met', '{}'::jsonb) is null then return null; end if;
  update tasker.workflow_steps
     set attempts = attempts + 1, last_attempted_at = now(), next_attempt_at = null
   where step_uuid = p_step returning timeout_seconds into v_timeout;
  v_deadline := now() + make_interval(secs => v_timeout) + make_interval(secs => tasker.setting_ms('dispatch_grace_ms', 900000) / 1000.0);
  v_message := tasker.build_dispatch_message(p_step, v_event, now(), v_deadline);
  insert into tasker.step_dispatches (event_id, step_uuid, task_uuid, attempt, dispatched_at, deadline_at)
  values (v_event, p_step, (v_message->>'task_uuid')::uuid, (v_message->>'attempt')::int, now(), v_deadline);
  insert into tasker.outbox (kind, namespace, payload) values ('step_dispatch', v_message->>'namespace', v_message)
  returning * into v_row;
  return tasker.outbox_json(v_row);
end $$;

-- Claims the given ready steps of a task (in the order given); FOR UPDATE SKIP LOCKED plus the
-- state check and the compare-and-swap in transition_step mean no step is ever claimed twice.
create or replace function tasker.claim_steps_locked(p_task uuid, p_steps uuid[])
returns jsonb language plpgsql as $$
declare
  v_step uuid;
  v_entry jsonb;
  v_out jsonb := '[]'::jsonb;
begin
  for v_step in
    select s.step_uuid from tasker.workflow_steps s
     where s.task_uuid = p_task and s.step_uuid = any(p_steps) and s.state in ('pending', 'waiting_for_retry')
     order by array_position(p_steps, s.step_uuid)
       for update skip locked
  loop
    v_entry := tasker.claim_step(v_step);
    if v_entry is not null then v_out := v_out || jsonb_build_array(v_entry); end if;
  end loop;
  return v_out;
end $$;

-- The task's ready steps in order, at most p_limit (all when null).
create or replace function tasker.ready_step_ids(p_task uuid, p_limit int default null) returns uuid[] language sql stable as $$
  select coalesce(array_agg(r.step_uuid order by r.ordinal), '{}') from (select * from tasker.get_ready_steps(p_task) limit p_limit) r
$$;

-- Claims up to p_limit ready steps of a task (all when null); the caller holds the task's lock.
create or replace function tasker.claim_ready_steps_locked(p_task uuid, p_limit int default null)
returns jsonb language sql as $$
  select tasker.claim_steps_locked(p_task, tasker.ready_step_ids(p_task, p_limit))
$$;

-- Claims up to p_limit ready steps of a task for a caller that does not hold the task's lock.
create or replace function tasker.claim_ready_steps(p_task uuid, p_limit int default null) returns jsonb language plpgsql as $$
begin
  perform 1 from tasker.tasks where task_uuid = p_task for update;
  if not found then return '[]'::jsonb; end if;
  return tasker.claim_ready_steps_locked(p_task, p_limit);
end $$;
