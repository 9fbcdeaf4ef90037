import { completeStepRequest, operatorActionRequest } from '../contracts/api-requests.js';
import type { OperatorActionResponse } from '../contracts/api-responses.js';
import { stepAction } from '../orchestration/operator-actions.js';
import type { OperatorAction, StepView } from '../ports/orchestration-store.js';
import { ok, parseInput, refuse, type ApiResponse, type RouteCall } from './api-call.js';
import { findTask } from './task-routes.js';

/** `POST /tasks/{task_uuid}/steps/{step_name}/retry` with `{reason}`: the step back to pending, attempts reset. */
export const retryStepRoute = (call: RouteCall) => stepActionRoute(call, 'reset_for_retry');

/** `POST /tasks/{task_uuid}/steps/{step_name}/resolve` with `{reason}`: the step no longer blocks its dependents. */
export const resolveStepRoute = (call: RouteCall) => stepActionRoute(call, 'resolve_manually');

/** `POST /tasks/{task_uuid}/steps/{step_name}/complete` with `{reason, result}`: dependents receive `result`. */
export const completeStepRoute = (call: RouteCall) => stepActionRoute(call, 'complete_manually');

async function stepActionRoute({ deps, params, body, actor }: RouteCall, action: OperatorAction): Promise<ApiResponse> {
  const parsed =
    action === 'complete_manually'
      ? parseInput(completeStepRequest, body, 'request')
      : parseInput(operatorActionRequest, body, 'request');
  if (!parsed.ok) return parsed.response;
  if (action === 'complete_manually' && !('result' in (body as object)))
    return refuse(400, 'invalid_request', 'the request is invalid', ['result: a result is required (null is one)']);
  const found = await findTask(deps.orchestration.store, params.task_uuid!);
  if (!found.ok) return found.response;
  const name = params.step_name!;
  const picked = pickStep(found.task.steps, name);
  if (!picked.ok) return picked.response;
  const { step } = picked;
  const { reason } = parsed.value;
  const result = 'result' in parsed.value ? parsed.value.result : undefined;
  const outcome = await stepAction(deps.orchestration, step.stepUuid, action, reason, result, actor);
  if (!outcome.ok) return refuse(409, 'invalid_transition', outcome.reason);
  const applied: OperatorActionResponse = { task_uuid: found.task.taskUuid, step_name: name, action, actor, reason };
  return ok(applied);
}

/**
 * The step a route names: by name, or one instance of a batch worker as `name[index]` (its instances share the name,
 * so the bare name of a worker with more than one instance is refused as ambiguous).
 */
export function pickStep(
  steps: readonly StepView[],
  name: string,
): { ok: true; step: StepView } | { ok: false; response: ApiResponse } {
  const indexed = /^(.+)\[(\d+)\]$/.exec(name);
  const base = indexed ? indexed[1]! : name;
  const named = steps.filter((s) => s.name === base);
  const step = indexed ? named.find((s) => s.batch?.index === Number(indexed[2])) : named[0];
  if (!indexed && named.length > 1)
    return {
      ok: false,
      response: refuse(400, 'ambiguous_step', `'${name}' has ${named.length} batch instances: name one`, [
        `as ${name}[0] .. ${name}[${named.length - 1}]`,
      ]),
    };
  if (step) return { ok: true, step };
  const names = [...new Set(steps.map((s) => s.name))];
  return { ok: false, response: refuse(404, 'unknown_step', `no step '${name}'`, [`steps: ${names.join(', ')}`]) };
}
