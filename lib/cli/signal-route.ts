import type { SignalErrorCode, SignalResult } from '../orchestration/signal-step.js';

/** Signals a wait step (the use case, on whatever runtime serves the route). */
export type SignalStep = (taskUuid: string, stepName: string, payload: unknown) => Promise<SignalResult>;

export interface RouteAnswer {
  readonly status: number;
  readonly body: unknown;
}

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
 * `POST /tasks/{uuid}/steps/{name}/signal` with `{"payload": <any JSON>}`: the signal use case
 * (lib/orchestration/signal-step.ts) and its answer as HTTP, nothing more. 200 with the step's and
 * the task's states; a refusal is `{error, message, problems}` with SIGNAL_REFUSAL_STATUS.
 *
 * @example
 * await signalRoute(runtime.signalStep, taskUuid, 'approval', { payload: { approved: true } });
 * // { status: 200, body: { task_uuid, step_name: 'approval', step_state: 'complete', task_state: 'steps_in_process' } }
 */
export async function signalRoute(
  signal: SignalStep,
  taskUuid: string,
  stepName: string,
  body: unknown,
): Promise<RouteAnswer> {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('payload' in body))
    return {
      status: 400,
      body: { error: 'invalid_request', message: 'the body must be a JSON object {"payload": <the signal payload>}' },
    };
  const result = await signal(taskUuid, stepName, (body as { payload: unknown }).payload);
  if (!result.ok)
    return {
      status: SIGNAL_REFUSAL_STATUS[result.code],
      body: { error: result.code, message: result.message, problems: result.problems },
    };
  return {
    status: 200,
    body: { task_uuid: taskUuid, step_name: stepName, step_state: result.stepState, task_state: result.taskState },
  };
}
