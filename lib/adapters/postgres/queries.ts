/** Read-only queries the store runs directly; everything that writes is a SQL function in migrations/. */

/** A template with its revision (tasker.template_entry, 000022), which the runtime login may call (it reads no table). */
export const TEMPLATE_ENTRY = 'select tasker.template_entry($1, $2, $3) as e';

/**
 * The store's reads, each one call of a SQL function of 000017_operator_api.sql (SECURITY DEFINER): the same statements
 * serve the owner and the runtime login, which holds no privilege on any table (the API and ingress functions).
 */

/** A task (a row even without the step) and its step by name, with the step's signal_schema from its template. */
export const SIGNAL_TARGET = 'select * from tasker.signal_target($1, $2)';

/**
 * The FROM of create_task's call: one row with the template's `named_task_id` that `lookup` gives, none when it gives
 * null. (`offset 0` keeps the subquery whole: flattened, the lookup ran twice, once for the WHERE and once for the call.)
 */
const fromTemplateId = (lookup: string): string =>
  `(select ${lookup} as named_task_id offset 0) nt where nt.named_task_id is not null`;

/** Any registration of the template ($1-$3: namespace, name, version); none when it is not registered. */
export const TEMPLATE_ID = fromTemplateId('tasker.template_id($1, $2, $3)');

/** The same, only while the template is still the revision a process read it at: its id in `$n`, its updated_at in `$n+1`. */
export const templateIdIf = (n: number): string =>
  fromTemplateId(`tasker.template_id_if($1, $2, $3, $${n}::bigint, $${n + 1}::timestamptz)`);

export const TASK_BY_UUID = 'select * from tasker.task_row($1)';

/** A task's steps in template order, with their dependencies' names, a wait's deadline and a batch instance's place. */
export const STEPS_OF_TASK = 'select * from tasker.task_steps($1)';

/**
 * A task's audit trail, one row per event, in the order it happened (tasker.walks: the walks written, and those
 * derived from the task's, its steps' and its dispatches' rows); within one walk row, the step's events come before
 * the task events they caused.
 */
export const TRANSITIONS_OF_TASK = 'select * from tasker.task_transitions($1)';

/** A page of tasks, newest first (tasker.list_tasks). */
export const LIST_TASKS = 'select * from tasker.list_tasks($1, $2, $3, $4, $5, $6, $7, $8)';
