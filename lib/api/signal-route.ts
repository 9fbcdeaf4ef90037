import { signalStep, type SignalErrorCode, type SignalResult } from '../orchestration/signal-step.js';
import { ok, refuse, type ApiResponse, type RouteCall } from './api-call.js';

/** Signals a wait step (the use case, on whatever deps serve the route). */
export type SignalStep = (taskUuid: string, stepName: string, payload: unknown) => Promise<SignalResult>;

/** The HTTP status of each refusal: the request's fault (4xx), a step in another state (409). */
export const SIGNAL_REFUSAL_STATUS: Readonly<Record<SignalErrorCode, number>> = {
  invalid_request: 400,
  invalid_payload: 422,
  payload_too_large: 413,
  unknown_task: 404,
  unknown_step: 404,
  not_a_wait: 409,
  not_waiting: 409,
  duplicate: 409,
  late: 409,
};

/**
 * `POST /tasks/{task_uuid}/steps/{step_name}/signal` with `{"payload": <any JSON>}` (a route of API_ROUTES): signals
 * a wait step through the use case (lib/orchestration/signal-step.ts). Not an operator action: the signal is the
 * wait's result, sent by whatever the wait waits for.
 */
export const signalStepRoute = ({ deps, params, body }: RouteCall): Promise<ApiResponse> =>
  signalRoute((t, s, p) => signalStep(deps.orchestration, t, s, p), params.task_uuid!, params.step_name!, body);

/**
 * The signal use case and its answer as HTTP, nothing more. 200 with the step's and the task's states; a refusal is
 * `{error, message, problems}` with SIGNAL_REFUSAL_STATUS.
 *
 * @example
 * ```ts
 * await signalRoute(runtime.signalStep, taskUuid, 'approval', { payload: { approved: true } });
 * // { status: 200, body: { task_uuid, step_name: 'approval', step_state: 'complete', task_state: 'steps_in_process' } }
 * ```
 */
export async function signalRoute(
  signal: SignalStep,
  taskUuid: string,
  stepName: string,
  body: unknown,
): Promise<ApiResponse> {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('payload' in body))
    return refuse(400, 'invalid_request', 'the body must be a JSON object {"payload": <the signal payload>}');
  const result = await signal(taskUuid, stepName, (body as { payload: unknown }).payload);
  if (!result.ok) return refuse(SIGNAL_REFUSAL_STATUS[result.code], result.code, result.message, result.problems);
  return ok({ task_uuid: taskUuid, step_name: stepName, step_state: result.stepState, task_state: result.taskState });
}
