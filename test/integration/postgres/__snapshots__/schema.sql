-- schemas

CREATE SCHEMA tasker;

-- tables

CREATE TABLE tasker.migrations (
    id integer NOT NULL,
    name text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL,
    checksum text
);

CREATE TABLE tasker.named_tasks (
    named_task_id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    namespace_id bigint NOT NULL,
    name text NOT NULL,
    version text NOT NULL,
    version_sort integer[] NOT NULL,
    description text,
    template jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE tasker.namespaces (
    namespace_id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    name text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE tasker.outbox (
    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    kind text NOT NULL,
    namespace text,
    payload jsonb NOT NULL,
    available_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE tasker.settings (
    key text NOT NULL,
    value jsonb NOT NULL
);

CREATE TABLE tasker.step_dispatches (
    event_id uuid NOT NULL,
    step_uuid uuid NOT NULL,
    task_uuid uuid NOT NULL,
    attempt integer NOT NULL,
    status text DEFAULT 'dispatched'::text NOT NULL,
    dispatched_at timestamp with time zone NOT NULL,
    deadline_at timestamp with time zone NOT NULL,
    completed_at timestamp with time zone,
    result_status text
);

CREATE TABLE tasker.step_transition_rules (
    from_state text NOT NULL,
    event text NOT NULL,
    to_state text NOT NULL
);

CREATE TABLE tasker.task_transition_rules (
    from_state text NOT NULL,
    event text NOT NULL,
    to_state text NOT NULL
);

CREATE TABLE tasker.task_transitions (
    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    task_uuid uuid NOT NULL,
    from_state text,
    to_state text NOT NULL,
    event text,
    reason text,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    sort_key integer NOT NULL,
    most_recent boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL
);

CREATE TABLE tasker.tasks (
    task_uuid uuid NOT NULL,
    named_task_id bigint NOT NULL,
    state text DEFAULT 'pending'::text NOT NULL,
    context jsonb NOT NULL,
    identity_strategy text NOT NULL,
    identity_hash text NOT NULL,
    correlation_id uuid NOT NULL,
    priority integer DEFAULT 0 NOT NULL,
    initiator text,
    reason text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    completed_at timestamp with time zone
);

CREATE TABLE tasker.workflow_step_edges (
    from_step_uuid uuid NOT NULL,
    to_step_uuid uuid NOT NULL
);

CREATE TABLE tasker.workflow_step_transitions (
    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    step_uuid uuid NOT NULL,
    from_state text,
    to_state text NOT NULL,
    event text,
    reason text,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    sort_key integer NOT NULL,
    most_recent boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL
);

CREATE TABLE tasker.workflow_steps (
    step_uuid uuid NOT NULL,
    task_uuid uuid NOT NULL,
    name text NOT NULL,
    ordinal integer NOT NULL,
    namespace text,
    handler_callable text NOT NULL,
    inputs jsonb DEFAULT '{}'::jsonb NOT NULL,
    state text DEFAULT 'pending'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    max_attempts integer NOT NULL,
    retryable boolean NOT NULL,
    backoff_base_ms integer NOT NULL,
    max_backoff_ms integer NOT NULL,
    timeout_seconds integer NOT NULL,
    publishes_events jsonb DEFAULT '[]'::jsonb NOT NULL,
    next_attempt_at timestamp with time zone,
    last_attempted_at timestamp with time zone,
    results jsonb,
    last_error jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

-- constraints

ALTER TABLE tasker.migrations ADD CONSTRAINT migrations_pkey PRIMARY KEY (id);

ALTER TABLE tasker.named_tasks ADD CONSTRAINT named_tasks_namespace_id_fkey FOREIGN KEY (namespace_id) REFERENCES tasker.namespaces(namespace_id);

ALTER TABLE tasker.named_tasks ADD CONSTRAINT named_tasks_namespace_id_name_version_key UNIQUE (namespace_id, name, version);

ALTER TABLE tasker.named_tasks ADD CONSTRAINT named_tasks_pkey PRIMARY KEY (named_task_id);

ALTER TABLE tasker.namespaces ADD CONSTRAINT namespaces_name_key UNIQUE (name);

ALTER TABLE tasker.namespaces ADD CONSTRAINT namespaces_pkey PRIMARY KEY (namespace_id);

ALTER TABLE tasker.outbox ADD CONSTRAINT outbox_kind_check CHECK ((kind = ANY (ARRAY['step_dispatch'::text, 'retry_due'::text, 'task_lifecycle'::text])));

ALTER TABLE tasker.outbox ADD CONSTRAINT outbox_pkey PRIMARY KEY (id);

ALTER TABLE tasker.settings ADD CONSTRAINT settings_pkey PRIMARY KEY (key);

ALTER TABLE tasker.step_dispatches ADD CONSTRAINT step_dispatches_pkey PRIMARY KEY (event_id);

ALTER TABLE tasker.step_dispatches ADD CONSTRAINT step_dispatches_step_uuid_fkey FOREIGN KEY (step_uuid) REFERENCES tasker.workflow_steps(step_uuid) ON DELETE CASCADE;

ALTER TABLE tasker.step_dispatches ADD CONSTRAINT step_dispatches_task_uuid_fkey FOREIGN KEY (task_uuid) REFERENCES tasker.tasks(task_uuid) ON DELETE CASCADE;

ALTER TABLE tasker.step_transition_rules ADD CONSTRAINT step_transition_rules_pkey PRIMARY KEY (from_state, event);

ALTER TABLE tasker.task_transition_rules ADD CONSTRAINT task_transition_rules_pkey PRIMARY KEY (from_state, event);

ALTER TABLE tasker.task_transitions ADD CONSTRAINT task_transitions_pkey PRIMARY KEY (id);

ALTER TABLE tasker.task_transitions ADD CONSTRAINT task_transitions_task_uuid_fkey FOREIGN KEY (task_uuid) REFERENCES tasker.tasks(task_uuid) ON DELETE CASCADE;

ALTER TABLE tasker.task_transitions ADD CONSTRAINT task_transitions_task_uuid_sort_key_key UNIQUE (task_uuid, sort_key);

ALTER TABLE tasker.tasks ADD CONSTRAINT tasks_identity_hash_key UNIQUE (identity_hash);

ALTER TABLE tasker.tasks ADD CONSTRAINT tasks_named_task_id_fkey FOREIGN KEY (named_task_id) REFERENCES tasker.named_tasks(named_task_id);

ALTER TABLE tasker.tasks ADD CONSTRAINT tasks_pkey PRIMARY KEY (task_uuid);

ALTER TABLE tasker.workflow_step_edges ADD CONSTRAINT workflow_step_edges_from_step_uuid_fkey FOREIGN KEY (from_step_uuid) REFERENCES tasker.workflow_steps(step_uuid) ON DELETE CASCADE;

ALTER TABLE tasker.workflow_step_edges ADD CONSTRAINT workflow_step_edges_pkey PRIMARY KEY (from_step_uuid, to_step_uuid);

ALTER TABLE tasker.workflow_step_edges ADD CONSTRAINT workflow_step_edges_to_step_uuid_fkey FOREIGN KEY (to_step_uuid) REFERENCES tasker.workflow_steps(step_uuid) ON DELETE CASCADE;

ALTER TABLE tasker.workflow_step_transitions ADD CONSTRAINT workflow_step_transitions_pkey PRIMARY KEY (id);

ALTER TABLE tasker.workflow_step_transitions ADD CONSTRAINT workflow_step_transitions_step_uuid_fkey FOREIGN KEY (step_uuid) REFERENCES tasker.workflow_steps(step_uuid) ON DELETE CASCADE;

ALTER TABLE tasker.workflow_step_transitions ADD CONSTRAINT workflow_step_transitions_step_uuid_sort_key_key UNIQUE (step_uuid, sort_key);

ALTER TABLE tasker.workflow_steps ADD CONSTRAINT workflow_steps_backoff_base_ms_check CHECK ((backoff_base_ms >= 0));

ALTER TABLE tasker.workflow_steps ADD CONSTRAINT workflow_steps_max_attempts_check CHECK ((max_attempts >= 1));

ALTER TABLE tasker.workflow_steps ADD CONSTRAINT workflow_steps_max_backoff_ms_check CHECK ((max_backoff_ms >= 0));

ALTER TABLE tasker.workflow_steps ADD CONSTRAINT workflow_steps_pkey PRIMARY KEY (step_uuid);

ALTER TABLE tasker.workflow_steps ADD CONSTRAINT workflow_steps_task_uuid_fkey FOREIGN KEY (task_uuid) REFERENCES tasker.tasks(task_uuid) ON DELETE CASCADE;

ALTER TABLE tasker.workflow_steps ADD CONSTRAINT workflow_steps_task_uuid_name_key UNIQUE (task_uuid, name);

ALTER TABLE tasker.workflow_steps ADD CONSTRAINT workflow_steps_timeout_seconds_check CHECK ((timeout_seconds > 0));

-- indexes

CREATE INDEX outbox_created_idx ON tasker.outbox USING btree (created_at);

CREATE INDEX step_dispatches_open_idx ON tasker.step_dispatches USING btree (deadline_at) WHERE (status = 'dispatched'::text);

CREATE INDEX step_dispatches_step_idx ON tasker.step_dispatches USING btree (step_uuid);

CREATE UNIQUE INDEX task_transitions_most_recent_idx ON tasker.task_transitions USING btree (task_uuid) WHERE most_recent;

CREATE INDEX tasks_correlation_idx ON tasker.tasks USING btree (correlation_id);

CREATE INDEX tasks_state_idx ON tasker.tasks USING btree (state);

CREATE INDEX workflow_step_edges_to_idx ON tasker.workflow_step_edges USING btree (to_step_uuid);

CREATE UNIQUE INDEX workflow_step_transitions_most_recent_idx ON tasker.workflow_step_transitions USING btree (step_uuid) WHERE most_recent;

CREATE INDEX workflow_steps_retry_idx ON tasker.workflow_steps USING btree (next_attempt_at) WHERE (state = 'waiting_for_retry'::text);

CREATE INDEX workflow_steps_task_idx ON tasker.workflow_steps USING btree (task_uuid, ordinal);

-- functions

CREATE OR REPLACE FUNCTION tasker.advance_task(p_task uuid, p_target text, p_reason text)
 RETURNS boolean
 LANGUAGE plpgsql
AS $function$
declare
  v_state text;
  v_events text[];
begin
  select state into v_state from tasker.tasks where task_uuid = p_task;
  if v_state = p_target then return false; end if;
  if p_target = 'steps_in_process' then
    v_events := case when v_state = 'enqueuing_steps' then '{}'::text[] else array['enqueue_steps'] end || array['steps_enqueued'];
  else
    v_events := case when v_state = 'evaluating_results' then '{}'::text[] else array['evaluate_results'] end || array[case p_target
      when 'complete' then 'complete'
      when 'blocked_by_failures' then 'block_by_failures'
      when 'waiting_for_retry' then 'wait_for_retry'
      else 'wait_for_dependencies' end];
  end if;
  perform tasker.walk_task(p_task, v_events, array_fill(p_reason, array[array_length(v_events, 1)]));
  return true;
end $function$;

CREATE OR REPLACE FUNCTION tasker.apply_failure(p_step uuid, p_result jsonb, p_meta jsonb, p_random double precision)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
declare
  v_step tasker.workflow_steps;
  v_error jsonb := p_result->'error';
  v_retry boolean;
  v_delay bigint;
  v_path record;
begin
  select * into v_step from tasker.workflow_steps where step_uuid = p_step;
  v_retry := (v_error->>'retryable')::boolean and v_step.retryable and v_step.attempts < v_step.max_attempts;
  v_delay := case when v_retry then tasker.compute_backoff_ms(v_step.attempts, v_step.backoff_base_ms, v_step.max_backoff_ms,
                                                              (v_error->>'retry_after_ms')::float8, p_random) end;
  select * into v_path from tasker.attempt_path(p_step, p_result,
    array['enqueue_as_error_for_orchestration', case when v_retry then 'wait_for_retry' else 'fail' end],
    array[v_error->>'error_type', v_error->>'message']);
  update tasker.workflow_steps
     set last_error = v_error || jsonb_build_object('attempt', attempts, 'at', now()),
         next_attempt_at = case when v_retry then now() + make_interval(secs => v_delay / 1000.0) end
   where step_uuid = p_step;
  perform tasker.walk_step(p_step, v_path.events, v_path.reasons, p_meta || jsonb_build_object('backoff_ms', v_delay));
  if not v_retry then return null; end if;
  return tasker.emit_retry_due(v_step.task_uuid, now() + make_interval(secs => v_delay / 1000.0));
end $function$;

CREATE OR REPLACE FUNCTION tasker.apply_outcome(p_status text, p_reason text, p_task uuid, p_step uuid, p_outbox jsonb DEFAULT '[]'::jsonb)
 RETURNS jsonb
 LANGUAGE sql
 STABLE
AS $function$
  select jsonb_build_object(
    'status', p_status, 'reason', p_reason, 'task_uuid', p_task, 'step_uuid', p_step,
    'step_state', (select state from tasker.workflow_steps where step_uuid = p_step),
    'task_state', (select state from tasker.tasks where task_uuid = p_task),
    'outbox', p_outbox)
$function$;

CREATE OR REPLACE FUNCTION tasker.apply_step_result(p_result jsonb, p_random double precision)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
declare
  v_event uuid := (p_result->>'event_id')::uuid;
  v_dispatch tasker.step_dispatches;
  v_refusal text[];
  v_tick jsonb;
  v_meta jsonb;
  v_out jsonb;
begin
  select * into v_dispatch from tasker.step_dispatches where event_id = v_event;
  if not found then
    return tasker.apply_outcome('unknown_event', 'no attempt was dispatched with this event_id', null, null);
  end if;
  -- Locks in the house order: task, step, dispatch.
  perform 1 from tasker.tasks where task_uuid = v_dispatch.task_uuid for update;
  perform 1 from tasker.workflow_steps where step_uuid = v_dispatch.step_uuid for update;
  select * into v_dispatch from tasker.step_dispatches where event_id = v_event for update;
  v_refusal := tasker.refusal(v_dispatch, p_result);
  if v_refusal is not null then
    return tasker.apply_outcome(v_refusal[1], v_refusal[2], v_dispatch.task_uuid, v_dispatch.step_uuid);
  end if;
  update tasker.step_dispatches
     set status = case when p_result->'worker'->>'kind' = 'sweeper' then 'timed_out' else 'completed' end,
         completed_at = now(), result_status = p_result->>'status'
   where event_id = v_event;
  v_meta := jsonb_build_object('event_id', v_event, 'attempt', v_dispatch.attempt, 'worker', p_result->'worker', 'timing', p_result->'timing');
  if p_result->>'status' = 'success' then
    perform tasker.apply_success(v_dispatch.step_uuid, p_result, v_meta);
  else
    v_tick := tasker.apply_failure(v_dispatch.step_uuid, p_result, v_meta, p_random);
  end if;
  v_out := tasker.evaluate_task(v_dispatch.task_uuid);
  if v_tick is not null then v_out := v_out || jsonb_build_array(v_tick); end if;
  return tasker.apply_outcome('applied', null, v_dispatch.task_uuid, v_dispatch.step_uuid, v_out);
end $function$;

CREATE OR REPLACE FUNCTION tasker.apply_success(p_step uuid, p_result jsonb, p_meta jsonb)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
declare v_path record;
begin
  select * into v_path from tasker.attempt_path(p_step, p_result, array['enqueue_for_orchestration', 'complete'], array['handler succeeded', 'result applied']);
  update tasker.workflow_steps set results = coalesce(p_result->'result', 'null'::jsonb), last_error = null where step_uuid = p_step;
  perform tasker.walk_step(p_step, v_path.events, v_path.reasons, p_meta);
end $function$;

CREATE OR REPLACE FUNCTION tasker.attempt_path(p_step uuid, p_result jsonb, p_rest text[], p_reasons text[], OUT events text[], OUT reasons text[])
 RETURNS record
 LANGUAGE sql
 STABLE
AS $function$
  select case when started then array['start'] || p_rest else p_rest end,
         case when started then array['handler started'] || p_reasons else p_reasons end
    from (select s.state = 'enqueued' and p_result->'worker'->>'kind' not in ('sweeper', 'orchestration') as started
            from tasker.workflow_steps s where s.step_uuid = p_step) x
$function$;

CREATE OR REPLACE FUNCTION tasker.build_dispatch_message(p_step uuid, p_event uuid, p_dispatched timestamp with time zone, p_deadline timestamp with time zone)
 RETURNS jsonb
 LANGUAGE sql
 STABLE
AS $function$
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
$function$;

CREATE OR REPLACE FUNCTION tasker.cancel_task(p_task uuid, p_reason text)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
declare v_step uuid;
begin
  perform 1 from tasker.tasks where task_uuid = p_task for update;
  if not found then return tasker.operator_refusal('no such task'); end if;
  if tasker.transition_task(p_task, 'cancel', p_reason) is null then
    return tasker.operator_refusal('a task in state ' || (select state from tasker.tasks where task_uuid = p_task) || ' cannot be cancelled');
  end if;
  for v_step in select step_uuid from tasker.workflow_steps where task_uuid = p_task loop
    perform tasker.transition_step(v_step, 'cancel', p_reason);
    perform tasker.supersede_open_dispatches(v_step);
  end loop;
  return jsonb_build_object('ok', true, 'outbox', jsonb_build_array(tasker.emit_task_lifecycle(p_task, 'task.cancelled')));
end $function$;

CREATE OR REPLACE FUNCTION tasker.claim_due_retries(p_limit integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
declare
  v_task uuid;
  v_out jsonb := '[]'::jsonb;
begin
  for v_task in
    select distinct s.task_uuid from tasker.workflow_steps s
     where s.state = 'waiting_for_retry' and s.next_attempt_at <= now()
     limit p_limit
  loop
    v_out := v_out || coalesce(tasker.evaluate_task_now(v_task, true), '[]'::jsonb);
  end loop;
  return v_out;
end $function$;

CREATE OR REPLACE FUNCTION tasker.claim_ready_steps(p_task uuid, p_limit integer DEFAULT NULL::integer)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
begin
  perform 1 from tasker.tasks where task_uuid = p_task for update;
  if not found then return '[]'::jsonb; end if;
  return tasker.claim_ready_steps_locked(p_task, p_limit);
end $function$;

CREATE OR REPLACE FUNCTION tasker.claim_ready_steps_locked(p_task uuid, p_limit integer DEFAULT NULL::integer)
 RETURNS jsonb
 LANGUAGE sql
AS $function$
  select tasker.claim_steps_locked(p_task, tasker.ready_step_ids(p_task, p_limit))
$function$;

CREATE OR REPLACE FUNCTION tasker.claim_step(p_step uuid)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
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
end $function$;

CREATE OR REPLACE FUNCTION tasker.claim_steps_locked(p_task uuid, p_steps uuid[])
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
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
end $function$;

CREATE OR REPLACE FUNCTION tasker.compute_backoff_ms(p_attempt integer, p_base_ms double precision, p_max_ms double precision, p_retry_after_ms double precision, p_random double precision)
 RETURNS bigint
 LANGUAGE sql
 IMMUTABLE
AS $function$
  select case
    when p_retry_after_ms is not null and p_retry_after_ms >= 0 then least(floor(p_retry_after_ms), p_max_ms)::bigint
    else floor(
      least(p_max_ms, p_base_ms * power(2::float8, greatest(0, p_attempt - 1)::float8)) / 2
      + p_random * (least(p_max_ms, p_base_ms * power(2::float8, greatest(0, p_attempt - 1)::float8)) / 2)
    )::bigint
  end
$function$;

CREATE OR REPLACE FUNCTION tasker.create_task(p_named_task bigint, p_context jsonb, p_correlation_id uuid, p_priority integer, p_identity_strategy text, p_idempotency_key text, p_initiator text, p_reason text)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
declare
  v_hash text := tasker.identity_hash(p_named_task, p_identity_strategy, p_context, p_idempotency_key);
  v_task uuid := gen_random_uuid();
  v_out jsonb;
begin
  insert into tasker.tasks (task_uuid, named_task_id, context, identity_strategy, identity_hash, correlation_id, priority, initiator, reason)
  values (v_task, p_named_task, p_context, p_identity_strategy, v_hash, coalesce(p_correlation_id, gen_random_uuid()), p_priority, p_initiator, p_reason)
  on conflict (identity_hash) do nothing;
  if not found then
    return (select jsonb_build_object('task_uuid', task_uuid, 'created', false, 'state', state,
              'correlation_id', correlation_id, 'outbox', '[]'::jsonb)
              from tasker.tasks where identity_hash = v_hash);
  end if;
  insert into tasker.task_transitions (task_uuid, from_state, to_state, event, reason, sort_key)
  values (v_task, null, 'pending', 'create', p_reason, 1);
  perform tasker.insert_steps(v_task, (select template from tasker.named_tasks where named_task_id = p_named_task));
  v_out := tasker.claim_ready_steps_locked(v_task, null);
  perform tasker.walk_task(v_task, array['start', 'enqueue_steps', 'steps_enqueued'],
                           array['task created', 'task initialized', 'root steps dispatched']);
  return (select jsonb_build_object('task_uuid', task_uuid, 'created', true, 'state', state,
            'correlation_id', correlation_id, 'outbox', v_out) from tasker.tasks where task_uuid = v_task);
end $function$;

CREATE OR REPLACE FUNCTION tasker.emit_retry_due(p_task uuid, p_due timestamp with time zone)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
declare v_row tasker.outbox;
begin
  insert into tasker.outbox (kind, payload, available_at)
  values ('retry_due', jsonb_build_object('schema_version', 1, 'message_type', 'retry_due', 'task_uuid', p_task, 'due_at', p_due), p_due)
  returning * into v_row;
  return tasker.outbox_json(v_row);
end $function$;

CREATE OR REPLACE FUNCTION tasker.emit_task_lifecycle(p_task uuid, p_event_name text)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
declare v_row tasker.outbox;
begin
  insert into tasker.outbox (kind, namespace, payload)
  select 'task_lifecycle', ns.name, jsonb_build_object(
      'schema_version', 1, 'event_id', gen_random_uuid(), 'event_name', p_event_name,
      'task_uuid', t.task_uuid, 'namespace', ns.name, 'task_name', nt.name, 'task_version', nt.version,
      'correlation_id', t.correlation_id, 'state', t.state, 'fired_at', now())
    from tasker.tasks t
    join tasker.named_tasks nt on nt.named_task_id = t.named_task_id
    join tasker.namespaces ns on ns.namespace_id = nt.namespace_id
   where t.task_uuid = p_task
  returning * into v_row;
  return tasker.outbox_json(v_row);
end $function$;

CREATE OR REPLACE FUNCTION tasker.evaluate_task(p_task uuid)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
declare
  v_state text;
  v_ready uuid[];
  v_ctx record;
  v_out jsonb := '[]'::jsonb;
begin
  select state into v_state from tasker.tasks where task_uuid = p_task;
  if v_state in ('complete', 'error', 'cancelled', 'resolved_manually') then return v_out; end if;
  -- The ready set is computed once: it decides the status and is what gets claimed.
  v_ready := tasker.ready_step_ids(p_task);
  select * into v_ctx from tasker.task_execution_context(p_task, cardinality(v_ready));
  case v_ctx.execution_status
    when 'has_ready_steps' then
      v_out := tasker.claim_steps_locked(p_task, v_ready);
      perform tasker.advance_task(p_task, 'steps_in_process', 'steps dispatched');
    when 'processing' then
      if v_state <> 'steps_in_process' then perform tasker.advance_task(p_task, 'steps_in_process', 'steps in process'); end if;
    when 'all_complete' then
      if tasker.advance_task(p_task, 'complete', 'all steps complete') then
        v_out := jsonb_build_array(tasker.emit_task_lifecycle(p_task, 'task.completed'));
      end if;
    when 'blocked_by_failures' then
      if tasker.advance_task(p_task, 'blocked_by_failures', 'a step failed permanently') then
        v_out := jsonb_build_array(tasker.emit_task_lifecycle(p_task, 'task.blocked_by_failures'));
      end if;
    else
      perform tasker.advance_task(p_task, v_ctx.execution_status, v_ctx.execution_status);
  end case;
  return v_out;
end $function$;

CREATE OR REPLACE FUNCTION tasker.evaluate_task_now(p_task uuid, p_skip_locked boolean DEFAULT false)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
declare
  v_out jsonb;
  v_ctx record;
begin
  if p_skip_locked then
    perform 1 from tasker.tasks where task_uuid = p_task for update skip locked;
  else
    perform 1 from tasker.tasks where task_uuid = p_task for update;
  end if;
  if not found then return null; end if;
  v_out := tasker.evaluate_task(p_task);
  select * into v_ctx from tasker.get_task_execution_context(p_task);
  if v_ctx.execution_status = 'waiting_for_retry' and v_ctx.next_retry_at > now() then
    v_out := v_out || jsonb_build_array(tasker.emit_retry_due(p_task, v_ctx.next_retry_at));
  end if;
  return v_out;
end $function$;

CREATE OR REPLACE FUNCTION tasker.find_timed_out_dispatches(p_limit integer)
 RETURNS TABLE(event_id uuid, task_uuid uuid, step_uuid uuid, step_name text, correlation_id uuid, attempt integer, dispatched_at timestamp with time zone, deadline_at timestamp with time zone)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
  select d.event_id, d.task_uuid, d.step_uuid, s.name, t.correlation_id, d.attempt, d.dispatched_at, d.deadline_at
    from tasker.step_dispatches d
    join tasker.workflow_steps s on s.step_uuid = d.step_uuid
    join tasker.tasks t on t.task_uuid = d.task_uuid
   where d.status = 'dispatched' and d.deadline_at < now()
   order by d.deadline_at
   limit p_limit
$function$;

CREATE OR REPLACE FUNCTION tasker.get_ready_steps(p_task uuid)
 RETURNS TABLE(step_uuid uuid, name text, attempts integer, max_attempts integer, ordinal integer)
 LANGUAGE sql
 STABLE
AS $function$
  select s.step_uuid, s.name, s.attempts, s.max_attempts, s.ordinal
    from tasker.workflow_steps s
   where s.task_uuid = p_task
     and s.state in ('pending', 'waiting_for_retry')
     and s.attempts < s.max_attempts
     and (s.attempts = 0 or s.state = 'pending' or s.next_attempt_at is null or s.next_attempt_at <= now())
     and not exists (
       select 1
         from tasker.workflow_step_edges e
         join tasker.workflow_steps p on p.step_uuid = e.from_step_uuid
        where e.to_step_uuid = s.step_uuid
          and p.state not in ('complete', 'resolved_manually'))
   order by s.ordinal
$function$;

CREATE OR REPLACE FUNCTION tasker.get_task_execution_context(p_task uuid)
 RETURNS TABLE(task_uuid uuid, total_steps integer, ready_steps integer, in_progress_steps integer, waiting_for_retry_steps integer, completed_steps integer, failed_steps integer, execution_status text, next_retry_at timestamp with time zone)
 LANGUAGE sql
 STABLE
AS $function$
  select * from tasker.task_execution_context(p_task, (select count(*)::int from tasker.get_ready_steps(p_task)))
$function$;

CREATE OR REPLACE FUNCTION tasker.grant_runtime_access()
 RETURNS integer
 LANGUAGE plpgsql
AS $function$
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
  return cardinality(v_found);
end $function$;

CREATE OR REPLACE FUNCTION tasker.identity_hash(p_named_task bigint, p_strategy text, p_context jsonb, p_key text)
 RETURNS text
 LANGUAGE sql
AS $function$
  select case p_strategy
    when 'strict' then encode(sha256(convert_to(p_named_task::text || ':context:' || p_context::text, 'UTF8')), 'hex')
    when 'caller_provided' then encode(sha256(convert_to(p_named_task::text || ':key:' || p_key, 'UTF8')), 'hex')
    else gen_random_uuid()::text
  end
$function$;

CREATE OR REPLACE FUNCTION tasker.insert_steps(p_task uuid, p_template jsonb)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
begin
  insert into tasker.workflow_steps (
    step_uuid, task_uuid, name, ordinal, namespace, handler_callable, inputs, max_attempts, retryable,
    backoff_base_ms, max_backoff_ms, timeout_seconds, publishes_events)
  select gen_random_uuid(), p_task, s->>'name', ord, s->>'namespace', s->'handler'->>'callable',
         coalesce(s->'handler'->'initialization', '{}'), (s->'retry'->>'maxAttempts')::int,
         (s->'retry'->>'retryable')::boolean, (s->'retry'->>'backoffBaseMs')::int,
         (s->'retry'->>'maxBackoffMs')::int, (s->>'timeoutSeconds')::int, coalesce(s->'publishesEvents', '[]')
    from jsonb_array_elements(p_template->'steps') with ordinality as t(s, ord);
  insert into tasker.workflow_step_edges (from_step_uuid, to_step_uuid)
  select parent.step_uuid, child.step_uuid
    from jsonb_array_elements(p_template->'steps') as t(s)
    cross join lateral jsonb_array_elements_text(s->'dependencies') as d(dep)
    join tasker.workflow_steps child on child.task_uuid = p_task and child.name = s->>'name'
    join tasker.workflow_steps parent on parent.task_uuid = p_task and parent.name = d.dep;
  perform tasker.record_initial_step_states(p_task);
end $function$;

CREATE OR REPLACE FUNCTION tasker.mark_outbox_sent(p_ids bigint[])
 RETURNS integer
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
  with gone as (delete from tasker.outbox where id = any(p_ids) returning 1) select count(*)::int from gone
$function$;

CREATE OR REPLACE FUNCTION tasker.operator_refusal(p_reason text)
 RETURNS jsonb
 LANGUAGE sql
 IMMUTABLE
AS $function$
  select jsonb_build_object('ok', false, 'reason', p_reason)
$function$;

CREATE OR REPLACE FUNCTION tasker.outbox_json(o tasker.outbox)
 RETURNS jsonb
 LANGUAGE sql
 IMMUTABLE
AS $function$
  select jsonb_build_object('id', o.id::text, 'kind', o.kind, 'namespace', o.namespace, 'payload', o.payload, 'available_at', o.available_at)
$function$;

CREATE OR REPLACE FUNCTION tasker.ready_step_ids(p_task uuid, p_limit integer DEFAULT NULL::integer)
 RETURNS uuid[]
 LANGUAGE sql
 STABLE
AS $function$
  select coalesce(array_agg(r.step_uuid order by r.ordinal), '{}') from (select * from tasker.get_ready_steps(p_task) limit p_limit) r
$function$;

CREATE OR REPLACE FUNCTION tasker.record_initial_step_states(p_task uuid)
 RETURNS void
 LANGUAGE sql
AS $function$
  insert into tasker.workflow_step_transitions (step_uuid, from_state, to_state, event, reason, sort_key)
  select step_uuid, null, state, 'create', 'task created', 1 from tasker.workflow_steps where task_uuid = p_task;
$function$;

CREATE OR REPLACE FUNCTION tasker.record_step_walk(p_step uuid, p_from text, p_states text[], p_events text[], p_reasons text[], p_metadata jsonb)
 RETURNS text
 LANGUAGE plpgsql
AS $function$
declare v_sort int;
begin
  update tasker.workflow_steps set state = p_states[array_length(p_states, 1)], updated_at = now() where step_uuid = p_step;
  update tasker.workflow_step_transitions set most_recent = false
   where step_uuid = p_step and most_recent returning sort_key into v_sort;
  insert into tasker.workflow_step_transitions (step_uuid, from_state, to_state, event, reason, metadata, sort_key, most_recent)
  select p_step, coalesce(p_states[i - 1], p_from), p_states[i], p_events[i], p_reasons[i], coalesce(p_metadata, '{}'),
         coalesce(v_sort, 0) + i, i = array_length(p_states, 1)
    from generate_subscripts(p_states, 1) as i;
  return p_states[array_length(p_states, 1)];
end $function$;

CREATE OR REPLACE FUNCTION tasker.record_task_walk(p_task uuid, p_from text, p_states text[], p_events text[], p_reasons text[], p_metadata jsonb)
 RETURNS text
 LANGUAGE plpgsql
AS $function$
declare
  v_to text := p_states[array_length(p_states, 1)];
  v_sort int;
begin
  update tasker.tasks
     set state = v_to, updated_at = now(),
         completed_at = case when v_to in ('complete', 'error', 'cancelled', 'resolved_manually') then now() else completed_at end
   where task_uuid = p_task;
  update tasker.task_transitions set most_recent = false
   where task_uuid = p_task and most_recent returning sort_key into v_sort;
  insert into tasker.task_transitions (task_uuid, from_state, to_state, event, reason, metadata, sort_key, most_recent)
  select p_task, coalesce(p_states[i - 1], p_from), p_states[i], p_events[i], p_reasons[i], coalesce(p_metadata, '{}'),
         coalesce(v_sort, 0) + i, i = array_length(p_states, 1)
    from generate_subscripts(p_states, 1) as i;
  return v_to;
end $function$;

CREATE OR REPLACE FUNCTION tasker.refusal(p_dispatch tasker.step_dispatches, p_result jsonb)
 RETURNS text[]
 LANGUAGE plpgsql
 STABLE
AS $function$
begin
  if p_dispatch.task_uuid <> (p_result->>'task_uuid')::uuid or p_dispatch.step_uuid <> (p_result->>'step_uuid')::uuid then
    return array['unknown_event', 'the result names another task or step than its event_id was dispatched for'];
  elsif p_dispatch.status = 'completed' then
    return array['duplicate', 'a result for this event_id was already applied'];
  elsif p_dispatch.status = 'timed_out' then
    return array['late', 'this attempt was already timed out'];
  elsif p_dispatch.status = 'superseded' then
    return array['late', 'this attempt was superseded by an operator action'];
  elsif (select state from tasker.workflow_steps where step_uuid = p_dispatch.step_uuid) not in ('enqueued', 'in_progress') then
    return array['late', 'the step is no longer waiting for this attempt'];
  end if;
  return null;
end $function$;

CREATE OR REPLACE FUNCTION tasker.register_template(p_namespace text, p_name text, p_version text, p_description text, p_template jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
declare
  v_ns bigint;
  v_id bigint;
  v_created boolean;
begin
  insert into tasker.namespaces (name) values (p_namespace) on conflict (name) do nothing;
  select namespace_id into v_ns from tasker.namespaces where name = p_namespace;
  insert into tasker.named_tasks (namespace_id, name, version, version_sort, description, template)
  values (v_ns, p_name, p_version, tasker.version_sort(p_version), p_description, p_template)
  on conflict (namespace_id, name, version) do update
     set template = excluded.template, description = excluded.description, updated_at = now()
  returning named_task_id, (xmax = 0) into v_id, v_created;
  return jsonb_build_object('named_task_id', v_id::text, 'created', v_created);
end $function$;

CREATE OR REPLACE FUNCTION tasker.runtime_operations()
 RETURNS text[]
 LANGUAGE sql
 IMMUTABLE
AS $function$
  select array['apply_step_result', 'evaluate_task_now', 'mark_outbox_sent', 'unsent_outbox', 'find_timed_out_dispatches', 'claim_due_retries']
$function$;

CREATE OR REPLACE FUNCTION tasker.setting_ms(p_key text, p_default bigint)
 RETURNS bigint
 LANGUAGE sql
 STABLE
AS $function$
  select coalesce((select (value #>> '{}')::bigint from tasker.settings where key = p_key), p_default)
$function$;

CREATE OR REPLACE FUNCTION tasker.step_action(p_step uuid, p_action text, p_reason text, p_result jsonb DEFAULT NULL::jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
declare
  v_task uuid := (select task_uuid from tasker.workflow_steps where step_uuid = p_step);
  v_task_state text;
begin
  if v_task is null then return tasker.operator_refusal('no such step'); end if;
  select state into v_task_state from tasker.tasks where task_uuid = v_task for update;
  if v_task_state in ('complete', 'error', 'cancelled', 'resolved_manually') then
    return tasker.operator_refusal('the task is ' || v_task_state || ' and takes no more step actions');
  end if;
  if tasker.transition_step(p_step, p_action, p_reason, jsonb_build_object('operator_action', p_action)) is null then
    return tasker.operator_refusal(p_action || ' is not allowed for a step in state ' ||
                                   (select state from tasker.workflow_steps where step_uuid = p_step));
  end if;
  perform tasker.supersede_open_dispatches(p_step);
  update tasker.workflow_steps
     set attempts = case when p_action = 'reset_for_retry' then 0 else attempts end,
         next_attempt_at = null,
         results = case when p_action = 'complete_manually' then coalesce(p_result, 'null'::jsonb) else results end
   where step_uuid = p_step;
  return jsonb_build_object('ok', true, 'outbox', tasker.evaluate_task(v_task));
end $function$;

CREATE OR REPLACE FUNCTION tasker.supersede_open_dispatches(p_step uuid)
 RETURNS void
 LANGUAGE sql
AS $function$
  update tasker.step_dispatches set status = 'superseded', completed_at = now()
   where step_uuid = p_step and status = 'dispatched'
$function$;

CREATE OR REPLACE FUNCTION tasker.task_execution_context(p_task uuid, p_ready integer)
 RETURNS TABLE(task_uuid uuid, total_steps integer, ready_steps integer, in_progress_steps integer, waiting_for_retry_steps integer, completed_steps integer, failed_steps integer, execution_status text, next_retry_at timestamp with time zone)
 LANGUAGE sql
 STABLE
AS $function$
  with counts as (
    select
      count(*)::int as total,
      count(*) filter (where s.state in ('enqueued', 'in_progress', 'enqueued_for_orchestration', 'enqueued_as_error_for_orchestration'))::int as in_progress,
      count(*) filter (where s.state = 'waiting_for_retry')::int as waiting,
      count(*) filter (where s.state in ('complete', 'resolved_manually'))::int as completed,
      count(*) filter (where s.state = 'error')::int as failed,
      min(s.next_attempt_at) filter (where s.state = 'waiting_for_retry') as next_retry_at
    from tasker.workflow_steps s where s.task_uuid = p_task
  )
  select p_task, c.total, p_ready, c.in_progress, greatest(c.waiting - p_ready, 0), c.completed, c.failed,
    case
      when c.failed > 0 then 'blocked_by_failures'
      when p_ready > 0 then 'has_ready_steps'
      when c.in_progress > 0 then 'processing'
      when c.waiting > 0 then 'waiting_for_retry'
      when c.completed = c.total then 'all_complete'
      else 'waiting_for_dependencies'
    end,
    c.next_retry_at
  from counts c
  where c.total > 0
$function$;

CREATE OR REPLACE FUNCTION tasker.transition_step(p_step uuid, p_event text, p_reason text DEFAULT NULL::text, p_metadata jsonb DEFAULT '{}'::jsonb, p_expected text DEFAULT NULL::text)
 RETURNS text
 LANGUAGE plpgsql
AS $function$
declare
  v_from text;
  v_states text[];
begin
  select state into v_from from tasker.workflow_steps where step_uuid = p_step for update;
  v_states := tasker.walk_path('step', v_from, array[p_event]);
  if v_from is null or v_from <> coalesce(p_expected, v_from) or v_states is null then
    return null;
  end if;
  return tasker.record_step_walk(p_step, v_from, v_states, array[p_event], array[p_reason], p_metadata);
end $function$;

CREATE OR REPLACE FUNCTION tasker.transition_task(p_task uuid, p_event text, p_reason text DEFAULT NULL::text, p_metadata jsonb DEFAULT '{}'::jsonb, p_expected text DEFAULT NULL::text)
 RETURNS text
 LANGUAGE plpgsql
AS $function$
declare
  v_from text;
  v_states text[];
begin
  select state into v_from from tasker.tasks where task_uuid = p_task for update;
  v_states := tasker.walk_path('task', v_from, array[p_event]);
  if v_from is null or v_from <> coalesce(p_expected, v_from) or v_states is null then
    return null;
  end if;
  return tasker.record_task_walk(p_task, v_from, v_states, array[p_event], array[p_reason], p_metadata);
end $function$;

CREATE OR REPLACE FUNCTION tasker.unsent_outbox(p_older_than_ms bigint, p_limit integer)
 RETURNS jsonb
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
  select coalesce(jsonb_agg(tasker.outbox_json(o) order by o.id), '[]'::jsonb)
    from (select * from tasker.outbox
           where created_at < now() - make_interval(secs => p_older_than_ms / 1000.0)
           order by id limit p_limit) o
$function$;

CREATE OR REPLACE FUNCTION tasker.version_sort(p_version text)
 RETURNS integer[]
 LANGUAGE sql
 IMMUTABLE
AS $function$
  select array[
    split_part(split_part(p_version, '-', 1), '.', 1)::int,
    split_part(split_part(p_version, '-', 1), '.', 2)::int,
    split_part(split_part(p_version, '-', 1), '.', 3)::int]
$function$;

CREATE OR REPLACE FUNCTION tasker.walk_path(p_entity text, p_from text, p_events text[])
 RETURNS text[]
 LANGUAGE plpgsql
 STABLE
AS $function$
declare
  v_state text := p_from;
  v_states text[] := '{}';
  v_event text;
begin
  foreach v_event in array p_events loop
    if p_entity = 'task' then
      select to_state into v_state from tasker.task_transition_rules where from_state = v_state and event = v_event;
    else
      select to_state into v_state from tasker.step_transition_rules where from_state = v_state and event = v_event;
    end if;
    if v_state is null then return null; end if;
    v_states := v_states || v_state;
  end loop;
  return v_states;
end $function$;

CREATE OR REPLACE FUNCTION tasker.walk_step(p_step uuid, p_events text[], p_reasons text[], p_metadata jsonb DEFAULT '{}'::jsonb)
 RETURNS text
 LANGUAGE plpgsql
AS $function$
declare
  v_from text;
  v_states text[];
begin
  select state into v_from from tasker.workflow_steps where step_uuid = p_step for update;
  v_states := tasker.walk_path('step', v_from, p_events);
  if v_states is null then
    raise exception 'step % cannot walk % from state %', p_step, p_events, v_from using errcode = 'TK002';
  end if;
  return tasker.record_step_walk(p_step, v_from, v_states, p_events, p_reasons, p_metadata);
end $function$;

CREATE OR REPLACE FUNCTION tasker.walk_task(p_task uuid, p_events text[], p_reasons text[], p_metadata jsonb DEFAULT '{}'::jsonb)
 RETURNS text
 LANGUAGE plpgsql
AS $function$
declare
  v_from text;
  v_states text[];
begin
  select state into v_from from tasker.tasks where task_uuid = p_task for update;
  v_states := tasker.walk_path('task', v_from, p_events);
  if v_states is null then
    raise exception 'task % cannot walk % from state %', p_task, p_events, v_from using errcode = 'TK002';
  end if;
  return tasker.record_task_walk(p_task, v_from, v_states, p_events, p_reasons, p_metadata);
end $function$;

-- applied migrations

000001_schema.sql
000002_state_machines.sql
000003_readiness.sql
000004_claim.sql
000005_task_lifecycle.sql
000006_apply_result.sql
000007_recovery.sql
000008_operator_actions.sql
000009_runtime_role.sql

-- rows of tasker.settings

(dispatch_grace_ms,900000)

-- rows of tasker.step_transition_rules

(cancelled,reset_for_retry,pending)
(enqueued,cancel,cancelled)
(enqueued,complete_manually,complete)
(enqueued,enqueue_as_error_for_orchestration,enqueued_as_error_for_orchestration)
(enqueued,resolve_manually,resolved_manually)
(enqueued,start,in_progress)
(enqueued_as_error_for_orchestration,cancel,cancelled)
(enqueued_as_error_for_orchestration,fail,error)
(enqueued_as_error_for_orchestration,wait_for_retry,waiting_for_retry)
(enqueued_for_orchestration,cancel,cancelled)
(enqueued_for_orchestration,complete,complete)
(error,complete_manually,complete)
(error,reset_for_retry,pending)
(error,resolve_manually,resolved_manually)
(in_progress,cancel,cancelled)
(in_progress,complete_manually,complete)
(in_progress,enqueue_as_error_for_orchestration,enqueued_as_error_for_orchestration)
(in_progress,enqueue_for_orchestration,enqueued_for_orchestration)
(in_progress,resolve_manually,resolved_manually)
(pending,cancel,cancelled)
(pending,complete_manually,complete)
(pending,enqueue,enqueued)
(pending,resolve_manually,resolved_manually)
(waiting_for_retry,cancel,cancelled)
(waiting_for_retry,complete_manually,complete)
(waiting_for_retry,enqueue,enqueued)
(waiting_for_retry,resolve_manually,resolved_manually)

-- rows of tasker.task_transition_rules

(blocked_by_failures,cancel,cancelled)
(blocked_by_failures,enqueue_steps,enqueuing_steps)
(blocked_by_failures,evaluate_results,evaluating_results)
(blocked_by_failures,fail,error)
(blocked_by_failures,resolve_manually,resolved_manually)
(enqueuing_steps,cancel,cancelled)
(enqueuing_steps,steps_enqueued,steps_in_process)
(error,resolve_manually,resolved_manually)
(evaluating_results,block_by_failures,blocked_by_failures)
(evaluating_results,cancel,cancelled)
(evaluating_results,complete,complete)
(evaluating_results,enqueue_steps,enqueuing_steps)
(evaluating_results,wait_for_dependencies,waiting_for_dependencies)
(evaluating_results,wait_for_retry,waiting_for_retry)
(initializing,cancel,cancelled)
(initializing,enqueue_steps,enqueuing_steps)
(initializing,initialize_failed,error)
(pending,cancel,cancelled)
(pending,start,initializing)
(steps_in_process,cancel,cancelled)
(steps_in_process,evaluate_results,evaluating_results)
(waiting_for_dependencies,cancel,cancelled)
(waiting_for_dependencies,enqueue_steps,enqueuing_steps)
(waiting_for_dependencies,evaluate_results,evaluating_results)
(waiting_for_retry,cancel,cancelled)
(waiting_for_retry,enqueue_steps,enqueuing_steps)
(waiting_for_retry,evaluate_results,evaluating_results)
