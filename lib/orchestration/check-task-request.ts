import {
  createTaskRequest,
  type CreateTaskRequest,
  type CreateTaskRequestInput,
} from '../contracts/create-task-request.js';
import { formatIssues } from '../contracts/format-issues.js';
import { compileValidator } from '../contracts/json-schema.js';
import { byteLength } from '../contracts/schema-version.js';
import { stepNamespaces, templateKey, type TaskTemplate } from '../domain/task-template.js';
import type { OrchestrationStore } from '../ports/orchestration-store.js';
import { limitsOf, type OrchestrationDeps } from './orchestration-deps.js';
import { unstorableRequest } from './storable-request.js';

export type CreateTaskErrorCode =
  | 'invalid_request'
  | 'unknown_template'
  | 'invalid_context'
  | 'context_too_large'
  | 'no_worker_pool';

/** Why a task request is refused; nothing is written for it. */
export interface TaskRequestRefusal {
  readonly ok: false;
  readonly code: CreateTaskErrorCode;
  readonly message: string;
  readonly problems: readonly string[];
}

/** A request that may be created: parsed, with the template it was checked against. */
export interface AcceptedTaskRequest {
  readonly ok: true;
  readonly request: CreateTaskRequest;
  readonly template: TaskTemplate;
}

/** How templates are found: the store's lookup, or a batch's memo of it (see {@link templateMemo}). */
export type TemplateLookup = OrchestrationStore['findTemplate'];

/**
 * Checks a task request before anything is written: its shape, whether it can be stored, its template, the context's
 * size, that every namespace of the template's steps has a worker pool, and the context against the template's
 * `input_schema`. A refusal names every problem.
 *
 * @example
 * ```ts
 * const checked = await checkTaskRequest(deps, { namespace: 'billing', name: 'invoice', context: {} });
 * if (!checked.ok) console.log(checked.code, checked.problems);
 * ```
 */
export async function checkTaskRequest(
  deps: OrchestrationDeps,
  input: CreateTaskRequestInput,
  findTemplate: TemplateLookup = (...args) => deps.store.findTemplate(...args),
): Promise<AcceptedTaskRequest | TaskRequestRefusal> {
  const parsed = createTaskRequest.safeParse(input);
  if (!parsed.success)
    return refuse('invalid_request', 'the task request is invalid', formatIssues(parsed.error.issues));
  const request = parsed.data;
  const unstorable = unstorableRequest(request);
  if (unstorable) return refuse(unstorable.code, unstorable.message, unstorable.problems);
  const template = await findTemplate(request.namespace, request.name, request.version);
  if (!template)
    return refuse(
      'unknown_template',
      `no template ${request.namespace}/${request.name}${request.version ? `@${request.version}` : ''} is registered`,
      [],
    );
  return checkContext(deps, template, request.context) ?? { ok: true, request, template };
}

/**
 * The store's template lookup, each template looked up once however many requests of a batch name it.
 *
 * @example
 * ```ts
 * const find = templateMemo(deps.store);
 * await Promise.all(requests.map((r) => checkTaskRequest(deps, r, find)));
 * ```
 */
export function templateMemo(store: OrchestrationStore): TemplateLookup {
  const found = new Map<string, Promise<TaskTemplate | null>>();
  return (namespace, name, version) => {
    const key = JSON.stringify([namespace, name, version ?? null]);
    let template = found.get(key);
    if (template === undefined) {
      template = store.findTemplate(namespace, name, version);
      found.set(key, template);
    }
    return template;
  };
}

function checkContext(
  deps: OrchestrationDeps,
  template: TaskTemplate,
  context: Record<string, unknown>,
): TaskRequestRefusal | null {
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

function refuse(code: CreateTaskErrorCode, message: string, problems: readonly string[]): TaskRequestRefusal {
  return { ok: false, code, message, problems };
}
