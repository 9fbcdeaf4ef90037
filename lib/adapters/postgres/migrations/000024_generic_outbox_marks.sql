-- re-creates: tasker.generic_plan_operations() (000023's, and mark_outbox_sent)
--
-- Marking outbox rows sent (mark_outbox_sent: one delete by id = any($1)) runs with its generic plan only. Under the
-- default (auto), PL/pgSQL planned the delete again at every call: a custom plan for a short array of ids is estimated
-- cheaper than the generic one (a bitmap scan of outbox_pkey for an array of unknown length), so the cached generic
-- plan was never chosen. That planning was 3.6% of a backend's CPU running one-step tasks one at a time (perf,
-- 2,700 samples; 0 samples in the planner once the plan was generic), and every step pays it: the completion
-- function's marks, the dispatcher's, and the marks that ride on the next apply or create in a long-lived process.
-- The generic plan looks the ids up in outbox_pkey whatever their number (test/integration/postgres/runtime-role.test.ts).

create or replace function tasker.generic_plan_operations() returns text[] language sql immutable as $$
  select array['claim_steps_locked', 'release_children', 'mark_outbox_sent']
$$;

select tasker.grant_runtime_access();
