/**
 * The store's reads. Each is a SQL function (migrations/000015_operator_api.sql), so the runtime login, which holds no
 * privilege on any table, reads through them as it writes through the others.
 */

export const TEMPLATE_LOOKUP = 'select tasker.find_template($1, $2, $3) as template';

export const TASK_BY_UUID = 'select * from tasker.task_row($1)';

export const STEPS_OF_TASK = 'select * from tasker.task_steps($1)';

/**
 * A task's audit trail, one row per event, in the order it happened (tasker.walks: the walks
 * written, and those derived from the task's, its steps' and its dispatches' rows); within one
 * walk row, the step's events come before the task events they caused.
 */
export const TRANSITIONS_OF_TASK = 'select * from tasker.task_transitions($1)';

/** A page of tasks, newest first (tasker.list_tasks). */
export const LIST_TASKS = 'select * from tasker.list_tasks($1, $2, $3, $4, $5, $6, $7, $8)';
