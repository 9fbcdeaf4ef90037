-- re-creates: tasker.runtime_operations() (000018's: adds template_entry and template_id_if, drops find_template),
--             tasker.template_id(text, text, text) (000020's: the same row, through template_row)
-- drops: tasker.find_template(text, text, text) (000020's; template_entry answers the same lookup with its revision)
--
-- A process keeps the templates it has looked up (lib/adapters/postgres/template-cache.ts), so creating a task costs no
-- lookup of its own. What it kept is checked where the task is written: template_entry gives a template with its
-- revision (its row's id and updated_at, which register_template moves at every registration), and create_task's call
-- takes its template id from template_id_if, which answers only while the same lookup still finds that revision. A
-- template registered again (or a newer version, for a lookup without one) between the check and the write makes the
-- call return no row: the caller looks the template up again and checks the request against it.

-- The row of the template a lookup finds: the version asked for, or without one the newest. The one place the rule is
-- written; a SQL function of one SELECT, inlined where it is called in a FROM.
create or replace function tasker.template_row(p_namespace text, p_name text, p_version text)
returns setof tasker.named_tasks language sql stable as $$
  select nt.* from tasker.named_tasks nt join tasker.namespaces ns using (namespace_id)
   where ns.name = p_namespace and nt.name = p_name and (p_version is null or nt.version = p_version)
   order by nt.version_sort desc limit 1
$$;

create or replace function tasker.template_id(p_namespace text, p_name text, p_version text default null)
returns bigint language plpgsql stable as $$
begin
  return (select nt.named_task_id from tasker.template_row(p_namespace, p_name, p_version) nt);
end $$;

-- {template, named_task_id, revision} of the template a lookup finds, or null.
create or replace function tasker.template_entry(p_namespace text, p_name text, p_version text default null)
returns jsonb language plpgsql stable as $$
begin
  return (select jsonb_build_object('template', nt.template, 'named_task_id', nt.named_task_id::text, 'revision', nt.updated_at)
            from tasker.template_row(p_namespace, p_name, p_version) nt);
end $$;

-- template_id's answer while it is still the given revision; null once the template was registered again or another
-- version is now the one the lookup finds.
create or replace function tasker.template_id_if(p_namespace text, p_name text, p_version text,
                                                 p_named_task_id bigint, p_revision timestamptz)
returns bigint language plpgsql stable as $$
begin
  return (select nt.named_task_id from tasker.template_row(p_namespace, p_name, p_version) nt
           where nt.named_task_id = p_named_task_id and nt.updated_at = p_revision);
end $$;

create or replace function tasker.runtime_operations() returns text[] language sql immutable as $$
  select array['apply_step_result', 'apply_step_results', 'evaluate_task_now', 'mark_outbox_sent', 'unsent_outbox', 'find_timed_out_dispatches', 'claim_due_retries', 'fail_blocked_tasks', 'mark_attempts_started', 'expire_waits',
               'create_task', 'cancel_task', 'step_action', 'template_id', 'task_row', 'task_steps', 'task_transitions', 'list_tasks',
               'signal_target', 'signal_step', 'create_tasks', 'template_entry', 'template_id_if']
$$;

drop function tasker.find_template(text, text, text);

select tasker.grant_runtime_access();
