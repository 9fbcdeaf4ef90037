import type { ApiResponse, RouteCall } from './api-call.js';
import {
  listDeadLettersRoute,
  peekDeadLettersRoute,
  redriveDeadLettersRoute,
  redriveEventsRoute,
} from './queue-routes.js';
import { signalStepRoute } from './signal-route.js';
import { completeStepRoute, resolveStepRoute, retryStepRoute } from './step-routes.js';
import { cancelTaskRoute, createTaskRoute, getTaskRoute, listTasksRoute } from './task-routes.js';

export type HttpMethod = 'GET' | 'POST';

/**
 * One route of the API. `path` names its parameters in braces; `{task_uuid}` must be a UUID (else 400 before the
 * handler runs). `operator`: the route changes state on an operator's say-so, and its body carries a required `reason`.
 */
export interface ApiRoute {
  readonly method: HttpMethod;
  readonly path: string;
  readonly summary: string;
  readonly operator?: boolean;
  readonly handle: (call: RouteCall) => Promise<ApiResponse>;
}

/**
 * The API: served by the API function (a Lambda function URL with AWS_IAM) and by `tasker dev` (its token). Adding a
 * route is one entry here.
 *
 * @example
 * ```ts
 * const signal: ApiRoute = { method: 'POST', path: '/tasks/{task_uuid}/steps/{step_name}/signal', summary: '…', handle };
 * ```
 */
export const API_ROUTES: readonly ApiRoute[] = [
  { method: 'POST', path: '/tasks', summary: 'create a task (a CreateTaskRequest)', handle: createTaskRoute },
  {
    method: 'GET',
    path: '/tasks',
    summary: 'list tasks: namespace, name, state, created_from, created_to, limit, cursor',
    handle: listTasksRoute,
  },
  {
    method: 'GET',
    path: '/tasks/{task_uuid}',
    summary: 'a task: state, steps, results, errors, transitions',
    handle: getTaskRoute,
  },
  {
    method: 'POST',
    path: '/tasks/{task_uuid}/cancel',
    summary: 'cancel a task {reason}',
    operator: true,
    handle: cancelTaskRoute,
  },
  {
    method: 'POST',
    path: '/tasks/{task_uuid}/steps/{step_name}/retry',
    summary: 'reset a step for retry {reason}',
    operator: true,
    handle: retryStepRoute,
  },
  {
    method: 'POST',
    path: '/tasks/{task_uuid}/steps/{step_name}/resolve',
    summary: 'resolve a step manually {reason}',
    operator: true,
    handle: resolveStepRoute,
  },
  {
    method: 'POST',
    path: '/tasks/{task_uuid}/steps/{step_name}/complete',
    summary: 'complete a step manually {reason, result}',
    operator: true,
    handle: completeStepRoute,
  },
  {
    method: 'POST',
    path: '/tasks/{task_uuid}/steps/{step_name}/signal',
    summary: 'signal a wait step {payload}: the payload becomes its result',
    handle: signalStepRoute,
  },
  {
    method: 'POST',
    path: '/events/redrive',
    summary: 'publish parked domain events again {max_messages?, include_refused?}',
    operator: true,
    handle: redriveEventsRoute,
  },
  {
    method: 'GET',
    path: '/dead-letters',
    summary: 'the dead-letter and poison queues, with message counts',
    handle: listDeadLettersRoute,
  },
  {
    method: 'GET',
    path: '/dead-letters/{queue}',
    summary: 'messages of a dead-letter queue, left on it {max_messages?}',
    handle: peekDeadLettersRoute,
  },
  {
    method: 'POST',
    path: '/dead-letters/{queue}/redrive',
    summary: 'move messages back to their queue {max_messages?}',
    operator: true,
    handle: redriveDeadLettersRoute,
  },
];
