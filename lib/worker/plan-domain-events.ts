import { compileValidator } from '../contracts/json-schema.js';
import {
  domainEventSource,
  eventBusEntryBytes,
  type DomainEventEnvelope,
  type EventBusEntry,
} from '../contracts/domain-event.js';
import type { DeclaredEventWire } from '../contracts/declared-event.js';
import { EVENTBRIDGE_MAX_ENTRY_BYTES, SCHEMA_VERSION } from '../contracts/schema-version.js';
import type { StepDispatchMessage } from '../contracts/step-dispatch-message.js';
import type { StepExecutionResult } from '../contracts/step-execution-result.js';
import { errorMessage } from '../domain/error-message.js';
import { conditionMatches, outcomeOf, type StepOutcome } from '../domain/event-condition.js';
import { nameBasedUuid } from './name-based-uuid.js';
import type { ParkedEvent } from './parked-domain-event.js';

export interface PreparedEvent {
  readonly eventId: string;
  readonly eventName: string;
  readonly entry: EventBusEntry;
}

/** The step's declared events whose condition matches the outcome: those to publish, and those refused. */
export interface EventPlan {
  readonly outcome: StepOutcome;
  readonly publish: readonly PreparedEvent[];
  readonly refused: readonly ParkedEvent[];
}

/** Room left for what EventBridge counts besides Source, DetailType and Detail (time, resources). */
const ENTRY_OVERHEAD_BYTES = 1_024;

export function planDomainEvents(message: StepDispatchMessage, result: StepExecutionResult, firedAt: Date): EventPlan {
  const outcome = stepOutcomeOf(message, result);
  const publish: PreparedEvent[] = [];
  const refused: ParkedEvent[] = [];
  for (const declared of message.publishes_events.filter((e) => conditionMatches(e.condition, outcome))) {
    const event = prepareEvent(message, result, declared, outcome, firedAt);
    const refusal = refusalOf(declared, event, payloadOf(result));
    if (refusal === null) publish.push(event);
    else refused.push({ ...event, ...refusal });
  }
  return { outcome, publish, refused };
}

/** A failure is retryable only when the handler said so and the step is retryable with attempts left. */
export function stepOutcomeOf(message: StepDispatchMessage, result: StepExecutionResult): StepOutcome {
  const retryable = result.status === 'failure' && result.error.retryable && message.retryable;
  return outcomeOf(result.status === 'success', retryable, message.attempt, message.max_attempts);
}

function prepareEvent(
  m: StepDispatchMessage,
  r: StepExecutionResult,
  declared: DeclaredEventWire,
  outcome: StepOutcome,
  firedAt: Date,
): PreparedEvent {
  const eventId = nameBasedUuid(m.event_id, declared.name);
  const detail: DomainEventEnvelope = {
    schema_version: SCHEMA_VERSION,
    event_id: eventId,
    event_name: declared.name,
    event_version: m.task_version,
    payload: payloadOf(r),
    error: r.status === 'failure' ? { ...r.error } : null,
    metadata: {
      task_uuid: m.task_uuid,
      step_uuid: m.step_uuid,
      step_name: m.step_name,
      namespace: m.namespace,
      task_name: m.task_name,
      correlation_id: m.correlation_id,
      source_event_id: m.event_id,
      attempt: m.attempt,
      outcome,
      fired_at: firedAt.toISOString(),
    },
  };
  const entry = { Source: domainEventSource(m.namespace), DetailType: declared.name, Detail: JSON.stringify(detail) };
  return { eventId, eventName: declared.name, entry };
}

/** The business payload: the step's result on success, its error on failure. */
function payloadOf(r: StepExecutionResult): unknown {
  return r.status === 'success' ? (r.result ?? null) : r.error;
}

function refusalOf(
  declared: DeclaredEventWire,
  event: PreparedEvent,
  payload: unknown,
): Pick<ParkedEvent, 'code' | 'reason'> | null {
  const size = eventBusEntryBytes(event.entry);
  if (size + ENTRY_OVERHEAD_BYTES > EVENTBRIDGE_MAX_ENTRY_BYTES) {
    return {
      code: 'event_too_large',
      reason: `event ${declared.name} is ${size} bytes, over EventBridge's entry limit of ${EVENTBRIDGE_MAX_ENTRY_BYTES} bytes`,
    };
  }
  return declared.schema === undefined ? null : schemaRefusal(declared.name, declared.schema, payload);
}

function schemaRefusal(
  name: string,
  schema: Record<string, unknown>,
  payload: unknown,
): Pick<ParkedEvent, 'code' | 'reason'> | null {
  try {
    const verdict = compileValidator(schema)(payload);
    return verdict.ok
      ? null
      : {
          code: 'schema_mismatch',
          reason: `payload of ${name} does not match its declared schema: ${verdict.problems.join('; ')}`,
        };
  } catch (error) {
    return { code: 'schema_invalid', reason: `the declared schema of ${name} cannot be used: ${errorMessage(error)}` };
  }
}
