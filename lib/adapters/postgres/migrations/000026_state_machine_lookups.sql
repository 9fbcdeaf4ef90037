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
  select '{"pending start":"initializing","initializing initialize_failed":"error","initializing enqueue_steps":"enqueuing_steps","evaluating_results enqueue_steps":"enqueuing_steps","waiting_for_dependencies enqueue_steps":"enqueuing_steps","waiting_for_retry enqueue_steps":"enqueuing_steps","blocked_by_failures enqueue_steps":"enqueuing_steps","enqueuing_steps steps_enqueued":"steps_in_process","steps_in_process evaluate_results":"evaluating_results","waiting_for_retry evaluate_results":"evaluating_results","waiting_for_dependencies evaluate_results":"evaluating_results","blocked_by_failures evaluate_results":"evaluating_results","evaluating_results wait_for_dependencies":"waiting_for_dependencies","evaluating_results wait_for_retry":"waiting_for_retry","evaluating_results block_by_failures":"blocked_by_failures","evaluating_results complete":"complete","blocked_by_failures fail":"error","pending cancel":"cancelled","initializing cancel":"cancelled","enqueuing_steps cancel":"cancelled","steps_in_process cancel":"cancelled","evaluating_results cancel":"cancelled","waiting_for_dependencies cancel":"cancelled","waiting_for_retry cancel":"cancelled","blocked_by_failures cancel":"cancelled","blocked_by_failures resolve_manually":"resolved_manually","error resolve_manually":"resolved_manually","error reopen":"blocked_by_failures"}'::jsonb ->> (p_from || ' ' || p_event)
$$;

create or replace function tasker.step_next(p_from text, p_event text) returns text language sql immutable parallel safe as $$
  select '{"pending enqueue":"enqueued","waiting_for_retry enqueue":"enqueued","enqueued start":"in_progress","in_progress enqueue_for_orchestration":"enqueued_for_orchestration","enqueued enqueue_as_error_for_orchestration":"enqueued_as_error_for_orchestration","in_progress enqueue_as_error_for_orchestration":"enqueued_as_error_for_orchestration","enqueued_for_orchestration complete":"complete","enqueued_as_error_for_orchestration wait_for_retry":"waiting_for_retry","enqueued_as_error_for_orchestration fail":"error","pending cancel":"cancelled","enqueued cancel":"cancelled","in_progress cancel":"cancelled","enqueued_for_orchestration cancel":"cancelled","enqueued_as_error_for_orchestration cancel":"cancelled","waiting_for_retry cancel":"cancelled","pending resolve_manually":"resolved_manually","enqueued resolve_manually":"resolved_manually","in_progress resolve_manually":"resolved_manually","waiting_for_retry resolve_manually":"resolved_manually","error resolve_manually":"resolved_manually","pending complete_manually":"complete","enqueued complete_manually":"complete","in_progress complete_manually":"complete","waiting_for_retry complete_manually":"complete","error complete_manually":"complete","error reset_for_retry":"pending","cancelled reset_for_retry":"pending","pending skip":"skipped"}'::jsonb ->> (p_from || ' ' || p_event)
$$;

-- The events that move a task from p_from to the state an execution status asks for.
create or replace function tasker.task_path(p_from text, p_status text) returns text[] language sql immutable parallel safe as $$
  select string_to_array('{"pending blocked_by_failures":"start,enqueue_steps,steps_enqueued,evaluate_results,block_by_failures","pending has_ready_steps":"start,enqueue_steps,steps_enqueued","pending processing":"start,enqueue_steps,steps_enqueued","pending waiting_for_retry":"start,enqueue_steps,steps_enqueued,evaluate_results,wait_for_retry","pending all_complete":"start,enqueue_steps,steps_enqueued,evaluate_results,complete","pending waiting_for_dependencies":"start,enqueue_steps,steps_enqueued,evaluate_results,wait_for_dependencies","initializing blocked_by_failures":"enqueue_steps,steps_enqueued,evaluate_results,block_by_failures","initializing has_ready_steps":"enqueue_steps,steps_enqueued","initializing processing":"enqueue_steps,steps_enqueued","initializing waiting_for_retry":"enqueue_steps,steps_enqueued,evaluate_results,wait_for_retry","initializing all_complete":"enqueue_steps,steps_enqueued,evaluate_results,complete","initializing waiting_for_dependencies":"enqueue_steps,steps_enqueued,evaluate_results,wait_for_dependencies","enqueuing_steps blocked_by_failures":"steps_enqueued,evaluate_results,block_by_failures","enqueuing_steps has_ready_steps":"steps_enqueued","enqueuing_steps processing":"steps_enqueued","enqueuing_steps waiting_for_retry":"steps_enqueued,evaluate_results,wait_for_retry","enqueuing_steps all_complete":"steps_enqueued,evaluate_results,complete","enqueuing_steps waiting_for_dependencies":"steps_enqueued,evaluate_results,wait_for_dependencies","steps_in_process blocked_by_failures":"evaluate_results,block_by_failures","steps_in_process has_ready_steps":"","steps_in_process processing":"","steps_in_process waiting_for_retry":"evaluate_results,wait_for_retry","steps_in_process all_complete":"evaluate_results,complete","steps_in_process waiting_for_dependencies":"evaluate_results,wait_for_dependencies","evaluating_results blocked_by_failures":"block_by_failures","evaluating_results has_ready_steps":"enqueue_steps,steps_enqueued","evaluating_results processing":"enqueue_steps,steps_enqueued","evaluating_results waiting_for_retry":"wait_for_retry","evaluating_results all_complete":"complete","evaluating_results waiting_for_dependencies":"wait_for_dependencies","waiting_for_dependencies blocked_by_failures":"evaluate_results,block_by_failures","waiting_for_dependencies has_ready_steps":"enqueue_steps,steps_enqueued","waiting_for_dependencies processing":"enqueue_steps,steps_enqueued","waiting_for_dependencies waiting_for_retry":"evaluate_results,wait_for_retry","waiting_for_dependencies all_complete":"evaluate_results,complete","waiting_for_dependencies waiting_for_dependencies":"","waiting_for_retry blocked_by_failures":"evaluate_results,block_by_failures","waiting_for_retry has_ready_steps":"enqueue_steps,steps_enqueued","waiting_for_retry processing":"enqueue_steps,steps_enqueued","waiting_for_retry waiting_for_retry":"","waiting_for_retry all_complete":"evaluate_results,complete","waiting_for_retry waiting_for_dependencies":"evaluate_results,wait_for_dependencies","blocked_by_failures blocked_by_failures":"","blocked_by_failures has_ready_steps":"enqueue_steps,steps_enqueued","blocked_by_failures processing":"enqueue_steps,steps_enqueued","blocked_by_failures waiting_for_retry":"evaluate_results,wait_for_retry","blocked_by_failures all_complete":"evaluate_results,complete","blocked_by_failures waiting_for_dependencies":"evaluate_results,wait_for_dependencies"}'::jsonb ->> (p_from || ' ' || p_status), ',')
$$;

-- The per-task counter a step state counts in (in_flight, waiting, completed, failed, idle).
create or replace function tasker.step_bucket(p_state text) returns text language sql immutable parallel safe as $$
  select '{"pending":"idle","enqueued":"in_flight","in_progress":"in_flight","enqueued_for_orchestration":"in_flight","enqueued_as_error_for_orchestration":"in_flight","waiting_for_retry":"waiting","complete":"completed","error":"failed","cancelled":"idle","resolved_manually":"completed","skipped":"completed"}'::jsonb ->> (p_state)
$$;

create or replace function tasker.task_is_terminal(p_state text) returns boolean language sql immutable parallel safe as $$
  select p_state = any('{complete,error,cancelled,resolved_manually}'::text[])
$$;
