-- Orchestration state: templates, tasks, steps, edges, audit transitions, dispatch records, outbox.
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

create table tasker.tasks (
  task_uuid uuid primary key,
  named_task_id bigint not null references tasker.named_tasks,
  state text not null default 'pending',
  context jsonb not null,
  identity_strategy text not null,
  identity_hash text not null unique,
  correlation_id uuid not null,
  priority int not null default 0,
  initiator text,
  reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  completed_at timestamptz
);

create index tasks_state_idx on tasker.tasks (state);
create index tasks_correlation_idx on tasker.tasks (correlation_id);

create table tasker.workflow_steps (
  step_uuid uuid primary key,
  task_uuid uuid not null references tasker.tasks on delete cascade,
  name text not null,
  ordinal int not null,
  -- The worker pool's namespace when it is not the task's (a mixed DAG); null: the task's.
  namespace text,
  handler_callable text not null,
  -- The handler's initialization config for this step (tasker-core's step inputs).
  inputs jsonb not null default '{}',
  state text not null default 'pending',
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
  updated_at timestamptz not null default now(),
  unique (task_uuid, name)
);

create index workflow_steps_task_idx on tasker.workflow_steps (task_uuid, ordinal);
create index workflow_steps_retry_idx on tasker.workflow_steps (next_attempt_at) where state = 'waiting_for_retry';

create table tasker.workflow_step_edges (
  from_step_uuid uuid not null references tasker.workflow_steps on delete cascade,
  to_step_uuid uuid not null references tasker.workflow_steps on delete cascade,
  primary key (from_step_uuid, to_step_uuid)
);

create index workflow_step_edges_to_idx on tasker.workflow_step_edges (to_step_uuid);

create table tasker.task_transitions (
  id bigint generated always as identity primary key,
  task_uuid uuid not null references tasker.tasks on delete cascade,
  from_state text,
  to_state text not null,
  event text,
  reason text,
  metadata jsonb not null default '{}',
  sort_key int not null,
  most_recent boolean not null default true,
  created_at timestamptz not null default clock_timestamp(),
  unique (task_uuid, sort_key)
);

create unique index task_transitions_most_recent_idx on tasker.task_transitions (task_uuid) where most_recent;

create table tasker.workflow_step_transitions (
  id bigint generated always as identity primary key,
  step_uuid uuid not null references tasker.workflow_steps on delete cascade,
  from_state text,
  to_state text not null,
  event text,
  reason text,
  metadata jsonb not null default '{}',
  sort_key int not null,
  most_recent boolean not null default true,
  created_at timestamptz not null default clock_timestamp(),
  unique (step_uuid, sort_key)
);

create unique index workflow_step_transitions_most_recent_idx on tasker.workflow_step_transitions (step_uuid) where most_recent;

-- One row per dispatched attempt, keyed by the event_id its result must carry back.
-- status: dispatched -> completed | timed_out | superseded
create table tasker.step_dispatches (
  event_id uuid primary key,
  step_uuid uuid not null references tasker.workflow_steps on delete cascade,
  task_uuid uuid not null references tasker.tasks on delete cascade,
  attempt int not null,
  status text not null default 'dispatched',
  dispatched_at timestamptz not null,
  deadline_at timestamptz not null,
  completed_at timestamptz,
  result_status text
);

-- Not unique on (step, attempt): an operator's reset_for_retry starts the count again.
create index step_dispatches_step_idx on tasker.step_dispatches (step_uuid);

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

create index outbox_created_idx on tasker.outbox (created_at);
