-- Generated from lib/domain by lib/adapters/postgres/state-machine-sql.ts: do not edit by hand.
-- The state machines as the domain holds them now: the rule tables' rows replaced, the functions re-created.

delete from tasker.task_transition_rules;

insert into tasker.task_transition_rules (from_state, event, to_state) values
  ('pending', 'start', 'initializing'),
  ('initializing', 'initialize_failed', 'error'),
  ('initializing', 'enqueue_steps', 'enqueuing_steps'),
  ('evaluating_results', 'enqueue_steps', 'enqueuing_steps'),
  ('waiting_for_dependencies', 'enqueue_steps', 'enqueuing_steps'),
  ('waiting_for_retry', 'enqueue_steps', 'enqueuing_steps'),
  ('blocked_by_failures', 'enqueue_steps', 'enqueuing_steps'),
  ('enqueuing_steps', 'steps_enqueued', 'steps_in_process'),
  ('steps_in_process', 'evaluate_results', 'evaluating_results'),
  ('waiting_for_retry', 'evaluate_results', 'evaluating_results'),
  ('waiting_for_dependencies', 'evaluate_results', 'evaluating_results'),
  ('blocked_by_failures', 'evaluate_results', 'evaluating_results'),
  ('evaluating_results', 'wait_for_dependencies', 'waiting_for_dependencies'),
  ('evaluating_results', 'wait_for_retry', 'waiting_for_retry'),
  ('evaluating_results', 'block_by_failures', 'blocked_by_failures'),
  ('evaluating_results', 'complete', 'complete'),
  ('blocked_by_failures', 'fail', 'error'),
  ('pending', 'cancel', 'cancelled'),
  ('initializing', 'cancel', 'cancelled'),
  ('enqueuing_steps', 'cancel', 'cancelled'),
  ('steps_in_process', 'cancel', 'cancelled'),
  ('evaluating_results', 'cancel', 'cancelled'),
  ('waiting_for_dependencies', 'cancel', 'cancelled'),
  ('waiting_for_retry', 'cancel', 'cancelled'),
  ('blocked_by_failures', 'cancel', 'cancelled'),
  ('blocked_by_failures', 'resolve_manually', 'resolved_manually'),
  ('error', 'resolve_manually', 'resolved_manually'),
  ('error', 'reopen', 'blocked_by_failures');

delete from tasker.step_transition_rules;

insert into tasker.step_transition_rules (from_state, event, to_state) values
  ('pending', 'enqueue', 'enqueued'),
  ('waiting_for_retry', 'enqueue', 'enqueued'),
  ('enqueued', 'start', 'in_progress'),
  ('in_progress', 'enqueue_for_orchestration', 'enqueued_for_orchestration'),
  ('enqueued', 'enqueue_as_error_for_orchestration', 'enqueued_as_error_for_orchestration'),
  ('in_progress', 'enqueue_as_error_for_orchestration', 'enqueued_as_error_for_orchestration'),
  ('enqueued_for_orchestration', 'complete', 'complete'),
  ('enqueued_as_error_for_orchestration', 'wait_for_retry', 'waiting_for_retry'),
  ('enqueued_as_error_for_orchestration', 'fail', 'error'),
  ('pending', 'cancel', 'cancelled'),
  ('enqueued', 'cancel', 'cancelled'),
  ('in_progress', 'cancel', 'cancelled'),
  ('enqueued_for_orchestration', 'cancel', 'cancelled'),
  ('enqueued_as_error_for_orchestration', 'cancel', 'cancelled'),
  ('waiting_for_retry', 'cancel', 'cancelled'),
  ('pending', 'resolve_manually', 'resolved_manually'),
  ('enqueued', 'resolve_manually', 'resolved_manually'),
  ('in_progress', 'resolve_manually', 'resolved_manually'),
  ('waiting_for_retry', 'resolve_manually', 'resolved_manually'),
  ('error', 'resolve_manually', 'resolved_manually'),
  ('pending', 'complete_manually', 'complete'),
  ('enqueued', 'complete_manually', 'complete'),
  ('in_progress', 'complete_manually', 'complete'),
  ('waiting_for_retry', 'complete_manually', 'complete'),
  ('error', 'complete_manually', 'complete'),
  ('error', 'reset_for_retry', 'pending'),
  ('cancelled', 'reset_for_retry', 'pending'),
  ('pending', 'skip', 'skipped');

-- The state an event moves an entity to, or null when the event is not allowed from p_from.
create or replace function tasker.task_next(p_from text, p_event text) returns text language sql immutable parallel safe as $$
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
$$;

create or replace function tasker.step_next(p_from text, p_event text) returns text language sql immutable parallel safe as $$
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
    when 'pending skip' then 'skipped'
  end
$$;

-- The events that move a task from p_from to the state an execution status asks for.
create or replace function tasker.task_path(p_from text, p_status text) returns text[] language sql immutable parallel safe as $$
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
$$;

-- The per-task counter a step state counts in (in_flight, waiting, completed, failed, idle).
create or replace function tasker.step_bucket(p_state text) returns text language sql immutable parallel safe as $$
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
    when 'skipped' then 'completed'
  end
$$;

create or replace function tasker.task_is_terminal(p_state text) returns boolean language sql immutable parallel safe as $$
  select p_state = any('{complete,error,cancelled,resolved_manually}'::text[])
$$;
