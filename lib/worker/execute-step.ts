import type { StepDispatchMessage } from '../contracts/step-dispatch-message.js';
import type { StepError } from '../contracts/step-execution-result.js';
import { dynamicResultProblem } from '../domain/dynamic-result.js';
import { findUnstorableValue } from '../domain/storable-json.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { StepHandler, StepHandlerInput } from './handler-api.js';
import type { HandlerRegistry } from './handler-registry.js';
import { HandlerTimeoutError } from './errors.js';
import { conversionError, toJsonValue } from './json-result.js';
import type { StepDeadline } from './step-deadline.js';
import { stepError, stepErrorFromThrown } from './step-errors.js';

/** How one handler run ended: a JSON result, or a step error. */
export type HandlerOutcome =
  | { readonly status: 'success'; readonly result: unknown }
  | { readonly status: 'failure'; readonly error: StepError; readonly checkpoint?: unknown };

export interface ExecuteStepInput {
  readonly message: StepDispatchMessage;
  readonly registry: HandlerRegistry;
  readonly deadline: StepDeadline;
  readonly clock: Clock;
  /** Handed to the handler; should already carry the step's ids. */
  readonly logger: Logger;
}

/**
 * Runs the step's handler raced against its deadline. Never throws: an unknown callable, a throw,
 * a non-JSON result, a result PostgreSQL cannot store and an overrun all come back as failure outcomes. On the deadline the
 * handler's AbortSignal is aborted with a HandlerTimeoutError so a cooperative handler stops.
 */
export async function executeStep(input: ExecuteStepInput): Promise<HandlerOutcome> {
  const handler = input.registry.resolve(input.message.handler.callable);
  if (handler === null) return failure(notFound(input.message.handler.callable, input.registry));
  if (input.deadline.budgetMs <= 0) return timedOut(input.deadline, 'no time was left before the handler could start');
  const controller = new AbortController();
  const saved = savedCheckpoint(input.message);
  const outcome = await raceDeadline(
    invoke(handler, handlerInput(input, controller.signal, saved.save)),
    input.deadline,
    controller,
  );
  if (outcome.status === 'success' && input.clock.now() > input.deadline.at) {
    return saved.onto(timedOut(input.deadline, 'the handler returned after its deadline'));
  }
  return saved.onto(checkedDynamic(input.message, outcome));
}

/** A decision's or batchable step's result the engine would refuse, as the permanent failure it will be. */
function checkedDynamic(message: StepDispatchMessage, outcome: HandlerOutcome): HandlerOutcome {
  if (outcome.status !== 'success') return outcome;
  const problem = dynamicResultProblem(message.dynamic, outcome.result);
  return problem ? failure(stepError(problem.errorType, problem.message)) : outcome;
}

/**
 * A batch instance's checkpoint: the last value its handler saved, carried on the attempt's failure
 * (as JSON; a value JSON or PostgreSQL's jsonb cannot hold is dropped, the one before it kept) so
 * that the retry starts from it.
 */
function savedCheckpoint(message: StepDispatchMessage) {
  let saved: { value: unknown } | undefined;
  return {
    save: (cursor: unknown): void => {
      if (message.batch === undefined) return;
      const json = toJsonValue(cursor);
      if (json.ok && findUnstorableValue(json.value) === null) saved = { value: json.value };
    },
    onto: (outcome: HandlerOutcome): HandlerOutcome =>
      outcome.status === 'failure' && saved !== undefined ? { ...outcome, checkpoint: saved.value } : outcome,
  };
}

async function invoke(handler: StepHandler, input: StepHandlerInput): Promise<HandlerOutcome> {
  try {
    const json = toJsonValue(await handler(input));
    return json.ok ? { status: 'success', result: json.value } : failure(conversionError(json));
  } catch (thrown) {
    return failure(stepErrorFromThrown(thrown));
  }
}

function raceDeadline(
  run: Promise<HandlerOutcome>,
  deadline: StepDeadline,
  controller: AbortController,
): Promise<HandlerOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<HandlerOutcome>((resolve) => {
    timer = setTimeout(() => {
      const reason = new HandlerTimeoutError(deadline.budgetMs, deadline.bound);
      resolve(failure(stepError('handler_timeout', reason.message, deadline.bound)));
      controller.abort(reason);
    }, deadline.budgetMs);
  });
  return Promise.race([run, expiry]).finally(() => clearTimeout(timer));
}

function handlerInput(
  input: ExecuteStepInput,
  signal: AbortSignal,
  checkpoint: (cursor: unknown) => void,
): StepHandlerInput {
  const m = input.message;
  return {
    context: m.task_context,
    config: m.handler.initialization,
    dependencyResults: m.dependency_results,
    ...(m.batch === undefined ? {} : { batch: { ...m.batch, checkpoint: m.batch.checkpoint ?? null } }),
    checkpoint,
    attempt: m.attempt,
    maxAttempts: m.max_attempts,
    signal,
    deadline: input.deadline.at,
    step: {
      taskUuid: m.task_uuid,
      stepUuid: m.step_uuid,
      stepName: m.step_name,
      namespace: m.namespace,
      eventId: m.event_id,
      correlationId: m.correlation_id,
    },
    logger: input.logger,
  };
}

function notFound(callable: string, registry: HandlerRegistry): StepError {
  const known = registry.callables();
  const list = known.length === 0 ? 'none' : known.slice(0, 20).join(', ') + (known.length > 20 ? ', ...' : '');
  return stepError(
    'handler_not_found',
    `no handler is registered for callable "${callable}" (registered: ${list})`,
    callable,
  );
}

function timedOut(deadline: StepDeadline, detail: string): HandlerOutcome {
  const bound = deadline.bound.replaceAll('_', ' ');
  return failure(
    stepError('handler_timeout', `handler timed out (deadline set by ${bound}): ${detail}`, deadline.bound),
  );
}

function failure(error: StepError): HandlerOutcome {
  return { status: 'failure', error };
}
