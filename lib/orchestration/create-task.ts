import { createTaskRequest, type CreateTaskRequestInput } from '../contracts/create-task-request.js';
import { formatIssues } from '../contracts/format-issues.js';
import { compileValidator } from '../contracts/json-schema.js';
import { byteLength } from '../contracts/schema-version.js';
import type { TaskState } from '../domain/task-state.js';
import { stepNamespaces, templateKey, type TaskTemplate } from '../domain/task-template.js';
import { deliverOutbox } from './deliver-outbox.js';
import { limitsOf, type OrchestrationDeps } from './orchestration-deps.js';
import { unstorableRequest } from './storable-request.js';

export type CreateTaskErrorCode =
  | 'invalid_request'
  | 'unknown_template'
  | 'invalid_context'
  | 'context_too_large'
  | 'no_worker_pool';

export type CreateTaskResult =
  | {
      readonly ok: true;
      readonly taskUuid: string;
      readonly created: boolean;
      readonly state: TaskState;
      readonly correlationId: string;
    }
  | {
      readonly ok: false;
      readonly code: CreateTaskErrorCode;
      readonly message: string;
      readonly problems: readonly string[];
    };

/**
 * Creates a task from a registered template and dispatches its root steps. Bad input is an
 * expected outcome and comes back as a value naming every problem; nothing is written for it.
 */
export async function createTask(deps: OrchestrationDeps, input: CreateTaskRequestInput): Promise<CreateTaskResult> {
  const parsed = createTaskRequest.safeParse(input);
  if (!parsed.success)
    return refuse('invalid_request', 'the task request is invalid', formatIssues(parsed.error.issues));
  const request = parsed.data;
  const unstorable = unstorableRequest(request);
  if (unstorable) return refuse(unstorable.code, unstorable.message, unstorable.problems);
  const template = await deps.store.findTemplate(request.namespace, request.name, request.version);
  if (!template)
    return refuse(
      'unknown_template',
      `no template ${request.namespace}/${request.name}${request.version ? `@${request.version}` : ''} is registered`,
      [],
    );
  const refusal = checkContext(deps, template, request.context);
  if (refusal) return refusal;
  const outcome = await deps.store.createTask(request, template);
  await deliverOutbox(deps, outcome.outbox);
  deps.logger.info(outcome.created ? 'task created' : 'task already existed', {
    task_uuid: outcome.taskUuid,
    correlation_id: outcome.correlationId,
    template: templateKey(template),
  });
  return {
    ok: true,
    taskUuid: outcome.taskUuid,
    created: outcome.created,
    state: outcome.state,
    correlationId: outcome.correlationId,
  };
}

function checkContext(
  deps: OrchestrationDeps,
  template: TaskTemplate,
  context: Record<string, unknown>,
): CreateTaskResult | null {
  const size = byteLength(context);
  const max = limitsOf(deps).maxContextBytes;
  if (size > max)
    return refuse(
      'context_too_large',
      `the task context is ${size} bytes; the limit is ${max} (it travels in every dispatch message)`,
      [],
    );
  const unrouted = stepNamespaces(template).filter((ns) => !deps.routing.dispatchQueueFor(ns));
  if (unrouted.length > 0)
    return refuse(
      'no_worker_pool',
      `namespace ${unrouted.map((ns) => `'${ns}'`).join(', ')} has no worker pool (dispatch queue) configured`,
      unrouted.map((ns) => `no dispatch queue for namespace '${ns}'`),
    );
  if (!template.inputSchema) return null;
  const verdict = compileValidator(template.inputSchema)(context);
  return verdict.ok
    ? null
    : refuse(
        'invalid_context',
        `the context does not match the input_schema of ${templateKey(template)}`,
        verdict.problems,
      );
}

function refuse(code: CreateTaskErrorCode, message: string, problems: readonly string[]): CreateTaskResult {
  return { ok: false, code, message, problems };
}
