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
    started_at timestamp with time zone
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
    blocked_at timestamp with time zone
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
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

-- constraints

ALTER TABLE tasker.dispatch_queue_backlogs ADD CONSTRAINT dispatch_queue_backlogs_pkey PRIMARY KEY (queue_url);

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

ALTER TABLE tasker.step_transition_rules ADD CONSTRAINT step_transition_rules_pkey PRIMARY KEY (from_state, event);

ALTER TABLE tasker.task_transition_rules ADD CONSTRAINT task_transition_rules_pkey PRIMARY KEY (from_state, event);

ALTER TABLE tasker.tasks ADD CONSTRAINT tasks_pkey PRIMARY KEY (task_uuid);

ALTER TABLE tasker.workflow_step_edges ADD CONSTRAINT workflow_step_edges_pkey PRIMARY KEY (from_step_uuid, to_step_uuid);

ALTER TABLE tasker.workflow_steps ADD CONSTRAINT workflow_steps_backoff_base_ms_check CHECK ((backoff_base_ms >= 0));

ALTER TABLE tasker.workflow_steps ADD CONSTRAINT workflow_steps_max_attempts_check CHECK ((max_attempts >= 1));

ALTER TABLE tasker.workflow_steps ADD CONSTRAINT workflow_steps_max_backoff_ms_check CHECK ((max_backoff_ms >= 0));

ALTER TABLE tasker.workflow_steps ADD CONSTRAINT workflow_steps_pkey PRIMARY KEY (step_uuid);

ALTER TABLE tasker.workflow_steps ADD CONSTRAINT workflow_steps_timeout_seconds_check CHECK ((timeout_seconds > 0));

-- indexes

CREATE INDEX step_dispatches_open_idx ON tasker.step_dispatches USING btree (deadline_at) WHERE (status = 'dispatched'::text);

CREATE INDEX step_dispatches_task_idx ON tasker.step_dispatches USING btree (task_uuid);

CREATE INDEX tasks_blocked_idx ON tasker.tasks USING btree (blocked_at) WHERE (blocked_at IS NOT NULL);

CREATE INDEX tasks_correlation_idx ON tasker.tasks USING btree (correlation_id);

CREATE UNIQUE INDEX tasks_identity_idx ON tasker.tasks USING btree (identity_hash) WHERE (identity_strategy <> 'always_unique'::text);

CREATE INDEX transitions_task_idx ON tasker.transitions USING btree (task_uuid, id);

CREATE INDEX workflow_step_edges_to_idx ON tasker.workflow_step_edges USING btree (to_step_uuid);

CREATE INDEX workflow_steps_ready_idx ON tasker.workflow_steps USING btree (task_uuid, ordinal) WHERE (state = ANY (ARRAY['pending'::text, 'waiting_for_retry'::text]));

CREATE INDEX workflow_steps_retry_idx ON tasker.workflow_steps USING btree (next_attempt_at) WHERE (state = 'waiting_for_retry'::text);

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
     CROSS JOIN LATERAL ( SELECT tasker.creation_walk(k.reason) AS w) c
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
begin
  for x in
    select e.i::int as i, e.r as result,
           (select d.task_uuid from tasker.step_dispatches d where d.event_id = (e.r->>'event_id')::uuid) as task_uuid
      from jsonb_array_elements(p_results) with ordinality as e(r, i)
     order by 3 nulls first, e.i
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
    v_one := tasker.apply_one(x.result, p_randoms[x.i], v_hit.d, v_hit.s);
    if v_pending.event_id is not null then v_closed := tasker.close_dispatch(v_pending); end if;
    v_pending := v_one.walk;
    v_applied := v_applied || (v_hit.d).event_id;
    v_delta := array[v_delta[1] + v_one.delta[1], v_delta[2] + v_one.delta[2], v_delta[3] + v_one.delta[3], v_delta[4] + v_one.delta[4]];
    if v_one.delta[3] > 0 and (v_hit.s).has_children then v_completed := v_completed || (v_hit.d).step_uuid; end if;
    v_last := x.i;
    v_outcomes := v_outcomes || jsonb_build_object(x.i::text, tasker.apply_outcome('applied', null, x.task_uuid, (v_hit.d).step_uuid,
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

CREATE OR REPLACE FUNCTION tasker.cancel_task(p_task uuid, p_reason text)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
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

CREATE OR REPLACE FUNCTION tasker.claim_steps_locked(p_task uuid, p_steps uuid[], p_fresh boolean DEFAULT false, OUT outbox jsonb, OUT claimed integer, OUT from_waiting integer)
 RETURNS record
 LANGUAGE plpgsql
AS $function$
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
              s.attempts, s.max_attempts, s.retryable, s.timeout_seconds, s.publishes_events, gen_random_uuid() as event_id,
              g.at + make_interval(secs => s.timeout_seconds + g.secs) as deadline, g.at
  ),
  fresh as (
    select s.step_uuid, 'pending'::text as from_state, s.state as to_state, p.pos, s.name,
           s.namespace, s.handler_callable, s.inputs, s.attempts, s.max_attempts, s.retryable, s.timeout_seconds,
           s.publishes_events, gen_random_uuid() as event_id, g.at + make_interval(secs => s.timeout_seconds + g.secs) as deadline, g.at
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
        'dependency_results', coalesce((
          select jsonb_object_agg(p.name, coalesce(p.results, 'null'::jsonb))
            from tasker.workflow_step_edges e
            cross join lateral (select x.name, x.results from tasker.workflow_steps x where x.step_uuid = e.from_step_uuid offset 0) p
           where e.to_step_uuid = m.step_uuid), '{}'::jsonb),
        'publishes_events', m.publishes_events) as payload
      from claimed m cross join task k
  ),
  dispatched as (
    insert into tasker.step_dispatches (event_id, step_uuid, task_uuid, attempt, dispatched_at, deadline_at)
    select event_id, step_uuid, p_task, attempts, at, deadline from message
  ),
  queued as (
    insert into tasker.outbox (kind, namespace, payload)
    select 'step_dispatch', payload->>'namespace', payload from message order by pos
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

CREATE OR REPLACE FUNCTION tasker.create_task(p_named_task bigint, p_context jsonb, p_correlation_id uuid, p_priority integer, p_identity_strategy text, p_idempotency_key text, p_initiator text, p_reason text)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
declare
  v_hash text := tasker.identity_hash(p_named_task, p_identity_strategy, p_context, p_idempotency_key);
  v_task uuid := gen_random_uuid();
  v_template jsonb;
  v_walk tasker.transitions;
  v_roots uuid[];
  v_claim record;
  v_root_count int;
  v_namespace text;
  v_name text;
  v_version text;
  v_correlation uuid := coalesce(p_correlation_id, gen_random_uuid());
begin
  select nt.template, ns.name, nt.name, nt.version,
         (select count(*)::int from jsonb_array_elements(nt.template->'steps') s
           where jsonb_array_length(coalesce(s->'dependencies', '[]'::jsonb)) = 0)
    into v_template, v_namespace, v_name, v_version, v_root_count
    from tasker.named_tasks nt join tasker.namespaces ns on ns.namespace_id = nt.namespace_id
   where nt.named_task_id = p_named_task;
  -- The task is written in the state its creation walk ends in; the audit derives that walk.
  v_walk := tasker.creation_walk(p_reason);
  insert into tasker.tasks (task_uuid, named_task_id, namespace_name, task_name, task_version, context, identity_strategy, identity_hash,
                            correlation_id, priority, initiator, reason, state, total_steps, in_flight_steps)
  values (v_task, p_named_task, v_namespace, v_name, v_version, p_context, p_identity_strategy, v_hash, v_correlation, p_priority, p_initiator, p_reason,
          v_walk.task_states[cardinality(v_walk.task_states)], jsonb_array_length(v_template->'steps'), v_root_count)
  on conflict (identity_hash) where identity_strategy <> 'always_unique' do nothing;
  if not found then
    return (select jsonb_build_object('task_uuid', task_uuid, 'created', false, 'state', state,
              'correlation_id', correlation_id, 'outbox', '[]'::jsonb)
              from tasker.tasks where identity_hash = v_hash and identity_strategy <> 'always_unique');
  end if;
  v_roots := tasker.insert_steps(v_task, v_template);
  v_claim := tasker.claim_steps_locked(v_task, v_roots, true);
  if v_claim.claimed <> v_root_count then
    raise exception 'task % claimed % of its % root steps', v_task, v_claim.claimed, v_root_count using errcode = 'TK003';
  end if;
  return jsonb_build_object('task_uuid', v_task, 'created', true, 'state', v_walk.task_states[cardinality(v_walk.task_states)],
                            'correlation_id', v_correlation, 'outbox', v_claim.outbox);
end $function$;

CREATE OR REPLACE FUNCTION tasker.create_tasks(p_requests jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
declare
  x record;
  v_out jsonb := '[]'::jsonb;
begin
  for x in
    select r, nt.named_task_id
      from jsonb_array_elements(p_requests) with ordinality as e(r, i)
      left join tasker.namespaces ns on ns.name = r->>'namespace'
      left join tasker.named_tasks nt on nt.namespace_id = ns.namespace_id and nt.name = r->>'name' and nt.version = r->>'version'
     order by i
  loop
    v_out := v_out || jsonb_build_array(case when x.named_task_id is not null then
      tasker.create_task(x.named_task_id, x.r->'context', (x.r->>'correlation_id')::uuid, coalesce((x.r->>'priority')::int, 0),
                         x.r->>'identity_strategy', x.r->>'idempotency_key', x.r->>'initiator', x.r->>'reason') end);
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

CREATE OR REPLACE FUNCTION tasker.dispatch_queue_of(p_queues jsonb, p_namespace text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
AS $function$
  select coalesce(p_queues->'namespaces'->>p_namespace, p_queues->>'default')
$function$;

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
  v_closed int;
  v_grace bigint;
  v_out jsonb := '[]'::jsonb;
begin
  if p_row.task_uuid is null then select * into t from tasker.tasks where task_uuid = p_task; else t := p_row; end if;
  t.in_flight_steps := t.in_flight_steps + p_delta[1];
  t.waiting_steps := t.waiting_steps + p_delta[2];
  t.completed_steps := t.completed_steps + p_delta[3];
  t.failed_steps := t.failed_steps + p_delta[4];
  v_to := t.state;
  if not tasker.task_is_terminal(t.state) then
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
    v_closed := tasker.close_dispatch(p_pending);
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
  if v_to <> t.state or p_delta <> '{0,0,0,0}' or cardinality(v_ready) > 0 then
    update tasker.tasks
       set state = v_to, in_flight_steps = t.in_flight_steps, waiting_steps = t.waiting_steps,
           completed_steps = t.completed_steps, failed_steps = t.failed_steps,
           updated_at = now(), completed_at = case when v_to <> t.state and tasker.task_is_terminal(v_to) then now() else completed_at end,
           blocked_at = case when v_to = 'blocked_by_failures' then coalesce(t.blocked_at, now()) end
     where task_uuid = p_task;
  end if;
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
  -- The task waits for a retry exactly when evaluating it found nothing else to do.
  if (select state from tasker.tasks where task_uuid = p_task) = 'waiting_for_retry' then
    v_due := tasker.next_retry_at(p_task);
    if v_due > now() then v_out := v_out || jsonb_build_array(tasker.emit_retry_due(p_task, v_due)); end if;
  end if;
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

CREATE OR REPLACE FUNCTION tasker.insert_steps(p_task uuid, p_template jsonb)
 RETURNS uuid[]
 LANGUAGE plpgsql
AS $function$
declare v_roots uuid[];
begin
  with inserted as (
    insert into tasker.workflow_steps (
      step_uuid, task_uuid, name, ordinal, namespace, handler_callable, inputs, max_attempts, retryable,
      backoff_base_ms, max_backoff_ms, timeout_seconds, publishes_events, waiting_on, has_children, state, attempts, last_attempted_at)
    select gen_random_uuid(), p_task, s->>'name', ord, s->>'namespace', s->'handler'->>'callable',
           coalesce(s->'handler'->'initialization', '{}'::jsonb),
           (s->'retry'->>'maxAttempts')::int, (s->'retry'->>'retryable')::boolean, (s->'retry'->>'backoffBaseMs')::int,
           (s->'retry'->>'maxBackoffMs')::int, (s->>'timeoutSeconds')::int, coalesce(s->'publishesEvents', '[]'::jsonb), jsonb_array_length(coalesce(s->'dependencies', '[]'::jsonb)),
           p.dep is not null, case when r.root then tasker.step_next('pending', 'enqueue') else 'pending' end,
           r.root::int, case when r.root then now() end
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
end $function$;

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
AS $function$
declare v_n int;
begin
  delete from tasker.outbox where id = any(p_ids);
  get diagnostics v_n = row_count;
  return v_n;
end $function$;

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

CREATE OR REPLACE FUNCTION tasker.release_children(p_steps uuid[])
 RETURNS uuid[]
 LANGUAGE plpgsql
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
  select array['apply_step_result', 'apply_step_results', 'evaluate_task_now', 'mark_outbox_sent', 'unsent_outbox', 'find_timed_out_dispatches', 'claim_due_retries', 'fail_blocked_tasks', 'mark_attempts_started']
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

CREATE OR REPLACE FUNCTION tasker.step_action(p_step uuid, p_action text, p_reason text, p_result jsonb DEFAULT NULL::jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
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
  return jsonb_build_object('ok', true, 'outbox', tasker.evaluate_task(v_task));
end $function$;

CREATE OR REPLACE FUNCTION tasker.step_bucket(p_state text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select case p_state
    when 'pending' then 'idle'
    when 'enqueued' then 'in_flight'
    when 'in_progress' then 'in_flight'
    when 'enqueued_for_orchestration' then 'in_flight'
    when 'enqueued_as_error_for_orchestration' then 'in_flight'
    when 'waiting_for_retry' then 'waiting'
    when 'complete' then 'completed'
    when 'error' then 'failed'
    when 'cancelled' then 'idle'
    when 'resolved_manually' then 'completed'
  end
$function$;

CREATE OR REPLACE FUNCTION tasker.step_is_ready(p_state text, p_waiting_on integer, p_attempts integer, p_max_attempts integer, p_next_attempt_at timestamp with time zone)
 RETURNS boolean
 LANGUAGE sql
 STABLE
AS $function$
  select p_state in ('pending', 'waiting_for_retry') and p_waiting_on = 0 and p_attempts < p_max_attempts
     and (p_attempts = 0 or p_state = 'pending' or p_next_attempt_at is null or p_next_attempt_at <= now())
$function$;

CREATE OR REPLACE FUNCTION tasker.step_next(p_from text, p_event text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select case p_from || ' ' || p_event
    when 'pending enqueue' then 'enqueued'
    when 'waiting_for_retry enqueue' then 'enqueued'
    when 'enqueued start' then 'in_progress'
    when 'in_progress enqueue_for_orchestration' then 'enqueued_for_orchestration'
    when 'enqueued enqueue_as_error_for_orchestration' then 'enqueued_as_error_for_orchestration'
    when 'in_progress enqueue_as_error_for_orchestration' then 'enqueued_as_error_for_orchestration'
    when 'enqueued_for_orchestration complete' then 'complete'
    when 'enqueued_as_error_for_orchestration wait_for_retry' then 'waiting_for_retry'
    when 'enqueued_as_error_for_orchestration fail' then 'error'
    when 'pending cancel' then 'cancelled'
    when 'enqueued cancel' then 'cancelled'
    when 'in_progress cancel' then 'cancelled'
    when 'enqueued_for_orchestration cancel' then 'cancelled'
    when 'enqueued_as_error_for_orchestration cancel' then 'cancelled'
    when 'waiting_for_retry cancel' then 'cancelled'
    when 'pending resolve_manually' then 'resolved_manually'
    when 'enqueued resolve_manually' then 'resolved_manually'
    when 'in_progress resolve_manually' then 'resolved_manually'
    when 'waiting_for_retry resolve_manually' then 'resolved_manually'
    when 'error resolve_manually' then 'resolved_manually'
    when 'pending complete_manually' then 'complete'
    when 'enqueued complete_manually' then 'complete'
    when 'in_progress complete_manually' then 'complete'
    when 'waiting_for_retry complete_manually' then 'complete'
    when 'error complete_manually' then 'complete'
    when 'error reset_for_retry' then 'pending'
    when 'cancelled reset_for_retry' then 'pending'
  end
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
  select case p_from || ' ' || p_event
    when 'pending start' then 'initializing'
    when 'initializing initialize_failed' then 'error'
    when 'initializing enqueue_steps' then 'enqueuing_steps'
    when 'evaluating_results enqueue_steps' then 'enqueuing_steps'
    when 'waiting_for_dependencies enqueue_steps' then 'enqueuing_steps'
    when 'waiting_for_retry enqueue_steps' then 'enqueuing_steps'
    when 'blocked_by_failures enqueue_steps' then 'enqueuing_steps'
    when 'enqueuing_steps steps_enqueued' then 'steps_in_process'
    when 'steps_in_process evaluate_results' then 'evaluating_results'
    when 'waiting_for_retry evaluate_results' then 'evaluating_results'
    when 'waiting_for_dependencies evaluate_results' then 'evaluating_results'
    when 'blocked_by_failures evaluate_results' then 'evaluating_results'
    when 'evaluating_results wait_for_dependencies' then 'waiting_for_dependencies'
    when 'evaluating_results wait_for_retry' then 'waiting_for_retry'
    when 'evaluating_results block_by_failures' then 'blocked_by_failures'
    when 'evaluating_results complete' then 'complete'
    when 'blocked_by_failures fail' then 'error'
    when 'pending cancel' then 'cancelled'
    when 'initializing cancel' then 'cancelled'
    when 'enqueuing_steps cancel' then 'cancelled'
    when 'steps_in_process cancel' then 'cancelled'
    when 'evaluating_results cancel' then 'cancelled'
    when 'waiting_for_dependencies cancel' then 'cancelled'
    when 'waiting_for_retry cancel' then 'cancelled'
    when 'blocked_by_failures cancel' then 'cancelled'
    when 'blocked_by_failures resolve_manually' then 'resolved_manually'
    when 'error resolve_manually' then 'resolved_manually'
    when 'error reopen' then 'blocked_by_failures'
  end
$function$;

CREATE OR REPLACE FUNCTION tasker.task_path(p_from text, p_status text)
 RETURNS text[]
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select case p_from || ' ' || p_status
    when 'pending blocked_by_failures' then '{start,enqueue_steps,steps_enqueued,evaluate_results,block_by_failures}'::text[]
    when 'pending has_ready_steps' then '{start,enqueue_steps,steps_enqueued}'::text[]
    when 'pending processing' then '{start,enqueue_steps,steps_enqueued}'::text[]
    when 'pending waiting_for_retry' then '{start,enqueue_steps,steps_enqueued,evaluate_results,wait_for_retry}'::text[]
    when 'pending all_complete' then '{start,enqueue_steps,steps_enqueued,evaluate_results,complete}'::text[]
    when 'pending waiting_for_dependencies' then '{start,enqueue_steps,steps_enqueued,evaluate_results,wait_for_dependencies}'::text[]
    when 'initializing blocked_by_failures' then '{enqueue_steps,steps_enqueued,evaluate_results,block_by_failures}'::text[]
    when 'initializing has_ready_steps' then '{enqueue_steps,steps_enqueued}'::text[]
    when 'initializing processing' then '{enqueue_steps,steps_enqueued}'::text[]
    when 'initializing waiting_for_retry' then '{enqueue_steps,steps_enqueued,evaluate_results,wait_for_retry}'::text[]
    when 'initializing all_complete' then '{enqueue_steps,steps_enqueued,evaluate_results,complete}'::text[]
    when 'initializing waiting_for_dependencies' then '{enqueue_steps,steps_enqueued,evaluate_results,wait_for_dependencies}'::text[]
    when 'enqueuing_steps blocked_by_failures' then '{steps_enqueued,evaluate_results,block_by_failures}'::text[]
    when 'enqueuing_steps has_ready_steps' then '{steps_enqueued}'::text[]
    when 'enqueuing_steps processing' then '{steps_enqueued}'::text[]
    when 'enqueuing_steps waiting_for_retry' then '{steps_enqueued,evaluate_results,wait_for_retry}'::text[]
    when 'enqueuing_steps all_complete' then '{steps_enqueued,evaluate_results,complete}'::text[]
    when 'enqueuing_steps waiting_for_dependencies' then '{steps_enqueued,evaluate_results,wait_for_dependencies}'::text[]
    when 'steps_in_process blocked_by_failures' then '{evaluate_results,block_by_failures}'::text[]
    when 'steps_in_process has_ready_steps' then '{}'::text[]
    when 'steps_in_process processing' then '{}'::text[]
    when 'steps_in_process waiting_for_retry' then '{evaluate_results,wait_for_retry}'::text[]
    when 'steps_in_process all_complete' then '{evaluate_results,complete}'::text[]
    when 'steps_in_process waiting_for_dependencies' then '{evaluate_results,wait_for_dependencies}'::text[]
    when 'evaluating_results blocked_by_failures' then '{block_by_failures}'::text[]
    when 'evaluating_results has_ready_steps' then '{enqueue_steps,steps_enqueued}'::text[]
    when 'evaluating_results processing' then '{enqueue_steps,steps_enqueued}'::text[]
    when 'evaluating_results waiting_for_retry' then '{wait_for_retry}'::text[]
    when 'evaluating_results all_complete' then '{complete}'::text[]
    when 'evaluating_results waiting_for_dependencies' then '{wait_for_dependencies}'::text[]
    when 'waiting_for_dependencies blocked_by_failures' then '{evaluate_results,block_by_failures}'::text[]
    when 'waiting_for_dependencies has_ready_steps' then '{enqueue_steps,steps_enqueued}'::text[]
    when 'waiting_for_dependencies processing' then '{enqueue_steps,steps_enqueued}'::text[]
    when 'waiting_for_dependencies waiting_for_retry' then '{evaluate_results,wait_for_retry}'::text[]
    when 'waiting_for_dependencies all_complete' then '{evaluate_results,complete}'::text[]
    when 'waiting_for_dependencies waiting_for_dependencies' then '{}'::text[]
    when 'waiting_for_retry blocked_by_failures' then '{evaluate_results,block_by_failures}'::text[]
    when 'waiting_for_retry has_ready_steps' then '{enqueue_steps,steps_enqueued}'::text[]
    when 'waiting_for_retry processing' then '{enqueue_steps,steps_enqueued}'::text[]
    when 'waiting_for_retry waiting_for_retry' then '{}'::text[]
    when 'waiting_for_retry all_complete' then '{evaluate_results,complete}'::text[]
    when 'waiting_for_retry waiting_for_dependencies' then '{evaluate_results,wait_for_dependencies}'::text[]
    when 'blocked_by_failures blocked_by_failures' then '{}'::text[]
    when 'blocked_by_failures has_ready_steps' then '{enqueue_steps,steps_enqueued}'::text[]
    when 'blocked_by_failures processing' then '{enqueue_steps,steps_enqueued}'::text[]
    when 'blocked_by_failures waiting_for_retry' then '{evaluate_results,wait_for_retry}'::text[]
    when 'blocked_by_failures all_complete' then '{evaluate_results,complete}'::text[]
    when 'blocked_by_failures waiting_for_dependencies' then '{evaluate_results,wait_for_dependencies}'::text[]
  end
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
000014_planner_proof_plans.sql

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
