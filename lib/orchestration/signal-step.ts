import { compileValidator } from '../contracts/json-schema.js';
import { byteLength } from '../contracts/schema-version.js';
import { findUnstorableValue } from '../domain/storable-json.js';
import type { StepState } from '../domain/step-state.js';
import type { TaskState } from '../domain/task-state.js';
import { conditionMatches } from '../domain/event-condition.js';
import type { JsonSchema } from '../domain/task-template.js';
import type { OutboxEntry, SignalStatus, SignalTarget } from '../ports/orchestration-store.js';
import { deliverOutbox } from './deliver-outbox.js';
import type { OrchestrationDeps } from './orchestration-deps.js';

/** Largest signal payload: a handler's result limit (it is stored and dispatched as the step's result). */
export const MAX_SIGNAL_PAYLOAD_BYTES = 200_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Why a signal was refused: the store's refusals, and the payload's or the request's own. */
export type SignalErrorCode =
  | Exclude<SignalStatus, 'applied'>
  | 'invalid_request'
  | 'invalid_payload'
  | 'payload_too_large';

export type SignalResult =
  | { readonly ok: true; readonly taskUuid: string; readonly stepState: StepState; readonly taskState: TaskState }
  | {
      readonly ok: false;
      readonly code: SignalErrorCode;
      readonly message: string;
      readonly problems: readonly string[];
    };

/** What a refusal from the store says to a caller that signalled. */
const REFUSALS: Partial<Record<SignalStatus, string>> = {
  duplicate: 'the step was already signalled: a wait takes one signal',
  late: 'the wait is over (timed out, or ended by an operator action): the signal came too late',
};

/**
 * Signals a wait step (`type: wait`): `payload` becomes its result, applied once like a handler's
 * (dependents dispatched, the task evaluated and its lifecycle events sent, the walk audited). A
 * payload that fails the step's `signal_schema` is refused with every problem; a second or late
 * signal, an unknown task or step, a step that is not a wait or not waiting yet are refused as values.
 *
 * @example
 * const r = await signalStep(deps, taskUuid, 'approval', { approved: true });
 * if (!r.ok) console.error(r.code, r.message, r.problems); // e.g. 'invalid_payload'
 */
export async function signalStep(
  deps: OrchestrationDeps,
  taskUuid: string,
  stepName: string,
  payload: unknown,
): Promise<SignalResult> {
  const { result, outbox } = await applySignal(deps, taskUuid, stepName, payload);
  await deliverOutbox(deps, outbox);
  return result;
}

/** What a signal applied: its result, and the outbox rows it committed (for the caller to deliver, or leave to the sweeper). */
export interface AppliedSignal {
  readonly result: SignalResult;
  readonly outbox: readonly OutboxEntry[];
}

/**
 * signalStep without the delivery: for a caller with no queues (`tasker step signal --data-dir`),
 * whose outbox rows the runtime's sweeper sends (it re-sends rows left unsent).
 */
export async function applySignal(
  deps: Pick<OrchestrationDeps, 'store' | 'logger'>,
  taskUuid: string,
  stepName: string,
  payload: unknown,
): Promise<AppliedSignal> {
  if (!UUID.test(taskUuid)) return refused('invalid_request', `task ${JSON.stringify(taskUuid)} is not a uuid`);
  const unfit = payloadProblem(payload);
  if (unfit) return { result: unfit, outbox: [] };
  const target = await deps.store.signalTarget(taskUuid, stepName);
  if (!target) return refused('unknown_task', `no task ${taskUuid}`);
  if (!target.stepUuid) return refused('unknown_step', `task ${taskUuid} has no step named ${stepName}`);
  if (target.stepType === 'wait') {
    const problems = schemaProblems(target, payload);
    if (problems.length > 0)
      return refused('invalid_payload', `the payload does not match the signal_schema of ${stepName}`, problems);
  }
  const outcome = await deps.store.signalStep(taskUuid, stepName, payload);
  const fields = { task_uuid: taskUuid, step_uuid: outcome.stepUuid, step_name: stepName, status: outcome.status };
  if (outcome.status !== 'applied') {
    deps.logger.warn('signal refused', { ...fields, reason: outcome.reason });
    return refused(outcome.status, REFUSALS[outcome.status] ?? outcome.reason ?? outcome.status);
  }
  deps.logger.info('wait step signalled', fields);
  const result = { ok: true as const, taskUuid, stepState: outcome.stepState!, taskState: outcome.taskState! };
  return { result, outbox: outcome.outbox };
}

/**
 * What the payload breaks: the step's signal_schema, and the schemas of the domain events a signal
 * fires (it is their payload: a worker would drop such an event; a signal is refused instead).
 */
function schemaProblems(target: SignalTarget, payload: unknown): string[] {
  const own = target.signalSchema ? verdictProblems(target.signalSchema, payload) : [];
  const events = target.publishesEvents
    .filter((e) => e.schema && conditionMatches(e.condition, 'success'))
    .flatMap((e) => verdictProblems(e.schema!, payload).map((p) => `event ${e.name}: ${p}`));
  return [...own, ...events];
}

function verdictProblems(schema: JsonSchema, payload: unknown): string[] {
  const verdict = compileValidator(schema)(payload);
  return verdict.ok ? [] : verdict.problems;
}

/** A payload too large to be a result, or one PostgreSQL cannot store; null when it fits. */
function payloadProblem(payload: unknown): SignalResult | null {
  const unstorable = findUnstorableValue(payload);
  if (unstorable)
    return refuse('invalid_payload', `the payload cannot be stored: ${unstorable.message}`, [unstorable.message]);
  const size = byteLength(JSON.stringify(payload ?? null));
  if (size > MAX_SIGNAL_PAYLOAD_BYTES)
    return refuse('payload_too_large', `the payload is ${size} bytes; the limit is ${MAX_SIGNAL_PAYLOAD_BYTES}`);
  return null;
}

function refuse(code: SignalErrorCode, message: string, problems: readonly string[] = []): SignalResult {
  return { ok: false, code, message, problems };
}

function refused(code: SignalErrorCode, message: string, problems: readonly string[] = []): AppliedSignal {
  return { result: refuse(code, message, problems), outbox: [] };
}
