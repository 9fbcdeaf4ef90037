-- re-creates: tasker.create_tasks(jsonb) (000018_delayed_start.sql's): a request may name the template revision it was
--   checked against (named_task_id, revision), as create_task's kept-template call does through template_id_if
--
-- A long-lived process groups the task creations that arrive while others are in flight into one create_tasks call:
-- one transaction, one commit and one round trip for the group instead of one each (issue 12; GroupedCalls,
-- lib/adapters/postgres/grouped-calls.ts). Those requests were checked against templates the store keeps, so each must
-- be written only while its template is still the revision it was read at, or not at all: its element is then null,
-- as for a template not registered, and the store tells the two apart (it knows which requests named a revision).
-- A request without a revision (the ingress path) finds its template by namespace, name and version as before
-- (template_id: the exact version when one is given, the newest without). Elements come back in request order.

-- As in 000018_delayed_start.sql, with the template found by template_id / template_id_if.
create or replace function tasker.create_tasks(p_requests jsonb) returns jsonb language plpgsql as $$
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
end $$;

select tasker.grant_runtime_access();
