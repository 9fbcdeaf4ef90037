-- Orchestration state: templates, tasks, steps, edges, the audit trail, dispatch records, outbox.
-- Integrity: the engine is the only writer, through the functions in these migrations, so the
-- tables written per task and step (tasks, steps, edges, audit, dispatches) carry no foreign
-- keys (each would cost a check per insert): a task names a template that is never deleted, its
-- rows are written with it in one transaction, and tasker.delete_task removes a task with
-- everything that hangs off it.
create schema if not exists tasker;

create table tasker.settings (
  key text primary key,
  value jsonb not null
);

-- How long past a step's own timeout a dispatched attempt may wait in its queue before the
-- sweeper times it out. Queue backlog counts against it: size it to the backlog you accept.
insert into tasker.settings (key, value) values ('dispatch_grace_ms', '900000');

create table tasker.namespaces (
  namespace_id bigint generated always as identity primary key,
  name text not null unique,
  created_at timestamptz not null default now()
);

create table tasker.named_tasks (
  named_task_id bigint generated always as identity primary key,
  namespace_id bigint not null references tasker.namespaces,
  name text not null,
  version text not null,
  version_sort int[] not null,
  description text,
  template jsonb not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (namespace_id, name, version)
);

-- The step counters are kept in the transaction that moves a step (buckets: tasker.step_bucket),
-- so evaluating a task reads one row instead of its steps.
create table tasker.tasks (
  task_uuid uuid primary key,
  named_task_id bigint not null,
  -- The template's names, copied at creation: every dispatch message and lifecycle event carries
  -- them, and a template's names never change.
  namespace_name text,
  task_name text,
  task_version text,
  state text not null default 'pending',
  context jsonb not null,
  identity_strategy text not null,
  identity_hash text not null,
  correlation_id uuid not null,
  priority int not null default 0,
  initiator text,
  reason text,
  total_steps int not null default 0,
  in_flight_steps int not null default 0,
  waiting_steps int not null default 0,
  completed_steps int not null default 0,
  failed_steps int not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  completed_at timestamptz
) with (fillfactor = 85);

-- A task created 'always_unique' has a hash no other task can share: only the others are indexed.
create unique index tasks_identity_idx on tasker.tasks (identity_hash) where identity_strategy <> 'always_unique';
-- No index on state: the engine never looks tasks up by state, and without one the updates that
-- keep a task's counters (every applied result) can stay on the row's page (HOT).
create index tasks_correlation_idx on tasker.tasks (correlation_id);

create table tasker.workflow_steps (
  step_uuid uuid primary key,
  task_uuid uuid not null,
  name text not null,
  ordinal int not null,
  -- The worker pool's namespace when it is not the task's (a mixed DAG); null: the task's.
  namespace text,
  handler_callable text not null,
  -- The handler's initialization config for this step (tasker-core's step inputs).
  inputs jsonb not null default '{}',
  state text not null default 'pending',
  -- Parents not yet complete (or resolved manually): 0 means the dependencies are met.
  waiting_on int not null default 0,
  -- Whether any step depends on this one (a step without children has none to release).
  has_children boolean not null default false,
  attempts int not null default 0,
  max_attempts int not null check (max_attempts >= 1),
  retryable boolean not null,
  backoff_base_ms int not null check (backoff_base_ms >= 0),
  max_backoff_ms int not null check (max_backoff_ms >= 0),
  timeout_seconds int not null check (timeout_seconds > 0),
  publishes_events jsonb not null default '[]',
  next_attempt_at timestamptz,
  last_attempted_at timestamptz,
  results jsonb,
  last_error jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
) with (fillfactor = 85);

create index workflow_steps_task_idx on tasker.workflow_steps (task_uuid, ordinal);
-- The steps a full readiness scan of a task looks at (a result's evaluation looks only at the
-- children it released). waiting_on is in no index, so counting parents down stays HOT.
create index workflow_steps_ready_idx on tasker.workflow_steps (task_uuid, ordinal)
  where state in ('pending', 'waiting_for_retry');
create index workflow_steps_retry_idx on tasker.workflow_steps (next_attempt_at) where state = 'waiting_for_retry';
create index workflow_steps_task_retry_idx on tasker.workflow_steps (task_uuid, next_attempt_at) where state = 'waiting_for_retry';

create table tasker.workflow_step_edges (
  from_step_uuid uuid not null,
  to_step_uuid uuid not null,
  primary key (from_step_uuid, to_step_uuid)
);

create index workflow_step_edges_to_idx on tasker.workflow_step_edges (to_step_uuid);

-- The audit trail, one row per walk: a step's walk (an attempt's outcome, a claim, an operator
-- action) and the task walk it caused, each a list of events with the states they reached. The
-- views tasker.task_transitions and tasker.workflow_step_transitions show one row per event.
create table tasker.transitions (
  id bigint generated always as identity,
  task_uuid uuid not null,
  step_uuid uuid,
  step_from text,
  step_states text[],
  step_events text[],
  step_reasons text[],
  task_from text,
  task_states text[],
  task_events text[],
  task_reasons text[],
  metadata jsonb not null default '{}',
  created_at timestamptz not null default clock_timestamp()
);

-- Read by task (a step's trail is part of its task's); one index to keep per row written.
create index transitions_task_idx on tasker.transitions (task_uuid, id);

-- One row per dispatched attempt, keyed by the event_id its result must carry back: the attempt's
-- claim and its outcome in one row.
-- status: dispatched -> completed | timed_out | superseded
create table tasker.step_dispatches (
  event_id uuid primary key,
  step_uuid uuid not null,
  task_uuid uuid not null,
  attempt int not null,
  status text not null default 'dispatched',
  dispatched_at timestamptz not null,
  deadline_at timestamptz not null,
  completed_at timestamptz,
  result_status text,
  -- The attempt's outcome as the audit reads it (tasker.walks): the step's walk when its result
  -- was applied, and the task walk that result caused, if any. Written with the result.
  step_from text,
  step_states text[],
  step_events text[],
  step_reasons text[],
  metadata jsonb,
  task_from text,
  task_states text[],
  task_events text[],
  task_reasons text[]
);

-- Not unique on (step, attempt): an operator's reset_for_retry starts the count again.
create index step_dispatches_task_idx on tasker.step_dispatches (task_uuid);
create index step_dispatches_open_idx on tasker.step_dispatches (deadline_at) where status = 'dispatched';

-- Messages committed with the state change that produced them; deleted once sent.
create table tasker.outbox (
  id bigint generated always as identity primary key,
  kind text not null check (kind in ('step_dispatch', 'retry_due', 'task_lifecycle')),
  namespace text,
  payload jsonb not null,
  available_at timestamptz not null default now(),
  created_at timestamptz not null default now()
);
-- Rows left unsent are the oldest: the sweeper reads them in id order, so no index on created_at.
