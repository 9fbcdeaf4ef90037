import { describe, expect, it } from 'vitest';
import type { DeclaredEventWire } from '../../../lib/contracts/declared-event.js';
import { domainEventEnvelope } from '../../../lib/contracts/domain-event.js';
import type { StepExecutionResult } from '../../../lib/contracts/step-execution-result.js';
import type { EventCondition } from '../../../lib/domain/event-condition.js';
import { planDomainEvents } from '../../../lib/worker/plan-domain-events.js';
import { stepError } from '../../../lib/worker/step-errors.js';
import { buildStepResult, subjectOf } from '../../../lib/worker/step-result.js';
import { loadFixture } from '../../helpers/contract-fixtures.js';
import { SHIPMENT, dispatchMessage } from '../../helpers/dispatch-fixtures.js';

const FIRED_AT = new Date('2025-12-07T10:15:30.271Z');
const ctx = { startedAt: FIRED_AT, completedAt: FIRED_AT, workerId: 'w', workerKind: 'lambda' };

const EVERY_CONDITION: DeclaredEventWire[] = (
  ['success', 'failure', 'retryable_failure', 'permanent_failure', 'always'] as EventCondition[]
).map((condition) => ({
  name: `ecommerce.on_${condition}`,
  condition,
}));

function success(result: unknown = SHIPMENT): StepExecutionResult {
  return buildStepResult(subjectOf(dispatchMessage()), { status: 'success', result }, ctx);
}

function failure(retryable: boolean): StepExecutionResult {
  const error = { ...stepError('handler_error', 'carrier down', 'carrier_down'), retryable };
  return buildStepResult(subjectOf(dispatchMessage()), { status: 'failure', error }, ctx);
}

function firedNames(plan: ReturnType<typeof planDomainEvents>): string[] {
  return plan.publish.map((e) => e.eventName);
}

describe('planning domain events', () => {
  it('builds the golden envelope for the golden dispatch and success result', () => {
    const plan = planDomainEvents(dispatchMessage(), success(), FIRED_AT);
    expect(plan.publish).toHaveLength(1);
    const entry = plan.publish[0]!.entry;
    expect(entry.Source).toBe('tasker.ecommerce');
    expect(entry.DetailType).toBe('ecommerce.order_shipped');
    expect(JSON.parse(entry.Detail)).toEqual(loadFixture('domain-event.success.json'));
  });

  it('does not embed the task context', () => {
    const detail = planDomainEvents(dispatchMessage(), success(), FIRED_AT).publish[0]!.entry.Detail;
    expect(detail).not.toContain('ada@example.com');
    expect(detail).not.toContain('task_context');
  });

  it.each([
    ['success', () => success(), 3, ['ecommerce.on_success', 'ecommerce.on_always']],
    [
      'a retryable failure with attempts left',
      () => failure(true),
      1,
      ['ecommerce.on_failure', 'ecommerce.on_retryable_failure', 'ecommerce.on_always'],
    ],
    [
      'a retryable failure on the last attempt',
      () => failure(true),
      3,
      ['ecommerce.on_failure', 'ecommerce.on_permanent_failure', 'ecommerce.on_always'],
    ],
    [
      'a permanent failure',
      () => failure(false),
      1,
      ['ecommerce.on_failure', 'ecommerce.on_permanent_failure', 'ecommerce.on_always'],
    ],
  ])('on %s fires exactly the matching events', (_label, result, attempt, expected) => {
    const message = dispatchMessage({ attempt, max_attempts: 3, publishes_events: EVERY_CONDITION });
    expect(firedNames(planDomainEvents(message, result(), FIRED_AT))).toEqual(expected);
  });

  it('a retryable failure of a step that is not retryable is permanent', () => {
    const message = dispatchMessage({ retryable: false, publishes_events: EVERY_CONDITION });
    const plan = planDomainEvents(message, failure(true), FIRED_AT);
    expect(plan.outcome).toBe('permanent_failure');
    expect(firedNames(plan)).toContain('ecommerce.on_permanent_failure');
  });

  it('a failure event carries the error as its payload and the outcome in its metadata', () => {
    const message = dispatchMessage({ publishes_events: [{ name: 'ecommerce.ship_failed', condition: 'failure' }] });
    const detail = domainEventEnvelope.parse(
      JSON.parse(planDomainEvents(message, failure(true), FIRED_AT).publish[0]!.entry.Detail),
    );
    expect(detail.payload).toEqual({
      error_type: 'handler_error',
      message: 'carrier down',
      retryable: true,
      retry_after_ms: null,
      code: 'carrier_down',
    });
    expect(detail.error).toEqual(detail.payload);
    expect(detail.metadata).toMatchObject({
      outcome: 'retryable_failure',
      attempt: 1,
      source_event_id: message.event_id,
    });
  });

  it('gives each event an id derived from the dispatch, the same on redelivery', () => {
    const message = dispatchMessage({ publishes_events: EVERY_CONDITION });
    const first = planDomainEvents(message, success(), FIRED_AT).publish.map((e) => e.eventId);
    const again = planDomainEvents(message, success(), new Date('2025-12-07T10:20:00Z')).publish.map((e) => e.eventId);
    expect(first).toEqual(again);
    expect(new Set(first).size).toBe(first.length);
  });

  it('refuses a payload that does not match the declared schema, with the reason', () => {
    const plan = planDomainEvents(dispatchMessage(), success({ order_id: 'ORD-1', carrier: 7 }), FIRED_AT);
    expect(plan.publish).toEqual([]);
    expect(plan.refused).toHaveLength(1);
    expect(plan.refused[0]).toMatchObject({ eventName: 'ecommerce.order_shipped', code: 'schema_mismatch' });
    expect(plan.refused[0]!.reason).toMatch(/tracking_number/);
    expect(plan.refused[0]!.reason).toMatch(/\/carrier must be string/);
  });

  it('refuses an event whose declared schema is not a usable JSON Schema', () => {
    const message = dispatchMessage({
      publishes_events: [{ name: 'ecommerce.order_shipped', condition: 'success', schema: { type: 'objekt' } }],
    });
    expect(planDomainEvents(message, success(), FIRED_AT).refused[0]).toMatchObject({ code: 'schema_invalid' });
  });

  it("refuses an event over EventBridge's entry limit", () => {
    const message = dispatchMessage({ publishes_events: [{ name: 'ecommerce.big', condition: 'success' }] });
    const plan = planDomainEvents(message, success({ blob: 'x'.repeat(262_144) }), FIRED_AT);
    expect(plan.publish).toEqual([]);
    expect(plan.refused[0]).toMatchObject({ code: 'event_too_large', reason: expect.stringContaining('262144 bytes') });
  });

  it('plans nothing for a step that declares no events', () => {
    expect(planDomainEvents(dispatchMessage({ publishes_events: [] }), success(), FIRED_AT)).toMatchObject({
      publish: [],
      refused: [],
    });
  });
});
