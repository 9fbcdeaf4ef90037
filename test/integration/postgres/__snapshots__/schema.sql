-- schemas

CREATE SCHEMA tasker;

-- types

CREATE TYPE tasker.step_policy AS (step_uuid uuid, state text, attempts integer, max_attempts integer, retryable boolean, backoff_base_ms integer, max_backoff_ms integer, has_children boolean);

-- tables

CREATE TABLE tasker.dispatch_queue_backlogs (
    queue_url text NOT NULL,
    seen_at timestamp with time zone NOT NULL
);

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
    result_status text,
    step_from text,
    step_states text[],
    step_events text[],
    step_reasons text[],
    metadata jsonb,
    task_from text,
    task_states text[],
    task_events text[],
    task_reasons text[],
    started_at timestamp with time zone,
    wait_deadline_at timestamp with time zone
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

CREATE TABLE tasker.tasks (
    task_uuid uuid NOT NULL,
    named_task_id bigint NOT NULL,
    namespace_name text,
    task_name text,
    task_version text,
    state text DEFAULT 'pending'::text NOT NULL,
    context jsonb NOT NULL,
    identity_strategy text NOT NULL,
    identity_hash text NOT NULL,
    correlation_id uuid NOT NULL,
    priority integer DEFAULT 0 NOT NULL,
    initiator text,
    reason text,
    total_steps integer DEFAULT 0 NOT NULL,
    in_flight_steps integer DEFAULT 0 NOT NULL,
    waiting_steps integer DEFAULT 0 NOT NULL,
    completed_steps integer DEFAULT 0 NOT NULL,
    failed_steps integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    completed_at timestamp with time zone,
    blocked_at timestamp with time zone,
    run_at timestamp with time zone
);

CREATE TABLE tasker.transitions (
    id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    task_uuid uuid NOT NULL,
    step_uuid uuid,
    step_from text,
    step_states text[],
    step_events text[],
    step_reasons text[],
    task_from text,
    task_states text[],
    task_events text[],
    task_reasons text[],
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL
);

CREATE TABLE tasker.workflow_step_edges (
    from_step_uuid uuid NOT NULL,
    to_step_uuid uuid NOT NULL
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
    waiting_on integer DEFAULT 0 NOT NULL,
    has_children boolean DEFAULT false NOT NULL,
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
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    step_type text,
    wait_on_timeout text,
    batch jsonb,
    batch_index integer,
    batch_count integer,
    batch_cursor jsonb,
    checkpoint jsonb
);

-- constraints

ALTER TABLE tasker.dispatch_queue_backlogs ADD CONSTRAINT dispatch_queue_backlogs_pkey PRIMARY KEY (queue_url);

ALTER TABLE tasker.migrations ADD CONSTRAINT migrations_pkey PRIMARY KEY (id);

ALTER TABLE tasker.named_tasks ADD CONSTRAINT named_tasks_namespace_id_fkey FOREIGN KEY (namespace_id) REFERENCES tasker.namespaces(namespace_id);

ALTER TABLE tasker.named_tasks ADD CONSTRAINT named_tasks_namespace_id_name_version_key UNIQUE (namespace_id, name, version);

ALTER TABLE tasker.named_tasks ADD CONSTRAINT named_tasks_pkey PRIMARY KEY (named_task_id);

ALTER TABLE tasker.namespaces ADD CONSTRAINT namespaces_name_key UNIQUE (name);

ALTER TABLE tasker.namespaces ADD CONSTRAINT namespaces_pkey PRIMARY KEY (namespace_id);

ALTER TABLE tasker.outbox ADD CONSTRAINT outbox_pkey PRIMARY KEY (id);

ALTER TABLE tasker.settings ADD CONSTRAINT settings_pkey PRIMARY KEY (key);

ALTER TABLE tasker.step_dispatches ADD CONSTRAINT step_dispatches_pkey PRIMARY KEY (event_id);

ALTER TABLE tasker.step_transition_rules ADD CONSTRAINT step_transition_rules_pkey PRIMARY KEY (from_state, event);

ALTER TABLE tasker.task_transition_rules ADD CONSTRAINT task_transition_rules_pkey PRIMARY KEY (from_state, event);

ALTER TABLE tasker.tasks ADD CONSTRAINT tasks_pkey PRIMARY KEY (task_uuid);

ALTER TABLE tasker.workflow_step_edges ADD CONSTRAINT workflow_step_edges_pkey PRIMARY KEY (from_step_uuid, to_step_uuid);

ALTER TABLE tasker.workflow_steps ADD CONSTRAINT workflow_steps_pkey PRIMARY KEY (step_uuid);

-- indexes

CREATE INDEX step_dispatches_open_idx ON tasker.step_dispatches USING btree (deadline_at) WHERE (status = 'dispatched'::text);

CREATE INDEX step_dispatches_task_idx ON tasker.step_dispatches USING btree (task_uuid);

CREATE INDEX step_dispatches_wait_idx ON tasker.step_dispatches USING btree (wait_deadline_at) WHERE ((status = 'dispatched'::text) AND (wait_deadline_at IS NOT NULL));

CREATE INDEX tasks_blocked_idx ON tasker.tasks USING btree (blocked_at) WHERE (blocked_at IS NOT NULL);

CREATE INDEX tasks_correlation_idx ON tasker.tasks USING btree (correlation_id);

CREATE UNIQUE INDEX tasks_identity_idx ON tasker.tasks USING btree (identity_hash) WHERE (identity_strategy <> 'always_unique'::text);

CREATE INDEX transitions_task_idx ON tasker.transitions USING btree (task_uuid, id);

CREATE INDEX workflow_step_edges_to_idx ON tasker.workflow_step_edges USING btree (to_step_uuid);

CREATE INDEX workflow_steps_ready_idx ON tasker.workflow_steps USING btree (task_uuid, ordinal) WHERE (state = ANY (ARRAY['pending'::text, 'waiting_for_retry'::text]));

CREATE INDEX workflow_steps_retry_idx ON tasker.workflow_steps USING btree (next_attempt_at) WHERE (state = 'waiting_for_retry'::text);

CREATE INDEX workflow_steps_start_idx ON tasker.workflow_steps USING btree (next_attempt_at) WHERE ((state = 'pending'::text) AND (next_attempt_at IS NOT NULL));

CREATE INDEX workflow_steps_task_idx ON tasker.workflow_steps USING btree (task_uuid, ordinal);

CREATE INDEX workflow_steps_task_retry_idx ON tasker.workflow_steps USING btree (task_uuid, next_attempt_at) WHERE (state = 'waiting_for_retry'::text);

-- views

CREATE VIEW tasker.task_transitions AS
 SELECT w.task_uuid,
    COALESCE(w.task_states[(e.i - 1)], w.task_from) AS from_state,
    e.to_state,
    w.task_events[e.i] AS event,
    w.task_reasons[e.i] AS reason,
        CASE
            WHEN w.step_uuid IS NULL THEN w.metadata
            ELSE '{}'::jsonb
        END AS metadata,
    row_number() OVER (PARTITION BY w.task_uuid ORDER BY w.created_at, w.kind, w.id, e.i)::integer AS sort_key,
    row_number() OVER (PARTITION BY w.task_uuid ORDER BY w.created_at DESC, w.kind DESC, w.id DESC, e.i DESC) = 1 AS most_recent,
    w.created_at
   FROM tasker.walks w
     CROSS JOIN LATERAL unnest(w.task_states) WITH ORDINALITY e(to_state, i)
  WHERE w.task_states IS NOT NULL;

CREATE VIEW tasker.walks AS
 SELECT t.id,
    2 AS kind,
    t.task_uuid,
    t.step_uuid,
    t.step_from,
    t.step_states,
    t.step_events,
    t.step_reasons,
    t.task_from,
    t.task_states,
    t.task_events,
    t.task_reasons,
    t.metadata,
    t.created_at
   FROM tasker.transitions t
UNION ALL
 SELECT 0 AS id,
    0 AS kind,
    k.task_uuid,
    NULL::uuid AS step_uuid,
    NULL::text AS step_from,
    NULL::text[] AS step_states,
    NULL::text[] AS step_events,
    NULL::text[] AS step_reasons,
    (c.w).task_from AS task_from,
    (c.w).task_states AS task_states,
    (c.w).task_events AS task_events,
    (c.w).task_reasons AS task_reasons,
    '{}'::jsonb AS metadata,
    k.created_at
   FROM tasker.tasks k
     CROSS JOIN LATERAL ( SELECT
                CASE
                    WHEN k.run_at IS NULL THEN tasker.creation_walk(k.reason)
                    ELSE tasker.delayed_creation_walk(k.reason)
                END AS w) c
  WHERE k.total_steps > 0
UNION ALL
 SELECT 0 AS id,
    0 AS kind,
    s.task_uuid,
    s.step_uuid,
    NULL::text AS step_from,
    '{pending}'::text[] AS step_states,
    '{create}'::text[] AS step_events,
    '{"task created"}'::text[] AS step_reasons,
    NULL::text AS task_from,
    NULL::text[] AS task_states,
    NULL::text[] AS task_events,
    NULL::text[] AS task_reasons,
    '{}'::jsonb AS metadata,
    s.created_at
   FROM tasker.workflow_steps s
UNION ALL
 SELECT 0 AS id,
    1 AS kind,
    d.task_uuid,
    d.step_uuid,
    c.from_state AS step_from,
    ARRAY[tasker.step_next(c.from_state, 'enqueue'::text)] AS step_states,
    '{enqueue}'::text[] AS step_events,
    '{"dependencies met"}'::text[] AS step_reasons,
    NULL::text AS task_from,
    NULL::text[] AS task_states,
    NULL::text[] AS task_events,
    NULL::text[] AS task_reasons,
    '{}'::jsonb AS metadata,
    d.dispatched_at AS created_at
   FROM tasker.step_dispatches d
     CROSS JOIN LATERAL ( SELECT
                CASE
                    WHEN d.attempt = 1 THEN 'pending'::text
                    ELSE 'waiting_for_retry'::text
                END AS from_state) c
UNION ALL
 SELECT 0 AS id,
    2 AS kind,
    d.task_uuid,
    d.step_uuid,
    d.step_from,
    d.step_states,
    d.step_events,
    d.step_reasons,
    d.task_from,
    d.task_states,
    d.task_events,
    d.task_reasons,
    d.metadata,
    d.completed_at AS created_at
   FROM tasker.step_dispatches d
  WHERE d.step_states IS NOT NULL;

CREATE VIEW tasker.workflow_step_transitions AS
 SELECT w.step_uuid,
    COALESCE(w.step_states[(e.i - 1)], w.step_from) AS from_state,
    e.to_state,
    w.step_events[e.i] AS event,
    w.step_reasons[e.i] AS reason,
    w.metadata,
    row_number() OVER (PARTITION BY w.step_uuid ORDER BY w.created_at, w.kind, w.id, e.i)::integer AS sort_key,
    row_number() OVER (PARTITION BY w.step_uuid ORDER BY w.created_at DESC, w.kind DESC, w.id DESC, e.i DESC) = 1 AS most_recent,
    w.created_at
   FROM tasker.walks w
     CROSS JOIN LATERAL unnest(w.step_states) WITH ORDINALITY e(to_state, i)
  WHERE w.step_uuid IS NOT NULL;

-- functions

CREATE OR REPLACE FUNCTION tasker.apply_dynamic(p_task uuid, p_step uuid, p_value jsonb, p_event uuid, OUT skipped uuid[], OUT added integer)
 RETURNS record
 LANGUAGE plpgsql
AS $function$
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
end $function$;

CREATE OR REPLACE FUNCTION tasker.apply_dynamic_now(p_task uuid, p_step uuid, p_value jsonb)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
declare v_dynamic record;
begin
  v_dynamic := tasker.apply_dynamic(p_task, p_step, p_value, null);
  if cardinality(v_dynamic.skipped) > 0 then
    perform tasker.note_step_moves(p_task, v_dynamic.skipped, 'pending', 'skipped');
  end if;
end $function$;

CREATE OR REPLACE FUNCTION tasker.apply_one(p_result jsonb, p_random double precision, d tasker.step_dispatches, s tasker.step_policy, OUT walk tasker.step_dispatches, OUT delta integer[], OUT tick jsonb)
 RETURNS record
 LANGUAGE plpgsql
AS $function$
declare
  v_success boolean := p_result->>'status' = 'success';
  v_error jsonb := p_result->'error';
  v_kind text := p_result->'worker'->>'kind';
  v_retry boolean := not v_success and coalesce((v_error->>'retryable')::boolean, false) and s.retryable and s.attempts < s.max_attempts;
  v_delay bigint := case when v_retry then tasker.compute_backoff_ms(s.attempts, s.backoff_base_ms, s.max_backoff_ms, (v_error->>'retry_after_ms')::float8, p_random) end;
  v_due timestamptz := now() + make_interval(secs => v_delay / 1000.0);
begin
  walk := d;
  walk.status := case when v_kind = 'sweeper' then 'timed_out' else 'completed' end;
  -- The instant it was applied, taken now so the audit orders it before what the same
  -- transaction claims next.
  walk.completed_at := clock_timestamp();
  walk.result_status := p_result->>'status';
  walk.step_from := s.state;
  walk.metadata := jsonb_build_object('event_id', d.event_id, 'attempt', d.attempt, 'worker', p_result->'worker', 'timing', p_result->'timing');
  if v_success then
    walk.step_events := '{enqueue_for_orchestration,complete}';
    walk.step_reasons := '{handler succeeded,result applied}';
  else
    walk.step_events := array['enqueue_as_error_for_orchestration', case when v_retry then 'wait_for_retry' else 'fail' end];
    walk.step_reasons := array[v_error->>'error_type', v_error->>'message'];
    walk.metadata := walk.metadata || jsonb_build_object('backoff_ms', v_delay);
  end if;
  if s.state = 'enqueued' and coalesce(v_kind not in ('sweeper', 'orchestration'), false) then
    walk.step_events := array_prepend('start', walk.step_events);
    walk.step_reasons := array_prepend('handler started', walk.step_reasons);
  end if;
  walk.step_states := tasker.walk_states('step', s.state, walk.step_events);
  if walk.step_states is null then
    raise exception 'step % cannot walk % from state %', s.step_uuid, walk.step_events, s.state using errcode = 'TK002';
  end if;
  update tasker.workflow_steps
     set state = walk.step_states[cardinality(walk.step_states)], updated_at = now(),
         results = case when v_success then coalesce(p_result->'result', 'null'::jsonb) else results end,
         last_error = case when v_success then null else v_error || jsonb_build_object('attempt', attempts, 'at', now()) end,
         next_attempt_at = case when v_success then next_attempt_at when v_retry then v_due end
   where step_uuid = s.step_uuid;
  delta := tasker.bucket_delta(s.state, walk.step_states[cardinality(walk.step_states)]);
  if v_retry then tick := tasker.emit_retry_due(d.task_uuid, v_due); end if;
end $function$;

CREATE OR REPLACE FUNCTION tasker.apply_outcome(p_status text, p_reason text, p_task uuid, p_step uuid, p_outbox jsonb DEFAULT '[]'::jsonb)
 RETURNS jsonb
 LANGUAGE sql
 STABLE
AS $function$
  select jsonb_build_object('status', p_status, 'reason', p_reason, 'task_uuid', p_task, 'step_uuid', p_step, 'outbox', p_outbox)
$function$;

CREATE OR REPLACE FUNCTION tasker.apply_step_result(p_result jsonb, p_random double precision)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
begin
  return tasker.apply_step_results(jsonb_build_array(p_result), array[p_random])->0;
end $function$;

CREATE OR REPLACE FUNCTION tasker.apply_step_results(p_results jsonb, p_randoms double precision[])
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
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
  -- issue 12 (000027): a batch of one reads its two states by key (was: for any batch, an aggregate over the outcomes).
  if v_order = '{1}' then
    return jsonb_build_array(v_outcomes->'1' || jsonb_build_object(
             'step_state', (select s.state from tasker.workflow_steps s where s.step_uuid = (v_outcomes->'1'->>'step_uuid')::uuid),
             'task_state', (select t.state from tasker.tasks t where t.task_uuid = (v_outcomes->'1'->>'task_uuid')::uuid)));
  end if;
  return (select coalesce(jsonb_agg(o.value || jsonb_build_object(
                   'step_state', (select s.state from tasker.workflow_steps s where s.step_uuid = (o.value->>'step_uuid')::uuid),
                   'task_state', (select t.state from tasker.tasks t where t.task_uuid = (o.value->>'task_uuid')::uuid)) order by o.key::int), '[]'::jsonb)
            from jsonb_each(v_outcomes) o);
end $function$;

CREATE OR REPLACE FUNCTION tasker.batches_problem(p_value jsonb, p_max integer)
 RETURNS text
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
begin
  if jsonb_typeof(p_value) is distinct from 'object' or jsonb_typeof(p_value->'batches') is distinct from 'array' then
    return 'a batchable step must return { batches: [cursor, ...] }';
  end if;
  if jsonb_array_length(p_value->'batches') > p_max then
    return 'the step returned ' || jsonb_array_length(p_value->'batches') || ' batches, over its max_batches of ' || p_max;
  end if;
  return null;
end $function$;

CREATE OR REPLACE FUNCTION tasker.blocked_task_fails(p_in_flight integer, p_blocked_at timestamp with time zone, p_grace_ms bigint, p_now timestamp with time zone)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select p_in_flight = 0 and extract(epoch from p_now - p_blocked_at) * 1000 >= p_grace_ms
$function$;

CREATE OR REPLACE FUNCTION tasker.blocked_task_grace_ms()
 RETURNS bigint
 LANGUAGE sql
 STABLE
AS $function$
  select coalesce((select (value #>> '{}')::bigint from tasker.settings where key = 'blocked_task_grace_ms'), 0)
$function$;

CREATE OR REPLACE FUNCTION tasker.bucket_delta(p_from text, p_to text)
 RETURNS integer[]
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select array[
    (tasker.step_bucket(p_to) = 'in_flight')::int - (tasker.step_bucket(p_from) = 'in_flight')::int,
    (tasker.step_bucket(p_to) = 'waiting')::int - (tasker.step_bucket(p_from) = 'waiting')::int,
    (tasker.step_bucket(p_to) = 'completed')::int - (tasker.step_bucket(p_from) = 'completed')::int,
    (tasker.step_bucket(p_to) = 'failed')::int - (tasker.step_bucket(p_from) = 'failed')::int]
$function$;

CREATE OR REPLACE FUNCTION tasker.cancel_task(p_task uuid, p_reason text, p_actor text DEFAULT NULL::text)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
declare
  v_step uuid;
  v_meta jsonb := jsonb_build_object('operator_action', 'cancel', 'actor', p_actor);
begin
  perform 1 from tasker.tasks where task_uuid = p_task for update;
  if not found then return tasker.operator_refusal('no such task'); end if;
  if tasker.transition_task(p_task, 'cancel', p_reason, v_meta) is null then
    return tasker.operator_refusal('a task in state ' || (select state from tasker.tasks where task_uuid = p_task) || ' cannot be cancelled');
  end if;
  for v_step in select step_uuid from tasker.workflow_steps where task_uuid = p_task order by ordinal loop
    perform tasker.transition_step(v_step, 'cancel', p_reason, v_meta);
    perform tasker.supersede_open_dispatches(p_task, v_step);
  end loop;
  return jsonb_build_object('ok', true, 'outbox', jsonb_build_array(tasker.emit_task_lifecycle(p_task, 'task.cancelled')));
end $function$;

CREATE OR REPLACE FUNCTION tasker.checked_result(p_result jsonb, p_step uuid)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
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
    select s.task_uuid from tasker.workflow_steps s
     where s.state = 'waiting_for_retry' and s.next_attempt_at <= now()
    union
    select s.task_uuid from tasker.workflow_steps s
     where s.state = 'pending' and s.next_attempt_at <= now()
     limit p_limit
  loop
    v_out := v_out || coalesce(tasker.evaluate_task_now(v_task, true), '[]'::jsonb);
  end loop;
  return v_out;
end $function$;

CREATE OR REPLACE FUNCTION tasker.claim_ready_steps(p_task uuid, p_limit integer DEFAULT NULL::integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
declare v_claim record;
begin
  perform 1 from tasker.tasks where task_uuid = p_task for update;
  if not found then return '[]'::jsonb; end if;
  v_claim := tasker.claim_steps_locked(p_task, tasker.ready_step_ids(p_task, p_limit));
  if v_claim.claimed > 0 then
    update tasker.tasks
       set in_flight_steps = in_flight_steps + v_claim.claimed, waiting_steps = waiting_steps - v_claim.from_waiting
     where task_uuid = p_task;
  end if;
  return v_claim.outbox;
end $function$;

CREATE OR REPLACE FUNCTION tasker.claim_steps_locked(p_task uuid, p_steps uuid[], OUT outbox jsonb, OUT claimed integer, OUT from_waiting integer)
 RETURNS record
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
begin
  -- One instant for the whole claim, taken now (not at the transaction's start) so the audit
  -- orders a claim after what the same transaction recorded before it.
  with g as (select coalesce((select (value #>> '{}')::float8 from tasker.settings where key = 'dispatch_grace_ms'), 900000) / 1000.0 as secs,
                    clock_timestamp() as at),
  moved as (
    update tasker.workflow_steps s
       set state = tasker.step_next(o.state, 'enqueue'), attempts = s.attempts + 1, last_attempted_at = now(),
           next_attempt_at = null, updated_at = now()
      from (select x.step_uuid, x.state, p.pos
              from unnest(p_steps) with ordinality as p(step_uuid, pos)
              join tasker.workflow_steps x on x.step_uuid = p.step_uuid
             where x.task_uuid = p_task and tasker.step_next(x.state, 'enqueue') is not null) o
     where s.step_uuid = o.step_uuid
    returning s.step_uuid, o.state as from_state, o.pos, s.name, s.namespace, s.handler_callable, s.inputs,
              s.attempts, s.max_attempts, s.retryable, s.timeout_seconds, s.publishes_events, s.step_type,
              s.batch_index, s.batch_count, s.batch_cursor, s.checkpoint
  ),
  message as (
    select m.step_uuid, m.step_type, m.timeout_seconds, m.attempts, m.pos, m.from_state, e.event_id, g.at, e.deadline,
           tasker.dispatch_message(p_task, e.event_id, m.step_uuid, t.correlation_id, coalesce(m.namespace, t.namespace_name), t.task_name,
             t.task_version, m.name, m.handler_callable, m.inputs, m.attempts, m.max_attempts, m.retryable, m.timeout_seconds, g.at,
             e.deadline, t.context,
             (select coalesce(jsonb_object_agg(r.name, r.results), '{}'::jsonb)
                from (select p.name,
                             case when count(p.batch_index) = 0 then (array_agg(coalesce(p.results, 'null'::jsonb)))[1]
                                  else jsonb_agg(coalesce(p.results, 'null'::jsonb) order by p.batch_index) end as results
                        from tasker.workflow_step_edges ed
                        cross join lateral (select x.name, x.results, x.batch_index, x.state, x.step_type
                                              from tasker.workflow_steps x where x.step_uuid = ed.from_step_uuid offset 0) p
                       where ed.to_step_uuid = m.step_uuid and p.state <> 'skipped' and not (m.batch_index is not null and p.step_type = 'batchable')
                       group by p.name) r),
             m.publishes_events, m.batch_index, m.batch_count, m.batch_cursor, m.checkpoint, m.step_type) as payload
      from moved m
      cross join g
      cross join tasker.tasks t
      cross join lateral (select gen_random_uuid() as event_id, g.at + make_interval(secs => m.timeout_seconds + g.secs) as deadline) e
     where t.task_uuid = p_task
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
end $function$;

CREATE OR REPLACE FUNCTION tasker.close_dispatch(p tasker.step_dispatches)
 RETURNS integer
 LANGUAGE plpgsql
AS $function$
begin
  update tasker.step_dispatches
     set status = p.status, completed_at = p.completed_at, result_status = p.result_status,
         step_from = p.step_from, step_states = p.step_states, step_events = p.step_events, step_reasons = p.step_reasons,
         metadata = p.metadata, task_from = p.task_from, task_states = p.task_states, task_events = p.task_events,
         task_reasons = p.task_reasons
   where event_id = p.event_id;
  return 1;
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

CREATE OR REPLACE FUNCTION tasker.create_batch_instances(p_task uuid, p_worker uuid, p_batches jsonb)
 RETURNS integer
 LANGUAGE plpgsql
AS $function$
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
end $function$;

CREATE OR REPLACE FUNCTION tasker.create_task(p_named_task bigint, p_context jsonb, p_correlation_id uuid, p_priority integer, p_identity_strategy text, p_idempotency_key text, p_initiator text, p_reason text, p_run_at timestamp with time zone DEFAULT NULL::timestamp with time zone)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
declare
  v_hash text := tasker.identity_hash(p_named_task, p_identity_strategy, p_context, p_idempotency_key);
  v_task uuid := gen_random_uuid();
  v_template jsonb;
  v_walk tasker.transitions;
  v_outbox jsonb;
  v_claimed int;
  v_dynamic uuid[];
  v_more record;
  v_root_count int;
  v_namespace text;
  v_name text;
  v_version text;
  v_correlation uuid := coalesce(p_correlation_id, gen_random_uuid());
  v_delayed boolean := coalesce(p_run_at > now(), false);
begin
  select nt.template, ns.name, nt.name, nt.version,
         (select count(*)::int from jsonb_array_elements(nt.template->'steps') s
           where jsonb_array_length(coalesce(s->'dependencies', '[]'::jsonb)) = 0)
    into v_template, v_namespace, v_name, v_version, v_root_count
    from tasker.named_tasks nt join tasker.namespaces ns on ns.namespace_id = nt.namespace_id
   where nt.named_task_id = p_named_task;
  -- The task is written in the state its creation walk ends in; the audit derives that walk.
  v_walk := case when v_delayed then tasker.delayed_creation_walk(p_reason) else tasker.creation_walk(p_reason) end;
  insert into tasker.tasks (task_uuid, named_task_id, namespace_name, task_name, task_version, context, identity_strategy, identity_hash,
                            correlation_id, priority, initiator, reason, state, total_steps, in_flight_steps, run_at)
  values (v_task, p_named_task, v_namespace, v_name, v_version, p_context, p_identity_strategy, v_hash, v_correlation, p_priority, p_initiator, p_reason,
          v_walk.task_states[cardinality(v_walk.task_states)], jsonb_array_length(v_template->'steps'),
          case when v_delayed then 0 else v_root_count end, case when v_delayed then p_run_at end)
  on conflict (identity_hash) where identity_strategy <> 'always_unique' do nothing;
  if not found then
    return (select jsonb_build_object('task_uuid', task_uuid, 'created', false, 'state', state,
              'correlation_id', correlation_id, 'outbox', '[]'::jsonb)
              from tasker.tasks where identity_hash = v_hash and identity_strategy <> 'always_unique');
  end if;
  -- issue 12 (000029): the steps, their edges and the roots' claim in one statement (was insert_steps, then claim_roots).
  -- A root is inserted enqueued and dispatched here, unless the task is delayed (inserted pending until run_at) or the
  -- root is a decision or batchable step: their messages name what the step rows and edges say (dynamic_of_step),
  -- which this statement cannot read back, so they are inserted pending and claimed by claim_steps_locked after it.
  with inserted as (
    insert into tasker.workflow_steps (
      step_uuid, task_uuid, name, ordinal, namespace, handler_callable, inputs, step_type, wait_on_timeout, max_attempts, retryable,
      backoff_base_ms, max_backoff_ms, timeout_seconds, publishes_events, waiting_on, has_children, state, attempts, last_attempted_at,
      next_attempt_at, batch)
    select gen_random_uuid(), v_task, s->>'name', ord, s->>'namespace', coalesce(s->'handler'->>'callable', ''),
           coalesce(s->'handler'->'initialization', '{}'::jsonb), s->>'type', s->'wait'->>'onTimeout',
           (s->'retry'->>'maxAttempts')::int, (s->'retry'->>'retryable')::boolean, (s->'retry'->>'backoffBaseMs')::int,
           (s->'retry'->>'maxBackoffMs')::int, (s->>'timeoutSeconds')::int, coalesce(s->'publishesEvents', '[]'::jsonb),
           jsonb_array_length(coalesce(s->'dependencies', '[]'::jsonb)), p.dep is not null,
           case when r.claim_now then tasker.step_next('pending', 'enqueue') else 'pending' end, r.claim_now::int,
           case when r.claim_now then now() end,
           case when q.root and v_delayed then p_run_at end, s->'batch'
      from jsonb_array_elements(v_template->'steps') with ordinality as t(s, ord)
      cross join lateral (select jsonb_array_length(coalesce(t.s->'dependencies', '[]'::jsonb)) = 0 as root) q
      cross join lateral (select q.root and not v_delayed and coalesce(t.s->>'type', '') not in ('decision', 'batchable') as claim_now) r
      left join (select distinct d.dep from jsonb_array_elements(v_template->'steps') as u(s)
                   cross join lateral jsonb_array_elements_text(u.s->'dependencies') as d(dep)) p on p.dep = t.s->>'name'
    returning step_uuid, name, ordinal, waiting_on, state, namespace, handler_callable, inputs, attempts, max_attempts, retryable,
              timeout_seconds, publishes_events, step_type, batch_index, batch_count, batch_cursor, checkpoint
  ),
  edges as (
    insert into tasker.workflow_step_edges (from_step_uuid, to_step_uuid)
    select parent.step_uuid, child.step_uuid
      from jsonb_array_elements(v_template->'steps') as t(s)
      cross join lateral jsonb_array_elements_text(s->'dependencies') as d(dep)
      join inserted child on child.name = s->>'name'
      join inserted parent on parent.name = d.dep
  ),
  g as (select coalesce((select (value #>> '{}')::float8 from tasker.settings where key = 'dispatch_grace_ms'), 900000) / 1000.0 as secs,
               clock_timestamp() as at),
  message as (
    select s.step_uuid, s.step_type, s.timeout_seconds, s.attempts, s.ordinal, e.event_id, g.at, e.deadline,
           tasker.dispatch_message(v_task, e.event_id, s.step_uuid, v_correlation, coalesce(s.namespace, v_namespace), v_name,
             v_version, s.name, s.handler_callable, s.inputs, s.attempts, s.max_attempts, s.retryable, s.timeout_seconds, g.at,
             e.deadline, p_context, '{}'::jsonb, s.publishes_events, s.batch_index, s.batch_count, s.batch_cursor, s.checkpoint,
             s.step_type) as payload
      from inserted s
      cross join g
      cross join lateral (select gen_random_uuid() as event_id, g.at + make_interval(secs => s.timeout_seconds + g.secs) as deadline) e
     where s.state <> 'pending'
  ),
  dispatched as (
    insert into tasker.step_dispatches (event_id, step_uuid, task_uuid, attempt, dispatched_at, deadline_at, started_at, wait_deadline_at)
    select event_id, step_uuid, v_task, attempts, at, deadline,
           case when step_type = 'wait' then at end, case when step_type = 'wait' then at + make_interval(secs => timeout_seconds) end
      from message
  ),
  queued as (
    insert into tasker.outbox (kind, namespace, payload)
    select 'step_dispatch', payload->>'namespace', payload from message where step_type is distinct from 'wait' order by ordinal
    returning *
  )
  select (select coalesce(jsonb_agg(tasker.outbox_json(q) order by q.id), '[]'::jsonb) from queued q),
         (select count(*)::int from message),
         (select coalesce(array_agg(s.step_uuid order by s.ordinal), '{}') from inserted s
           where s.waiting_on = 0 and s.state = 'pending' and not v_delayed)
    into v_outbox, v_claimed, v_dynamic;
  if v_delayed then
    return jsonb_build_object('task_uuid', v_task, 'created', true, 'state', 'pending', 'correlation_id', v_correlation,
                              'outbox', jsonb_build_array(tasker.emit_retry_due(v_task, p_run_at)));
  end if;
  if cardinality(v_dynamic) > 0 then
    v_more := tasker.claim_steps_locked(v_task, v_dynamic);
    v_outbox := v_outbox || v_more.outbox;
    v_claimed := v_claimed + v_more.claimed;
  end if;
  if v_claimed <> v_root_count then
    raise exception 'task % claimed % of its % root steps', v_task, v_claimed, v_root_count using errcode = 'TK003';
  end if;
  return jsonb_build_object('task_uuid', v_task, 'created', true, 'state', v_walk.task_states[cardinality(v_walk.task_states)],
                            'correlation_id', v_correlation, 'outbox', v_outbox);
end $function$;

CREATE OR REPLACE FUNCTION tasker.create_tasks(p_requests jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
declare
  x record;
  v_out jsonb := '[]'::jsonb;
begin
  for x in
    select r, case when r ? 'revision'
                   then tasker.template_id_if(r->>'namespace', r->>'name', r->>'version', (r->>'named_task_id')::bigint,
                                              (r->>'revision')::timestamptz)
                   else tasker.template_id(r->>'namespace', r->>'name', r->>'version') end as named_task_id
      from jsonb_array_elements(p_requests) with ordinality as e(r, i)
     order by i
  loop
    v_out := v_out || jsonb_build_array(case when x.named_task_id is not null then
      tasker.create_task(x.named_task_id, x.r->'context', (x.r->>'correlation_id')::uuid, coalesce((x.r->>'priority')::int, 0),
                         x.r->>'identity_strategy', x.r->>'idempotency_key', x.r->>'initiator', x.r->>'reason',
                         (x.r->>'run_at')::timestamptz) end);
  end loop;
  return v_out;
end $function$;

CREATE OR REPLACE FUNCTION tasker.creation_walk(p_reason text)
 RETURNS tasker.transitions
 LANGUAGE sql
 IMMUTABLE
AS $function$
  select row(null, null, null, null, null, null, null,
             null, array_prepend('pending', tasker.walk_states('task', 'pending', tasker.task_path('pending', 'has_ready_steps'))),
             array_prepend('create', tasker.task_path('pending', 'has_ready_steps')),
             array[p_reason, 'task created', 'task initialized', 'root steps dispatched'], '{}'::jsonb, null)::tasker.transitions
$function$;

CREATE OR REPLACE FUNCTION tasker.decision_problem(p_value jsonb, p_step uuid)
 RETURNS text
 LANGUAGE plpgsql
 STABLE
AS $function$
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
end $function$;

CREATE OR REPLACE FUNCTION tasker.delayed_creation_walk(p_reason text)
 RETURNS tasker.transitions
 LANGUAGE sql
 IMMUTABLE
AS $function$
  select row(null, null, null, null, null, null, null,
             null, array['pending'], array['create'], array[p_reason], '{}'::jsonb, null)::tasker.transitions
$function$;

CREATE OR REPLACE FUNCTION tasker.delete_task(p_task uuid)
 RETURNS boolean
 LANGUAGE plpgsql
AS $function$
begin
  perform 1 from tasker.tasks where task_uuid = p_task for update;
  if not found then return false; end if;
  delete from tasker.workflow_step_edges e using tasker.workflow_steps s where s.task_uuid = p_task and e.to_step_uuid = s.step_uuid;
  delete from tasker.transitions where task_uuid = p_task;
  delete from tasker.step_dispatches where task_uuid = p_task;
  delete from tasker.outbox where payload->>'task_uuid' = p_task::text;
  delete from tasker.workflow_steps where task_uuid = p_task;
  delete from tasker.tasks where task_uuid = p_task;
  return true;
end $function$;

CREATE OR REPLACE FUNCTION tasker.dispatch_message(p_task uuid, p_event uuid, p_step uuid, p_correlation uuid, p_namespace text, p_task_name text, p_task_version text, p_step_name text, p_callable text, p_inputs jsonb, p_attempt integer, p_max_attempts integer, p_retryable boolean, p_timeout_seconds integer, p_at timestamp with time zone, p_deadline timestamp with time zone, p_context jsonb, p_dependency_results jsonb, p_publishes jsonb, p_batch_index integer, p_batch_count integer, p_batch_cursor jsonb, p_checkpoint jsonb, p_step_type text)
 RETURNS jsonb
 LANGUAGE sql
 STABLE
AS $function$
  select jsonb_build_object(
        'schema_version', 1, 'message_type', 'step_dispatch', 'event_id', p_event, 'task_uuid', p_task, 'step_uuid', p_step,
        'correlation_id', p_correlation, 'trace_id', replace(p_task::text, '-', ''), 'span_id', left(replace(p_event::text, '-', ''), 16),
        'namespace', p_namespace, 'task_name', p_task_name, 'task_version', p_task_version, 'step_name', p_step_name,
        'handler', jsonb_build_object('callable', p_callable, 'initialization', p_inputs),
        'attempt', p_attempt, 'max_attempts', p_max_attempts, 'retryable', p_retryable, 'timeout_ms', p_timeout_seconds * 1000,
        'dispatched_at', p_at, 'deadline', p_deadline, 'task_context', p_context, 'dependency_results', p_dependency_results,
        'publishes_events', p_publishes)
      || case when p_batch_index is not null
                then jsonb_build_object('batch', jsonb_build_object('index', p_batch_index, 'count', p_batch_count,
                     'cursor', coalesce(p_batch_cursor, 'null'::jsonb), 'checkpoint', coalesce(p_checkpoint, 'null'::jsonb)))
              when p_step_type in ('decision', 'batchable') then tasker.dynamic_of_step(p_step)
              else '{}'::jsonb end
$function$;

CREATE OR REPLACE FUNCTION tasker.dispatch_queue_of(p_queues jsonb, p_namespace text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
AS $function$
  select coalesce(p_queues->'namespaces'->>p_namespace, p_queues->>'default')
$function$;

CREATE OR REPLACE FUNCTION tasker.dynamic_of_step(p_step uuid)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE
AS $function$
begin
  return coalesce((
    select case s.step_type
             when 'decision' then
               jsonb_build_object('dynamic', jsonb_build_object('type', 'decision', 'dependents',
                 (select coalesce(jsonb_agg(c.name order by c.ordinal), '[]'::jsonb)
                    from (select x.name, min(x.ordinal) as ordinal
                            from tasker.workflow_step_edges e
                            cross join lateral (select w.name, w.ordinal from tasker.workflow_steps w
                                                 where w.step_uuid = e.to_step_uuid offset 0) x
                           where e.from_step_uuid = s.step_uuid
                           group by x.name) c)))
             when 'batchable' then
               jsonb_build_object('dynamic', jsonb_build_object('type', 'batchable',
                 'max_batches', (s.batch->>'maxBatches')::int))
           end
      from tasker.workflow_steps s
     where s.step_uuid = p_step), '{}'::jsonb);
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
  select 'task_lifecycle', t.namespace_name, jsonb_build_object(
      'schema_version', 1, 'event_id', gen_random_uuid(), 'event_name', p_event_name,
      'task_uuid', t.task_uuid, 'namespace', t.namespace_name, 'task_name', t.task_name, 'task_version', t.task_version,
      'correlation_id', t.correlation_id, 'state', t.state, 'fired_at', now())
    from tasker.tasks t
   where t.task_uuid = p_task
  returning * into v_row;
  return tasker.outbox_json(v_row);
end $function$;

CREATE OR REPLACE FUNCTION tasker.evaluate_task(p_task uuid, p_delta integer[] DEFAULT '{0,0,0,0}'::integer[], p_pending tasker.step_dispatches DEFAULT NULL::tasker.step_dispatches, p_row tasker.tasks DEFAULT NULL::tasker.tasks, p_released uuid[] DEFAULT NULL::uuid[])
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
declare
  t tasker.tasks;
  v_ready uuid[] := '{}';
  v_status text;
  v_walk tasker.transitions;
  v_to text;
  v_claim record;
  v_grace bigint;
  v_out jsonb := '[]'::jsonb;
begin
  if p_row.task_uuid is null then select * into t from tasker.tasks where task_uuid = p_task; else t := p_row; end if;
  t.in_flight_steps := t.in_flight_steps + p_delta[1];
  t.waiting_steps := t.waiting_steps + p_delta[2];
  t.completed_steps := t.completed_steps + p_delta[3];
  t.failed_steps := t.failed_steps + p_delta[4];
  v_to := t.state;
  -- A delayed task (run_at, 000016) is not evaluated before it is due: it stays pending, nothing claimed.
  if not tasker.task_is_terminal(t.state) and not coalesce(t.run_at > now(), false) then
    -- The ready set is computed once: it decides the status and is what gets claimed. After
    -- results (p_released given), a step can only have become ready by losing its last unmet
    -- parent, or by its backoff ending: only those are looked at. Otherwise the task is scanned,
    -- unless its counters say every step is in flight, complete or failed.
    if t.waiting_steps > 0 or (p_released is null and t.total_steps > t.in_flight_steps + t.completed_steps + t.failed_steps) then
      v_ready := tasker.ready_step_ids(p_task);
    elsif cardinality(p_released) > 0 then
      v_ready := p_released;
    end if;
    v_status := tasker.execution_status(t.failed_steps, cardinality(v_ready), t.in_flight_steps, t.waiting_steps, t.completed_steps, t.total_steps);
    v_walk.task_from := t.state;
    v_walk.task_events := tasker.task_path(t.state, v_status);
    v_walk.task_reasons := array_fill(case v_status
        when 'has_ready_steps' then 'steps dispatched' when 'processing' then 'steps in process'
        when 'all_complete' then 'all steps complete' when 'blocked_by_failures' then 'a step failed permanently'
        else v_status end, array[cardinality(v_walk.task_events)]);
    if v_status = 'blocked_by_failures' then
      v_grace := tasker.blocked_task_grace_ms();
      if tasker.blocked_task_fails(t.in_flight_steps, case when t.state = 'blocked_by_failures' then coalesce(t.blocked_at, now()) else now() end, v_grace, now()) then
        v_walk.task_events := v_walk.task_events || 'fail'::text;
        v_walk.task_reasons := v_walk.task_reasons || case when v_grace = 0 then 'a step failed permanently and nothing is in flight'
                                                          else 'blocked with nothing in flight for its grace of ' || v_grace || ' ms' end;
      end if;
    end if;
    v_walk.task_states := tasker.walk_states('task', t.state, v_walk.task_events);
    if cardinality(v_walk.task_events) = 0 then v_walk := null; else v_to := v_walk.task_states[cardinality(v_walk.task_states)]; end if;
    if v_status <> 'has_ready_steps' then v_ready := '{}'; end if;
  end if;
  if p_pending.event_id is not null then
    p_pending.task_from := v_walk.task_from;
    p_pending.task_states := v_walk.task_states;
    p_pending.task_events := v_walk.task_events;
    p_pending.task_reasons := v_walk.task_reasons;
    v_walk := null;
  end if;
  if v_walk.task_events is not null then
    insert into tasker.transitions (task_uuid, task_from, task_states, task_events, task_reasons)
    values (p_task, v_walk.task_from, v_walk.task_states, v_walk.task_events, v_walk.task_reasons);
  end if;
  if cardinality(v_ready) > 0 then
    v_claim := tasker.claim_steps_locked(p_task, v_ready);
    v_out := v_claim.outbox;
    t.in_flight_steps := t.in_flight_steps + v_claim.claimed;
    t.waiting_steps := t.waiting_steps - v_claim.from_waiting;
  end if;
  -- issue 12 (000027): the applied attempt's dispatch is closed by the statement that updates its task (was: a
  -- close_dispatch call of its own before the claim); without one (p_pending null) the CTE finds no row.
  with closed as (
    update tasker.step_dispatches d
       set status = p_pending.status, completed_at = p_pending.completed_at, result_status = p_pending.result_status,
           step_from = p_pending.step_from, step_states = p_pending.step_states, step_events = p_pending.step_events,
           step_reasons = p_pending.step_reasons, metadata = p_pending.metadata, task_from = p_pending.task_from,
           task_states = p_pending.task_states, task_events = p_pending.task_events, task_reasons = p_pending.task_reasons
     where d.event_id = p_pending.event_id)
  update tasker.tasks
     set state = v_to, in_flight_steps = t.in_flight_steps, waiting_steps = t.waiting_steps,
         completed_steps = t.completed_steps, failed_steps = t.failed_steps,
         updated_at = now(), completed_at = case when v_to <> t.state and tasker.task_is_terminal(v_to) then now() else completed_at end,
         blocked_at = case when v_to = 'blocked_by_failures' then coalesce(t.blocked_at, now()) end
   where task_uuid = p_task and (v_to <> t.state or p_delta <> '{0,0,0,0}' or cardinality(v_ready) > 0);
  -- A blocked or failed task's retries are held: no due time, so no tick or sweep claims them;
  -- they are ready the moment the task is unblocked.
  if v_to in ('blocked_by_failures', 'error') and t.waiting_steps > 0 then
    update tasker.workflow_steps set next_attempt_at = null
     where task_uuid = p_task and state = 'waiting_for_retry' and next_attempt_at is not null;
  end if;
  if v_to <> t.state and v_to in ('complete', 'blocked_by_failures', 'error') then
    v_out := v_out || jsonb_build_array(tasker.emit_task_lifecycle(p_task,
      case v_to when 'complete' then 'task.completed' when 'error' then 'task.failed' else 'task.blocked_by_failures' end));
  end if;
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
  v_due timestamptz;
begin
  if p_skip_locked then
    perform 1 from tasker.tasks where task_uuid = p_task for update skip locked;
  else
    perform 1 from tasker.tasks where task_uuid = p_task for update;
  end if;
  if not found then return null; end if;
  v_out := tasker.evaluate_task(p_task);
  -- The task waits for a retry exactly when evaluating it found nothing else to do; a delayed one for its run_at.
  select case t.state when 'waiting_for_retry' then tasker.next_retry_at(p_task) when 'pending' then t.run_at end
    into v_due from tasker.tasks t where t.task_uuid = p_task;
  if v_due > now() then v_out := v_out || jsonb_build_array(tasker.emit_retry_due(p_task, v_due)); end if;
  return v_out;
end $function$;

CREATE OR REPLACE FUNCTION tasker.execution_status(p_failed integer, p_ready integer, p_in_flight integer, p_waiting integer, p_completed integer, p_total integer)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select case
    when p_failed > 0 then 'blocked_by_failures'
    when p_ready > 0 then 'has_ready_steps'
    when p_in_flight > 0 then 'processing'
    when p_waiting > 0 then 'waiting_for_retry'
    when p_completed = p_total then 'all_complete'
    else 'waiting_for_dependencies'
  end
$function$;

CREATE OR REPLACE FUNCTION tasker.expire_waits(p_limit integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
declare
  v_results jsonb;
  v_out jsonb;
  v_completed uuid[];
begin
  select coalesce(jsonb_agg(jsonb_build_object(
           'event_id', d.event_id, 'task_uuid', d.task_uuid, 'step_uuid', d.step_uuid, 'correlation_id', t.correlation_id,
           'step_name', s.name, 'attempt', d.attempt,
           'status', case when s.wait_on_timeout = 'complete' then 'success' else 'failure' end,
           'result', case when s.wait_on_timeout = 'complete' then 'null'::jsonb end,
           'error', case when s.wait_on_timeout is distinct from 'complete' then jsonb_build_object(
             'error_type', 'wait_timeout', 'retryable', false,
             'message', format('no signal arrived before the wait''s deadline %s', to_char(d.wait_deadline_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))) end,
           -- a sweeper's failure needs no start; a completion walks through it, so it is told apart
           'worker', jsonb_build_object('kind', case when s.wait_on_timeout = 'complete' then 'wait_timeout' else 'sweeper' end),
           'timing', jsonb_build_object('wait_deadline', d.wait_deadline_at)) order by d.wait_deadline_at), '[]'::jsonb),
         coalesce(array_agg(d.event_id) filter (where s.wait_on_timeout = 'complete'), '{}')
    into v_results, v_completed
    from (select * from tasker.step_dispatches
           where status = 'dispatched' and wait_deadline_at is not null and wait_deadline_at <= now()
           order by wait_deadline_at limit p_limit) d
    join tasker.workflow_steps s on s.step_uuid = d.step_uuid
    join tasker.tasks t on t.task_uuid = d.task_uuid;
  if jsonb_array_length(v_results) = 0 then return '[]'::jsonb; end if;
  v_out := tasker.apply_step_results(v_results, array_fill(0.5::float8, array[jsonb_array_length(v_results)]));
  update tasker.step_dispatches
     set status = 'timed_out', step_reasons = tasker.wait_reasons(step_events, 'timeout')
   where event_id = any(v_completed) and status = 'completed';
  -- Each applied expiry carries its domain events (success when completed, permanent_failure when failed).
  return (select coalesce(jsonb_agg(case when o->>'status' = 'applied' then jsonb_set(o, '{outbox}', (o->'outbox') ||
                   tasker.wait_domain_events((r->>'event_id')::uuid,
                     case when r->>'status' = 'success' then 'success' else 'permanent_failure' end,
                     case when r->>'status' = 'success' then r->'result' else r->'error' end, r->'error', true))
                 else o end order by i), '[]'::jsonb)
            from jsonb_array_elements(v_out) with ordinality as x(o, i)
            join jsonb_array_elements(v_results) with ordinality as y(r, j) on j = i);
end $function$;

CREATE OR REPLACE FUNCTION tasker.fail_blocked_tasks(p_limit integer)
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
    select task_uuid from tasker.tasks
     where blocked_at is not null and blocked_at <= now() - make_interval(secs => tasker.blocked_task_grace_ms() / 1000.0)
       and in_flight_steps = 0
     order by blocked_at
     limit p_limit
  loop
    v_out := v_out || coalesce(tasker.evaluate_task_now(v_task, true), '[]'::jsonb);
  end loop;
  return v_out;
end $function$;

CREATE OR REPLACE FUNCTION tasker.find_timed_out_dispatches(p_limit integer, p_queues jsonb DEFAULT NULL::jsonb)
 RETURNS TABLE(event_id uuid, task_uuid uuid, step_uuid uuid, step_name text, correlation_id uuid, attempt integer, dispatched_at timestamp with time zone, deadline_at timestamp with time zone)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
#variable_conflict use_column
begin
  if p_queues is not null then
    insert into tasker.dispatch_queue_backlogs (queue_url, seen_at)
    select distinct u, now() from jsonb_array_elements_text(coalesce(p_queues->'backlogged', '[]'::jsonb)) u
    on conflict (queue_url) do update set seen_at = excluded.seen_at;
  end if;
  return query
  select d.event_id, d.task_uuid, d.step_uuid, s.name, t.correlation_id, d.attempt, d.dispatched_at, d.deadline_at
    from tasker.step_dispatches d
    join tasker.workflow_steps s on s.step_uuid = d.step_uuid
    join tasker.tasks t on t.task_uuid = d.task_uuid
   where d.status = 'dispatched' and d.deadline_at < now()
     and (d.started_at is not null or p_queues is null or not exists (
           select 1 from tasker.dispatch_queue_backlogs b
            where b.queue_url = tasker.dispatch_queue_of(p_queues, coalesce(s.namespace, t.namespace_name))
              and b.seen_at > now() - (d.deadline_at - d.dispatched_at)))
   order by d.deadline_at
   limit p_limit;
end $function$;

CREATE OR REPLACE FUNCTION tasker.generic_plan_operations()
 RETURNS text[]
 LANGUAGE sql
 IMMUTABLE
AS $function$
  select array['claim_steps_locked', 'release_children', 'mark_outbox_sent']
$function$;

CREATE OR REPLACE FUNCTION tasker.get_ready_steps(p_task uuid)
 RETURNS TABLE(step_uuid uuid, name text, attempts integer, max_attempts integer, ordinal integer)
 LANGUAGE sql
 STABLE
AS $function$
  select s.step_uuid, s.name, s.attempts, s.max_attempts, s.ordinal
    from tasker.workflow_steps s
   where s.task_uuid = p_task and s.state in ('pending', 'waiting_for_retry')
     and tasker.step_is_ready(s.state, s.waiting_on, s.attempts, s.max_attempts, s.next_attempt_at)
   order by s.ordinal
$function$;

CREATE OR REPLACE FUNCTION tasker.get_task_execution_context(p_task uuid)
 RETURNS TABLE(task_uuid uuid, total_steps integer, ready_steps integer, in_progress_steps integer, waiting_for_retry_steps integer, completed_steps integer, failed_steps integer, execution_status text, next_retry_at timestamp with time zone)
 LANGUAGE sql
 STABLE
AS $function$
  select * from tasker.task_execution_context(p_task, cardinality(tasker.ready_step_ids(p_task)))
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

CREATE OR REPLACE FUNCTION tasker.insert_step_transition()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
begin
  insert into tasker.transitions (task_uuid, step_uuid, step_from, step_states, step_events, step_reasons, metadata, created_at)
  select s.task_uuid, new.step_uuid, new.from_state, array[new.to_state], array[new.event], array[new.reason],
         coalesce(new.metadata, '{}'), coalesce(new.created_at, clock_timestamp())
    from tasker.workflow_steps s where s.step_uuid = new.step_uuid;
  return new;
end $function$;

CREATE OR REPLACE FUNCTION tasker.list_tasks(p_namespace text, p_name text, p_state text, p_created_from timestamp with time zone, p_created_to timestamp with time zone, p_after_us bigint, p_after_uuid uuid, p_limit integer)
 RETURNS TABLE(task_uuid uuid, namespace text, name text, version text, state text, correlation_id uuid, priority integer, created_at timestamp with time zone, completed_at timestamp with time zone, created_us bigint)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
  select t.task_uuid, t.namespace_name, t.task_name, t.task_version, t.state, t.correlation_id, t.priority,
         t.created_at, t.completed_at, (extract(epoch from t.created_at) * 1000000)::bigint
    from tasker.tasks t
   where (p_namespace is null or t.namespace_name = p_namespace)
     and (p_name is null or t.task_name = p_name)
     and (p_state is null or t.state = p_state)
     and (p_created_from is null or t.created_at >= p_created_from)
     and (p_created_to is null or t.created_at < p_created_to)
     and (p_after_us is null or (t.created_at, t.task_uuid) <
          ('epoch'::timestamptz + p_after_us * interval '1 microsecond', p_after_uuid))
   order by t.created_at desc, t.task_uuid desc
   limit p_limit
$function$;

CREATE OR REPLACE FUNCTION tasker.mark_attempts_started(p_starts jsonb)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
declare v_marked int;
begin
  with wanted as (
    select (e->>'event_id')::uuid as event_id, min((e->>'started_at')::timestamptz) as started_at
      from jsonb_array_elements(p_starts) e
     group by 1
  ),
  open as (
    select d.event_id, w.started_at
      from tasker.step_dispatches d
      join wanted w on w.event_id = d.event_id
     where d.status = 'dispatched' and d.started_at is null
     order by d.event_id
       for update of d skip locked
  )
  update tasker.step_dispatches d
     set started_at = o.started_at,
         deadline_at = greatest(d.deadline_at, o.started_at + (d.deadline_at - d.dispatched_at))
    from open o
   where d.event_id = o.event_id;
  get diagnostics v_marked = row_count;
  return v_marked;
end $function$;

CREATE OR REPLACE FUNCTION tasker.mark_outbox_sent(p_ids bigint[])
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
declare v_n int;
begin
  delete from tasker.outbox where id = any(p_ids);
  get diagnostics v_n = row_count;
  return v_n;
end $function$;

CREATE OR REPLACE FUNCTION tasker.name_based_uuid(p_name text)
 RETURNS uuid
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select (substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-3' || substr(h, 14, 3) || '-'
          || substr('89ab', (('x' || substr(h, 17, 1))::bit(4)::int % 4) + 1, 1) || substr(h, 18, 3) || '-' || substr(h, 21, 12))::uuid
    from md5(p_name) h
$function$;

CREATE OR REPLACE FUNCTION tasker.next_retry_at(p_task uuid)
 RETURNS timestamp with time zone
 LANGUAGE sql
 STABLE
AS $function$
  select min(next_attempt_at) from tasker.workflow_steps where task_uuid = p_task and state = 'waiting_for_retry'
$function$;

CREATE OR REPLACE FUNCTION tasker.note_step_moves(p_task uuid, p_steps uuid[], p_from text, p_to text)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
declare
  v_delta int[] := tasker.bucket_delta(p_from, p_to);
  v_n int := cardinality(p_steps);
  v_released uuid[];
begin
  if v_delta = '{0,0,0,0}' then return; end if;
  update tasker.tasks
     set in_flight_steps = in_flight_steps + v_n * v_delta[1], waiting_steps = waiting_steps + v_n * v_delta[2],
         completed_steps = completed_steps + v_n * v_delta[3], failed_steps = failed_steps + v_n * v_delta[4]
   where task_uuid = p_task;
  if v_delta[3] > 0 then v_released := tasker.release_children(p_steps); end if;
end $function$;

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
 STABLE
AS $function$
  select jsonb_build_object('id', o.id::text, 'kind', o.kind, 'namespace', o.namespace, 'payload', o.payload, 'available_at', o.available_at)
$function$;

CREATE OR REPLACE FUNCTION tasker.pinned_path_operations()
 RETURNS text[]
 LANGUAGE sql
 IMMUTABLE
AS $function$
  select array['create_task', 'create_tasks', 'claim_ready_steps', 'cancel_task', 'step_action']
$function$;

CREATE OR REPLACE FUNCTION tasker.ready_step_ids(p_task uuid, p_limit integer DEFAULT NULL::integer)
 RETURNS uuid[]
 LANGUAGE plpgsql
 STABLE
AS $function$
begin
  return (select coalesce(array_agg(r.step_uuid order by r.ordinal), '{}') from (select * from tasker.get_ready_steps(p_task) limit p_limit) r);
end $function$;

CREATE OR REPLACE FUNCTION tasker.refusal(p_dispatch tasker.step_dispatches, p_step_state text, p_result jsonb)
 RETURNS text[]
 LANGUAGE sql
 IMMUTABLE
AS $function$
  select case
    when p_dispatch.task_uuid <> (p_result->>'task_uuid')::uuid or p_dispatch.step_uuid <> (p_result->>'step_uuid')::uuid then
      array['unknown_event', 'the result names another task or step than its event_id was dispatched for']
    when p_dispatch.status = 'completed' then array['duplicate', 'a result for this event_id was already applied']
    when p_dispatch.status = 'timed_out' then array['late', 'this attempt was already timed out']
    when p_dispatch.status = 'superseded' then array['late', 'this attempt was superseded by an operator action']
    when tasker.step_next(p_step_state, 'enqueue_as_error_for_orchestration') is null then
      array['late', 'the step is no longer waiting for this attempt']
  end
$function$;

CREATE OR REPLACE FUNCTION tasker.register_template(p_namespace text, p_name text, p_version text, p_description text, p_template jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
declare
  v_ns bigint;
  v_id bigint;
  v_created boolean;
  v_bad text;
begin
  -- What the dropped checks of tasker.workflow_steps required of each step's numbers (null included: the columns are
  -- not null), refused here once instead of at each write of a step created from the template.
  select s->>'name' into v_bad
    from jsonb_array_elements(case when jsonb_typeof(p_template->'steps') = 'array' then p_template->'steps' end) s
   where not coalesce((s->'retry'->>'maxAttempts')::int >= 1 and (s->'retry'->>'backoffBaseMs')::int >= 0
                      and (s->'retry'->>'maxBackoffMs')::int >= 0 and (s->>'timeoutSeconds')::int > 0, false)
   limit 1;
  if found then
    raise exception using errcode = 'check_violation',
      message = format('template %s/%s@%s: step %s needs retry.maxAttempts >= 1, retry.backoffBaseMs >= 0, '
                       'retry.maxBackoffMs >= 0 and timeoutSeconds > 0', p_namespace, p_name, p_version, v_bad);
  end if;
  insert into tasker.namespaces (name) values (p_namespace) on conflict (name) do nothing;
  select namespace_id into v_ns from tasker.namespaces where name = p_namespace;
  insert into tasker.named_tasks (namespace_id, name, version, version_sort, description, template)
  values (v_ns, p_name, p_version, tasker.version_sort(p_version), p_description, p_template)
  on conflict (namespace_id, name, version) do update
     set template = excluded.template, description = excluded.description, updated_at = now()
  returning named_task_id, (xmax = 0) into v_id, v_created;
  return jsonb_build_object('named_task_id', v_id::text, 'created', v_created);
end $function$;

CREATE OR REPLACE FUNCTION tasker.release_children(p_steps uuid[])
 RETURNS uuid[]
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
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
end $function$;

CREATE OR REPLACE FUNCTION tasker.runtime_operations()
 RETURNS text[]
 LANGUAGE sql
 IMMUTABLE
AS $function$
  select array['apply_step_result', 'apply_step_results', 'evaluate_task_now', 'mark_outbox_sent', 'unsent_outbox', 'find_timed_out_dispatches', 'claim_due_retries', 'fail_blocked_tasks', 'mark_attempts_started', 'expire_waits',
               'create_task', 'cancel_task', 'step_action', 'template_id', 'task_row', 'task_steps', 'task_transitions', 'list_tasks',
               'signal_target', 'signal_step', 'create_tasks', 'template_entry', 'template_id_if']
$function$;

CREATE OR REPLACE FUNCTION tasker.set_blocked_task_grace(p_ms bigint)
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
begin
  if p_ms is null or p_ms < 0 then
    raise exception 'the blocked task grace must be 0 or more milliseconds (got %)', p_ms using errcode = '22023';
  end if;
  insert into tasker.settings (key, value) values ('blocked_task_grace_ms', to_jsonb(p_ms))
  on conflict (key) do update set value = excluded.value;
  return p_ms;
end $function$;

CREATE OR REPLACE FUNCTION tasker.setting_ms(p_key text, p_default bigint)
 RETURNS bigint
 LANGUAGE sql
 STABLE
AS $function$
  select coalesce((select (value #>> '{}')::bigint from tasker.settings where key = p_key), p_default)
$function$;

CREATE OR REPLACE FUNCTION tasker.settle_task(p_task tasker.tasks, p_delta integer[], p_pending tasker.step_dispatches, p_completed uuid[])
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
declare v_released uuid[] := '{}';
begin
  if cardinality(p_completed) > 0 then v_released := tasker.release_children(p_completed); end if;
  return tasker.evaluate_task(p_task.task_uuid, p_delta, p_pending, p_task, v_released);
end $function$;

CREATE OR REPLACE FUNCTION tasker.signal_step(p_task uuid, p_step text, p_payload jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
declare
  v_step record;
  v_event uuid;
  v_out jsonb;
begin
  select s.step_uuid, s.step_type, s.state, t.correlation_id, s.name into v_step
    from tasker.tasks t left join tasker.workflow_steps s on s.task_uuid = t.task_uuid and s.name = p_step
   where t.task_uuid = p_task;
  if not found then
    return tasker.apply_outcome('unknown_task', format('no task %s', p_task), null, null);
  elsif v_step.step_uuid is null then
    return tasker.apply_outcome('unknown_step', format('task %s has no step named %s', p_task, p_step), p_task, null);
  elsif v_step.step_type is distinct from 'wait' then
    return tasker.apply_outcome('not_a_wait', format('step %s is not a wait step: a handler runs it', p_step), p_task, v_step.step_uuid);
  end if;
  -- Its open attempt, else its latest one (apply_step_results refuses that as a duplicate or late signal).
  select d.event_id into v_event from tasker.step_dispatches d
   where d.step_uuid = v_step.step_uuid order by d.status = 'dispatched' desc, d.dispatched_at desc limit 1;
  if v_event is null or (v_step.state = 'pending' and not exists (
        select 1 from tasker.step_dispatches d where d.step_uuid = v_step.step_uuid and d.status = 'dispatched')) then
    return tasker.apply_outcome('not_waiting', format('step %s is not waiting yet: its dependencies are not complete', p_step),
                                p_task, v_step.step_uuid);
  end if;
  v_out := tasker.apply_step_result(jsonb_build_object(
    'event_id', v_event, 'task_uuid', p_task, 'step_uuid', v_step.step_uuid, 'correlation_id', v_step.correlation_id,
    'step_name', v_step.name, 'status', 'success', 'result', coalesce(p_payload, 'null'::jsonb),
    'worker', jsonb_build_object('kind', 'signal'), 'timing', jsonb_build_object('signalled_at', clock_timestamp())), 0.5);
  if v_out->>'status' = 'applied' then
    update tasker.step_dispatches set step_reasons = tasker.wait_reasons(step_events, 'signal') where event_id = v_event;
    v_out := jsonb_set(v_out, '{outbox}', (v_out->'outbox') || tasker.wait_domain_events(v_event, 'success', p_payload, null, false));
  end if;
  return v_out;
end $function$;

CREATE OR REPLACE FUNCTION tasker.signal_target(p_task uuid, p_step text)
 RETURNS TABLE(step_uuid uuid, step_type text, publishes_events jsonb, signal_schema jsonb)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
  select s.step_uuid, s.step_type, s.publishes_events,
         (select x->'wait'->'signalSchema' from jsonb_array_elements(nt.template->'steps') x where x->>'name' = s.name)
    from tasker.tasks t
    join tasker.named_tasks nt using (named_task_id)
    left join tasker.workflow_steps s on s.task_uuid = t.task_uuid and s.name = p_step
   where t.task_uuid = p_task
$function$;

CREATE OR REPLACE FUNCTION tasker.skip_steps(p_task uuid, p_steps uuid[], p_reason text, p_metadata jsonb)
 RETURNS uuid[]
 LANGUAGE plpgsql
AS $function$
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
end $function$;

CREATE OR REPLACE FUNCTION tasker.step_action(p_step uuid, p_action text, p_reason text, p_result jsonb DEFAULT NULL::jsonb, p_actor text DEFAULT NULL::text)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
declare
  v_task uuid := (select task_uuid from tasker.workflow_steps where step_uuid = p_step);
  v_task_state text;
begin
  if v_task is null then return tasker.operator_refusal('no such step'); end if;
  select state into v_task_state from tasker.tasks where task_uuid = v_task for update;
  if tasker.task_is_terminal(v_task_state) and tasker.task_next(v_task_state, 'reopen') is null then
    return tasker.operator_refusal('the task is ' || v_task_state || ' and takes no more step actions');
  end if;
  if tasker.transition_step(p_step, p_action, p_reason, jsonb_build_object('operator_action', p_action, 'actor', p_actor)) is null then
    return tasker.operator_refusal(p_action || ' is not allowed for a step in state ' ||
                                   (select state from tasker.workflow_steps where step_uuid = p_step));
  end if;
  if tasker.task_is_terminal(v_task_state) then
    perform tasker.walk_task(v_task, '{reopen}', array[p_reason], jsonb_build_object('operator_action', p_action, 'step_uuid', p_step, 'actor', p_actor));
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
end $function$;

CREATE OR REPLACE FUNCTION tasker.step_bucket(p_state text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select '{"pending":"idle","enqueued":"in_flight","in_progress":"in_flight","enqueued_for_orchestration":"in_flight","enqueued_as_error_for_orchestration":"in_flight","waiting_for_retry":"waiting","complete":"completed","error":"failed","cancelled":"idle","resolved_manually":"completed","skipped":"completed"}'::jsonb ->> (p_state)
$function$;

CREATE OR REPLACE FUNCTION tasker.step_is_ready(p_state text, p_waiting_on integer, p_attempts integer, p_max_attempts integer, p_next_attempt_at timestamp with time zone)
 RETURNS boolean
 LANGUAGE sql
 STABLE
AS $function$
  select p_state in ('pending', 'waiting_for_retry') and p_waiting_on = 0 and p_attempts < p_max_attempts
     and (p_attempts = 0 or p_state = 'pending' or p_next_attempt_at is null or p_next_attempt_at <= now())
     and (p_state <> 'pending' or p_next_attempt_at is null or p_next_attempt_at <= now())
$function$;

CREATE OR REPLACE FUNCTION tasker.step_next(p_from text, p_event text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select '{"pending enqueue":"enqueued","waiting_for_retry enqueue":"enqueued","enqueued start":"in_progress","in_progress enqueue_for_orchestration":"enqueued_for_orchestration","enqueued enqueue_as_error_for_orchestration":"enqueued_as_error_for_orchestration","in_progress enqueue_as_error_for_orchestration":"enqueued_as_error_for_orchestration","enqueued_for_orchestration complete":"complete","enqueued_as_error_for_orchestration wait_for_retry":"waiting_for_retry","enqueued_as_error_for_orchestration fail":"error","pending cancel":"cancelled","enqueued cancel":"cancelled","in_progress cancel":"cancelled","enqueued_for_orchestration cancel":"cancelled","enqueued_as_error_for_orchestration cancel":"cancelled","waiting_for_retry cancel":"cancelled","pending resolve_manually":"resolved_manually","enqueued resolve_manually":"resolved_manually","in_progress resolve_manually":"resolved_manually","waiting_for_retry resolve_manually":"resolved_manually","error resolve_manually":"resolved_manually","pending complete_manually":"complete","enqueued complete_manually":"complete","in_progress complete_manually":"complete","waiting_for_retry complete_manually":"complete","error complete_manually":"complete","error reset_for_retry":"pending","cancelled reset_for_retry":"pending","pending skip":"skipped"}'::jsonb ->> (p_from || ' ' || p_event)
$function$;

CREATE OR REPLACE FUNCTION tasker.supersede_open_dispatches(p_task uuid, p_step uuid)
 RETURNS void
 LANGUAGE sql
AS $function$
  update tasker.step_dispatches set status = 'superseded', completed_at = now()
   where task_uuid = p_task and step_uuid = p_step and status = 'dispatched'
$function$;

CREATE OR REPLACE FUNCTION tasker.task_execution_context(p_task uuid, p_ready integer)
 RETURNS TABLE(task_uuid uuid, total_steps integer, ready_steps integer, in_progress_steps integer, waiting_for_retry_steps integer, completed_steps integer, failed_steps integer, execution_status text, next_retry_at timestamp with time zone)
 LANGUAGE sql
 STABLE
AS $function$
  select t.task_uuid, t.total_steps, p_ready, t.in_flight_steps, greatest(t.waiting_steps - p_ready, 0), t.completed_steps, t.failed_steps,
         tasker.execution_status(t.failed_steps, p_ready, t.in_flight_steps, t.waiting_steps, t.completed_steps, t.total_steps),
         case when t.waiting_steps > 0 then tasker.next_retry_at(p_task) end
    from tasker.tasks t
   where t.task_uuid = p_task and t.total_steps > 0
$function$;

CREATE OR REPLACE FUNCTION tasker.task_is_terminal(p_state text)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select p_state = any('{complete,error,cancelled,resolved_manually}'::text[])
$function$;

CREATE OR REPLACE FUNCTION tasker.task_next(p_from text, p_event text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select '{"pending start":"initializing","initializing initialize_failed":"error","initializing enqueue_steps":"enqueuing_steps","evaluating_results enqueue_steps":"enqueuing_steps","waiting_for_dependencies enqueue_steps":"enqueuing_steps","waiting_for_retry enqueue_steps":"enqueuing_steps","blocked_by_failures enqueue_steps":"enqueuing_steps","enqueuing_steps steps_enqueued":"steps_in_process","steps_in_process evaluate_results":"evaluating_results","waiting_for_retry evaluate_results":"evaluating_results","waiting_for_dependencies evaluate_results":"evaluating_results","blocked_by_failures evaluate_results":"evaluating_results","evaluating_results wait_for_dependencies":"waiting_for_dependencies","evaluating_results wait_for_retry":"waiting_for_retry","evaluating_results block_by_failures":"blocked_by_failures","evaluating_results complete":"complete","blocked_by_failures fail":"error","pending cancel":"cancelled","initializing cancel":"cancelled","enqueuing_steps cancel":"cancelled","steps_in_process cancel":"cancelled","evaluating_results cancel":"cancelled","waiting_for_dependencies cancel":"cancelled","waiting_for_retry cancel":"cancelled","blocked_by_failures cancel":"cancelled","blocked_by_failures resolve_manually":"resolved_manually","error resolve_manually":"resolved_manually","error reopen":"blocked_by_failures"}'::jsonb ->> (p_from || ' ' || p_event)
$function$;

CREATE OR REPLACE FUNCTION tasker.task_path(p_from text, p_status text)
 RETURNS text[]
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select string_to_array('{"pending blocked_by_failures":"start,enqueue_steps,steps_enqueued,evaluate_results,block_by_failures","pending has_ready_steps":"start,enqueue_steps,steps_enqueued","pending processing":"start,enqueue_steps,steps_enqueued","pending waiting_for_retry":"start,enqueue_steps,steps_enqueued,evaluate_results,wait_for_retry","pending all_complete":"start,enqueue_steps,steps_enqueued,evaluate_results,complete","pending waiting_for_dependencies":"start,enqueue_steps,steps_enqueued,evaluate_results,wait_for_dependencies","initializing blocked_by_failures":"enqueue_steps,steps_enqueued,evaluate_results,block_by_failures","initializing has_ready_steps":"enqueue_steps,steps_enqueued","initializing processing":"enqueue_steps,steps_enqueued","initializing waiting_for_retry":"enqueue_steps,steps_enqueued,evaluate_results,wait_for_retry","initializing all_complete":"enqueue_steps,steps_enqueued,evaluate_results,complete","initializing waiting_for_dependencies":"enqueue_steps,steps_enqueued,evaluate_results,wait_for_dependencies","enqueuing_steps blocked_by_failures":"steps_enqueued,evaluate_results,block_by_failures","enqueuing_steps has_ready_steps":"steps_enqueued","enqueuing_steps processing":"steps_enqueued","enqueuing_steps waiting_for_retry":"steps_enqueued,evaluate_results,wait_for_retry","enqueuing_steps all_complete":"steps_enqueued,evaluate_results,complete","enqueuing_steps waiting_for_dependencies":"steps_enqueued,evaluate_results,wait_for_dependencies","steps_in_process blocked_by_failures":"evaluate_results,block_by_failures","steps_in_process has_ready_steps":"","steps_in_process processing":"","steps_in_process waiting_for_retry":"evaluate_results,wait_for_retry","steps_in_process all_complete":"evaluate_results,complete","steps_in_process waiting_for_dependencies":"evaluate_results,wait_for_dependencies","evaluating_results blocked_by_failures":"block_by_failures","evaluating_results has_ready_steps":"enqueue_steps,steps_enqueued","evaluating_results processing":"enqueue_steps,steps_enqueued","evaluating_results waiting_for_retry":"wait_for_retry","evaluating_results all_complete":"complete","evaluating_results waiting_for_dependencies":"wait_for_dependencies","waiting_for_dependencies blocked_by_failures":"evaluate_results,block_by_failures","waiting_for_dependencies has_ready_steps":"enqueue_steps,steps_enqueued","waiting_for_dependencies processing":"enqueue_steps,steps_enqueued","waiting_for_dependencies waiting_for_retry":"evaluate_results,wait_for_retry","waiting_for_dependencies all_complete":"evaluate_results,complete","waiting_for_dependencies waiting_for_dependencies":"","waiting_for_retry blocked_by_failures":"evaluate_results,block_by_failures","waiting_for_retry has_ready_steps":"enqueue_steps,steps_enqueued","waiting_for_retry processing":"enqueue_steps,steps_enqueued","waiting_for_retry waiting_for_retry":"","waiting_for_retry all_complete":"evaluate_results,complete","waiting_for_retry waiting_for_dependencies":"evaluate_results,wait_for_dependencies","blocked_by_failures blocked_by_failures":"","blocked_by_failures has_ready_steps":"enqueue_steps,steps_enqueued","blocked_by_failures processing":"enqueue_steps,steps_enqueued","blocked_by_failures waiting_for_retry":"evaluate_results,wait_for_retry","blocked_by_failures all_complete":"evaluate_results,complete","blocked_by_failures waiting_for_dependencies":"evaluate_results,wait_for_dependencies"}'::jsonb ->> (p_from || ' ' || p_status), ',')
$function$;

CREATE OR REPLACE FUNCTION tasker.task_row(p_task uuid)
 RETURNS TABLE(task_uuid uuid, namespace text, name text, version text, state text, context jsonb, correlation_id uuid, priority integer, created_at timestamp with time zone, completed_at timestamp with time zone)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
  select t.task_uuid, ns.name, nt.name, nt.version, t.state, t.context, t.correlation_id, t.priority, t.created_at, t.completed_at
    from tasker.tasks t
    join tasker.named_tasks nt using (named_task_id)
    join tasker.namespaces ns using (namespace_id)
   where t.task_uuid = p_task
$function$;

CREATE OR REPLACE FUNCTION tasker.task_steps(p_task uuid)
 RETURNS TABLE(step_uuid uuid, name text, namespace text, state text, attempts integer, max_attempts integer, retryable boolean, dependencies text[], results jsonb, last_error jsonb, next_attempt_at timestamp with time zone, last_attempted_at timestamp with time zone, ordinal integer, step_type text, wait_deadline_at timestamp with time zone, batch_index integer, batch_count integer)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
  select s.step_uuid, s.name, coalesce(s.namespace, t.namespace_name), s.state, s.attempts, s.max_attempts, s.retryable,
         coalesce((select array_agg(d.name order by d.ordinal)
                     from (select p.name, min(p.ordinal) as ordinal
                             from tasker.workflow_step_edges e join tasker.workflow_steps p on p.step_uuid = e.from_step_uuid
                            where e.to_step_uuid = s.step_uuid group by p.name) d), '{}'),
         s.results, s.last_error, s.next_attempt_at, s.last_attempted_at, s.ordinal, s.step_type,
         (select d.wait_deadline_at from tasker.step_dispatches d
           where d.task_uuid = s.task_uuid and d.step_uuid = s.step_uuid and d.status = 'dispatched'
             and d.wait_deadline_at is not null),
         s.batch_index, s.batch_count
    from tasker.workflow_steps s
    join tasker.tasks t using (task_uuid)
   where s.task_uuid = p_task
   order by s.ordinal
$function$;

CREATE OR REPLACE FUNCTION tasker.task_transitions(p_task uuid)
 RETURNS TABLE(entity text, uuid uuid, from_state text, to_state text, reason text, metadata jsonb, created_at timestamp with time zone)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
  select x.entity, x.uuid, x.from_state, x.to_state, x.reason, x.metadata, x.created_at from (
    select 'step' as entity, w.step_uuid as uuid, coalesce(w.step_states[e.i - 1], w.step_from) as from_state, e.to_state,
           w.step_reasons[e.i] as reason, w.metadata, w.created_at, w.kind, w.id, 0 as part, s.ordinal, e.i
      from tasker.walks w
      join tasker.workflow_steps s on s.step_uuid = w.step_uuid
      cross join lateral unnest(w.step_states) with ordinality as e(to_state, i)
     where w.task_uuid = p_task
    union all
    select 'task', w.task_uuid, coalesce(w.task_states[e.i - 1], w.task_from), e.to_state, w.task_reasons[e.i],
           case when w.step_uuid is null then w.metadata else '{}'::jsonb end, w.created_at, w.kind, w.id, 1, 0, e.i
      from tasker.walks w
      cross join lateral unnest(w.task_states) with ordinality as e(to_state, i)
     where w.task_uuid = p_task
  ) x
   order by x.created_at, x.kind, x.id, x.part, x.ordinal, x.i
$function$;

CREATE OR REPLACE FUNCTION tasker.template_entry(p_namespace text, p_name text, p_version text DEFAULT NULL::text)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
begin
  return (select jsonb_build_object('template', nt.template, 'named_task_id', nt.named_task_id::text, 'revision', nt.updated_at)
            from tasker.template_row(p_namespace, p_name, p_version) nt);
end $function$;

CREATE OR REPLACE FUNCTION tasker.template_id(p_namespace text, p_name text, p_version text DEFAULT NULL::text)
 RETURNS bigint
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
begin
  return (select nt.named_task_id from tasker.template_row(p_namespace, p_name, p_version) nt);
end $function$;

CREATE OR REPLACE FUNCTION tasker.template_id_if(p_namespace text, p_name text, p_version text, p_named_task_id bigint, p_revision timestamp with time zone)
 RETURNS bigint
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
begin
  return (select nt.named_task_id from tasker.template_row(p_namespace, p_name, p_version) nt
           where nt.named_task_id = p_named_task_id and nt.updated_at = p_revision);
end $function$;

CREATE OR REPLACE FUNCTION tasker.template_row(p_namespace text, p_name text, p_version text)
 RETURNS SETOF tasker.named_tasks
 LANGUAGE sql
 STABLE
AS $function$
  select nt.* from tasker.named_tasks nt join tasker.namespaces ns using (namespace_id)
   where ns.name = p_namespace and nt.name = p_name and (p_version is null or nt.version = p_version)
   order by nt.version_sort desc limit 1
$function$;

CREATE OR REPLACE FUNCTION tasker.transition_step(p_step uuid, p_event text, p_reason text DEFAULT NULL::text, p_metadata jsonb DEFAULT '{}'::jsonb, p_expected text DEFAULT NULL::text)
 RETURNS text
 LANGUAGE sql
AS $function$
  select tasker.walk_step(p_step, array[p_event], array[p_reason], p_metadata, false, p_expected)
$function$;

CREATE OR REPLACE FUNCTION tasker.transition_task(p_task uuid, p_event text, p_reason text DEFAULT NULL::text, p_metadata jsonb DEFAULT '{}'::jsonb, p_expected text DEFAULT NULL::text)
 RETURNS text
 LANGUAGE sql
AS $function$
  select tasker.walk_task(p_task, array[p_event], array[p_reason], p_metadata, false, p_expected)
$function$;

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

CREATE OR REPLACE FUNCTION tasker.wait_domain_events(p_event uuid, p_outcome text, p_payload jsonb, p_error jsonb, p_unchecked boolean)
 RETURNS jsonb
 LANGUAGE sql
AS $function$
  with fired as (
    insert into tasker.outbox (kind, namespace, payload)
    select 'domain_event', ns.name, jsonb_build_object(
             'source', 'tasker.' || ns.name, 'detail_type', e->>'name',
             'detail', jsonb_build_object(
               'schema_version', 1, 'event_id', tasker.name_based_uuid(d.event_id::text || ':' || (e->>'name')),
               'event_name', e->>'name', 'event_version', t.task_version, 'payload', coalesce(p_payload, 'null'::jsonb),
               'error', p_error,
               'metadata', jsonb_build_object(
                 'task_uuid', d.task_uuid, 'step_uuid', d.step_uuid, 'step_name', s.name, 'namespace', ns.name,
                 'task_name', t.task_name, 'correlation_id', t.correlation_id, 'source_event_id', d.event_id,
                 'attempt', d.attempt, 'outcome', p_outcome,
                 'fired_at', to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))))
      from tasker.step_dispatches d
      join tasker.workflow_steps s on s.step_uuid = d.step_uuid
      join tasker.tasks t on t.task_uuid = d.task_uuid
      cross join lateral (select coalesce(s.namespace, t.namespace_name) as name) ns
      cross join lateral jsonb_array_elements(s.publishes_events) e
     where d.event_id = p_event
       and (e->>'condition' = 'always' or e->>'condition' = p_outcome
            or (e->>'condition' = 'failure' and p_outcome <> 'success'))
       and not (p_unchecked and e ? 'schema')
    returning *
  )
  select coalesce(jsonb_agg(tasker.outbox_json(f) order by f.id), '[]'::jsonb) from fired f
$function$;

CREATE OR REPLACE FUNCTION tasker.wait_reasons(p_events text[], p_how text)
 RETURNS text[]
 LANGUAGE sql
 IMMUTABLE
AS $function$
  select array_agg(case e
           when 'start' then case p_how when 'signal' then 'signal received' else 'wait timed out' end
           when 'enqueue_for_orchestration' then
             case p_how when 'signal' then 'signal payload taken as the result' else 'completed on timeout (on_timeout: complete)' end
           else 'result applied' end order by i)
    from unnest(p_events) with ordinality as x(e, i)
$function$;

CREATE OR REPLACE FUNCTION tasker.walk_states(p_entity text, p_from text, p_events text[])
 RETURNS text[]
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
declare
  v_state text := p_from;
  v_states text[] := '{}';
  v_event text;
begin
  foreach v_event in array p_events loop
    v_state := case p_entity when 'task' then tasker.task_next(v_state, v_event) else tasker.step_next(v_state, v_event) end;
    if v_state is null then return null; end if;
    v_states := v_states || v_state;
  end loop;
  return v_states;
end $function$;

CREATE OR REPLACE FUNCTION tasker.walk_step(p_step uuid, p_events text[], p_reasons text[], p_metadata jsonb DEFAULT '{}'::jsonb, p_strict boolean DEFAULT true, p_expected text DEFAULT NULL::text)
 RETURNS text
 LANGUAGE plpgsql
AS $function$
declare
  v_task uuid := (select task_uuid from tasker.workflow_steps where step_uuid = p_step);
  v_from text;
  v_states text[];
  v_to text;
begin
  perform 1 from tasker.tasks where task_uuid = v_task for update;
  select state into v_from from tasker.workflow_steps where step_uuid = p_step for update;
  v_states := tasker.walk_states('step', v_from, p_events);
  if v_from is null or v_from <> coalesce(p_expected, v_from) or v_states is null then
    if p_strict then
      raise exception 'step % cannot walk % from state %', p_step, p_events, v_from using errcode = 'TK002';
    end if;
    return null;
  end if;
  v_to := v_states[cardinality(v_states)];
  update tasker.workflow_steps set state = v_to, updated_at = now() where step_uuid = p_step;
  perform tasker.note_step_moves(v_task, array[p_step], v_from, v_to);
  insert into tasker.transitions (task_uuid, step_uuid, step_from, step_states, step_events, step_reasons, metadata)
  values (v_task, p_step, v_from, v_states, p_events, p_reasons, coalesce(p_metadata, '{}'));
  return v_to;
end $function$;

CREATE OR REPLACE FUNCTION tasker.walk_task(p_task uuid, p_events text[], p_reasons text[], p_metadata jsonb DEFAULT '{}'::jsonb, p_strict boolean DEFAULT true, p_expected text DEFAULT NULL::text)
 RETURNS text
 LANGUAGE plpgsql
AS $function$
declare
  v_from text;
  v_states text[];
  v_to text;
begin
  select state into v_from from tasker.tasks where task_uuid = p_task for update;
  v_states := tasker.walk_states('task', v_from, p_events);
  if v_from is null or v_from <> coalesce(p_expected, v_from) or v_states is null then
    if p_strict then
      raise exception 'task % cannot walk % from state %', p_task, p_events, v_from using errcode = 'TK002';
    end if;
    return null;
  end if;
  v_to := v_states[cardinality(v_states)];
  update tasker.tasks
     set state = v_to, updated_at = now(), completed_at = case when tasker.task_is_terminal(v_to) then now() else completed_at end
   where task_uuid = p_task;
  insert into tasker.transitions (task_uuid, task_from, task_states, task_events, task_reasons, metadata)
  values (p_task, v_from, v_states, p_events, p_reasons, coalesce(p_metadata, '{}'));
  return v_to;
end $function$;

CREATE OR REPLACE FUNCTION tasker.with_outbox(p_outcomes jsonb, p_key integer, p_outbox jsonb)
 RETURNS jsonb
 LANGUAGE sql
 STABLE
AS $function$
  select jsonb_set(p_outcomes, array[p_key::text, 'outbox'], p_outbox || (p_outcomes->p_key::text->'outbox'))
$function$;

-- triggers

CREATE TRIGGER workflow_step_transitions_insert INSTEAD OF INSERT ON tasker.workflow_step_transitions FOR EACH ROW EXECUTE FUNCTION tasker.insert_step_transition();

-- applied migrations

000001_schema.sql
000002_state_machines.sql
000003_walks.sql
000004_readiness.sql
000005_claim.sql
000006_task_lifecycle.sql
000007_apply_result.sql
000008_recovery.sql
000009_operator_actions.sql
000010_runtime_role.sql
000011_state_machine_reopen.sql
000012_blocked_tasks_end.sql
000013_attempt_start.sql
000014_wait_steps.sql
000015_dynamic_steps.sql
000016_state_machine_skipped.sql
000017_operator_api.sql
000018_delayed_start.sql
000019_planner_proof_plans.sql
000020_claim_batch_columns.sql
000021_dynamic_dispatch.sql
000022_template_revisions.sql
000023_generic_plans.sql
000024_generic_outbox_marks.sql
000025_single_result_order.sql
000026_state_machine_lookups.sql
000027_lean_claims.sql
000028_checks_at_registration.sql
000029_one_statement_creation.sql
000030_grouped_creation.sql

-- rows of tasker.settings

(blocked_task_grace_ms,0)
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
(pending,skip,skipped)
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
(error,reopen,blocked_by_failures)
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
