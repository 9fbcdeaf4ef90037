import type { StepDispatchMessage } from '../contracts/step-dispatch-message.js';
import type { StepExecutionResult } from '../contracts/step-execution-result.js';
import type { LogFields } from '../ports/logger.js';
import type { AnswerDeps, DispatchRecord, RecordDeps } from './dispatch-deps.js';
import { executeStep } from './execute-step.js';
import { moveToPoison } from './move-to-poison.js';
import { parseDispatchBody, type ParsedDispatch } from './parse-dispatch-body.js';
import { planDomainEvents } from './plan-domain-events.js';
import { publishDomainEvents } from './publish-domain-events.js';
import { sendResult } from './send-result.js';
import { computeStepDeadline } from './step-deadline.js';
import { stepError } from './step-errors.js';
import { buildStepResult, limitResultSize, resultContext, subjectOf, type ResultSubject } from './step-result.js';

/** How one record ended; `redeliver` makes it a batch item failure. */
export interface RecordReport {
  readonly redeliver: boolean;
  readonly fields: LogFields;
}

/**
 * Parses, runs and answers one dispatch record. Throws only on a bug; the batch turns that into a
 * redelivery. The batch passes the body it parsed already and the attempt's deadline (the dispatch
 * deadline moved by the wait before the first receive: attempt-start.ts); alone, the message's own.
 */
export async function processDispatchRecord(
  record: DispatchRecord,
  deps: RecordDeps,
  parsed: ParsedDispatch = parseDispatchBody(record.body),
  attemptDeadline?: Date,
): Promise<RecordReport> {
  if (parsed.kind === 'valid')
    return runDispatch(parsed.message, deps, attemptDeadline ?? new Date(parsed.message.deadline));
  if (parsed.kind === 'invalid') return answerInvalid(parsed.subject, parsed.problems, deps);
  const poison = await moveToPoison(record, parsed.code, parsed.reason, deps);
  return {
    redeliver: !poison.moved,
    fields: { status: 'poison', error_type: parsed.code, reason: parsed.reason, problem: poison.problem },
  };
}

/** The dual-channel sequence: run the handler, send the result FIRST, then publish domain events. */
async function runDispatch(
  message: StepDispatchMessage,
  deps: RecordDeps,
  attemptDeadline: Date,
): Promise<RecordReport> {
  const startedAt = deps.clock.now();
  const deadline = computeStepDeadline({
    now: startedAt,
    stepTimeoutMs: message.timeout_ms,
    remainingTimeMs: deps.remainingTimeMs(),
    safetyMarginMs: deps.config.safetyMarginMs,
    dispatchDeadline: attemptDeadline,
  });
  const subject = subjectOf(message);
  const logger = deps.logger.child({ ...idsOf(subject), step_name: message.step_name });
  const outcome = await executeStep({ message, registry: deps.handlers, deadline, clock: deps.clock, logger });
  const result = limitResultSize(
    buildStepResult(subject, outcome, resultContext(startedAt, deps)),
    deps.config.maxResultBytes,
  );
  const problem = await sendResult(result, deps);
  const fields = { ...resultFields(result), handler: message.handler.callable, deadline_bound: deadline.bound };
  if (problem !== null) return { redeliver: true, fields: { ...fields, problem, events_published: 0 } };
  const plan = planDomainEvents(message, result, deps.clock.now());
  const events = await publishDomainEvents(plan, { ...deps, logger, dlqUrl: deps.config.domainEventDlqUrl });
  return {
    redeliver: false,
    fields: {
      ...fields,
      outcome: plan.outcome,
      events_published: events.published,
      events_parked: events.parked,
      events_logged: events.logged,
    },
  };
}

/** A message with readable ids but invalid content: answered with a permanent `invalid_dispatch` failure, no events. */
export async function answerInvalid(
  subject: ResultSubject,
  problems: readonly string[],
  deps: AnswerDeps,
): Promise<RecordReport> {
  const now = deps.clock.now();
  const error = stepError('invalid_dispatch', `the dispatch message is invalid: ${problems.join('; ')}`);
  const result = buildStepResult(subject, { status: 'failure', error }, resultContext(now, deps));
  const problem = await sendResult(result, deps);
  return { redeliver: problem !== null, fields: { ...resultFields(result), problem } };
}

function resultFields(result: StepExecutionResult): LogFields {
  return {
    ...idsOf(result),
    step_name: result.step_name,
    attempt: result.attempt,
    status: result.status,
    error_type: result.error?.error_type ?? null,
    error_message: result.error?.message ?? null,
    handler_duration_ms: result.timing.duration_ms,
  };
}

function idsOf(s: ResultSubject): LogFields {
  return { task_uuid: s.task_uuid, step_uuid: s.step_uuid, event_id: s.event_id, correlation_id: s.correlation_id };
}
