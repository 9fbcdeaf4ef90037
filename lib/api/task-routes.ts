import { listTasksQuery, operatorActionRequest } from '../contracts/api-requests.js';
import type { TaskCreatedResponse } from '../contracts/api-responses.js';
import type { CreateTaskRequestInput } from '../contracts/create-task-request.js';
import { createTask, type CreateTaskErrorCode } from '../orchestration/create-task.js';
import { cancelTask } from '../orchestration/operator-actions.js';
import type { TaskView } from '../ports/orchestration-store.js';
import { ok, parseInput, refuse, type ApiResponse, type RouteCall } from './api-call.js';
import { decodeTaskCursor, encodeTaskCursor } from './task-cursor.js';
import { taskDetail, taskListItem } from './task-views.js';

/** The status of each refusal of task creation; any other is 400. */
const CREATE_REFUSAL_STATUS: Partial<Record<CreateTaskErrorCode, number>> = {
  unknown_template: 404,
  no_worker_pool: 503,
};

/** `POST /tasks`: the create-task use case; the initiator is the caller unless the request names one. */
export async function createTaskRoute({ deps, body, actor }: RouteCall): Promise<ApiResponse> {
  const request = isObject(body) ? { initiator: actor.slice(0, 255), ...body } : body;
  const result = await createTask(deps.orchestration, request as CreateTaskRequestInput);
  if (!result.ok)
    return refuse(CREATE_REFUSAL_STATUS[result.code] ?? 400, result.code, result.message, result.problems);
  const created: TaskCreatedResponse = {
    task_uuid: result.taskUuid,
    state: result.state,
    created: result.created,
    correlation_id: result.correlationId,
  };
  return ok(created, result.created ? 201 : 200);
}

/** `GET /tasks/{task_uuid}`: the task, its steps and its transitions. */
export async function getTaskRoute({ deps, params }: RouteCall): Promise<ApiResponse> {
  const found = await findTask(deps.orchestration.store, params.task_uuid!);
  if (!found.ok) return found.response;
  return ok(taskDetail(found.task, await deps.orchestration.store.transitions(found.task.taskUuid)));
}

/** `GET /tasks`: a page of tasks, newest first, with the cursor of the next. */
export async function listTasksRoute({ deps, query }: RouteCall): Promise<ApiResponse> {
  const parsed = parseInput(listTasksQuery, query, 'query');
  if (!parsed.ok) return parsed.response;
  const q = parsed.value;
  const after = q.cursor === undefined ? undefined : decodeTaskCursor(q.cursor);
  if (after === null)
    return refuse(400, 'invalid_cursor', 'the cursor is not one this API returned', ['cursor: not a next_cursor']);
  const page = await deps.orchestration.store.listTasks({
    ...(q.namespace ? { namespace: q.namespace } : {}),
    ...(q.name ? { name: q.name } : {}),
    ...(q.state ? { state: q.state } : {}),
    ...(q.created_from ? { createdFrom: new Date(q.created_from) } : {}),
    ...(q.created_to ? { createdTo: new Date(q.created_to) } : {}),
    ...(after ? { after } : {}),
    limit: q.limit,
  });
  const last = page.tasks.at(-1);
  return ok({ tasks: page.tasks.map(taskListItem), next_cursor: page.more && last ? encodeTaskCursor(last) : null });
}

/** `POST /tasks/{task_uuid}/cancel` with `{reason}`. */
export async function cancelTaskRoute({ deps, params, body, actor }: RouteCall): Promise<ApiResponse> {
  const parsed = parseInput(operatorActionRequest, body, 'request');
  if (!parsed.ok) return parsed.response;
  const found = await findTask(deps.orchestration.store, params.task_uuid!);
  if (!found.ok) return found.response;
  const { reason } = parsed.value;
  const outcome = await cancelTask(deps.orchestration, found.task.taskUuid, reason, actor);
  if (!outcome.ok) return refuse(409, 'invalid_transition', outcome.reason);
  return ok({ task_uuid: found.task.taskUuid, step_name: null, action: 'cancel', actor, reason });
}

/** The task, or the 404 that says there is none. */
export async function findTask(
  store: RouteCall['deps']['orchestration']['store'],
  taskUuid: string,
): Promise<{ ok: true; task: TaskView } | { ok: false; response: ApiResponse }> {
  const task = await store.getTask(taskUuid);
  return task ? { ok: true, task } : { ok: false, response: refuse(404, 'unknown_task', `no task ${taskUuid}`) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
