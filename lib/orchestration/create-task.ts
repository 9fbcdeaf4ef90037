import type { CreateTaskRequestInput } from '../contracts/create-task-request.js';
import type { TaskState } from '../domain/task-state.js';
import { templateKey } from '../domain/task-template.js';
import { checkTaskRequest, type AcceptedTaskRequest, type TaskRequestRefusal } from './check-task-request.js';
import { deliverOutbox } from './deliver-outbox.js';
import type { OrchestrationDeps } from './orchestration-deps.js';
import { TemplateChangedError, type CreateTaskOutcome } from '../ports/orchestration-store.js';

/** Checks against a template registered again while a request was checked: the first and two more. */
const CHECKS = 3;

export type { CreateTaskErrorCode } from './check-task-request.js';

export type CreateTaskResult =
  | {
      readonly ok: true;
      readonly taskUuid: string;
      readonly created: boolean;
      readonly state: TaskState;
      readonly correlationId: string;
    }
  | TaskRequestRefusal;

/**
 * Creates a task from a registered template and dispatches its root steps — or, with a `run_at` in the future, creates
 * it pending and leaves its root steps to be claimed when due. Bad input is an expected outcome and comes back as a
 * value naming every problem (check-task-request.ts); nothing is written for it.
 *
 * @example
 * ```ts
 * const result = await createTask(deps, { namespace: 'billing', name: 'invoice', context: { account: 'a-1' } });
 * if (result.ok) console.log(result.taskUuid, result.created ? 'new' : 'existed');
 * ```
 */
export async function createTask(deps: OrchestrationDeps, input: CreateTaskRequestInput): Promise<CreateTaskResult> {
  const checked = await checkedAndCreated(deps, input);
  if (!checked.ok) return checked;
  const { request, template, outcome } = checked;
  await deliverOutbox(deps, outcome.outbox);
  deps.logger.info(outcome.created ? 'task created' : 'task already existed', {
    task_uuid: outcome.taskUuid,
    correlation_id: outcome.correlationId,
    template: templateKey(template),
    ...(request.run_at ? { run_at: request.run_at } : {}),
  });
  return {
    ok: true,
    taskUuid: outcome.taskUuid,
    created: outcome.created,
    state: outcome.state,
    correlationId: outcome.correlationId,
  };
}

/**
 * Checks the request and creates the task. When its template was registered again between the check and the write
 * (the store refuses to write from a template it no longer holds), the request is checked again against the template
 * as it is now.
 */
async function checkedAndCreated(
  deps: OrchestrationDeps,
  input: CreateTaskRequestInput,
): Promise<TaskRequestRefusal | (AcceptedTaskRequest & { readonly outcome: CreateTaskOutcome })> {
  for (let check = 1; ; check++) {
    const checked = await checkTaskRequest(deps, input);
    if (!checked.ok) return checked;
    try {
      return { ...checked, outcome: await deps.store.createTask(checked.request, checked.template) };
    } catch (error) {
      if (!(error instanceof TemplateChangedError) || check >= CHECKS) throw error;
      deps.logger.info('template registered again while the request was checked; checking it again', {
        template: templateKey(checked.template),
      });
    }
  }
}
