import { describe, expect, it } from 'vitest';
import { PendingEvents } from '../../../../lib/worker/pull/pending-events.js';
import { START, stepMessage } from './pull-kit.js';

const NOW = new Date(START);
const COMPLETION_TIMEOUT_MS = 30_000;

function at(ms: number): Date {
  return new Date(NOW.getTime() + ms);
}

function receipt(n: number, handle = `handle-${n}`) {
  return { messageId: `message-${n}`, receiptHandle: handle, receiveCount: 1 };
}

/** A map holding stepMessage(1..count), received at NOW. */
function pendingOf(count: number): PendingEvents {
  const pending = new PendingEvents();
  for (let n = 1; n <= count; n += 1) pending.admit(stepMessage(n), receipt(n), NOW, COMPLETION_TIMEOUT_MS);
  return pending;
}

const id = (n: number) => stepMessage(n).event_id;

describe('PendingEvents.admit', () => {
  it('buffers a new event with its deadline: the step timeout from receipt, capped by the completion timeout', () => {
    const pending = new PendingEvents();
    expect(pending.admit(stepMessage(1), receipt(1), NOW, COMPLETION_TIMEOUT_MS)).toEqual({ kind: 'added' });
    expect(pending.admit(stepMessage(2), receipt(2), NOW, 2_000)).toEqual({ kind: 'added' });
    expect(pending.all().map((e) => [e.state, e.deadline.getTime() - NOW.getTime(), e.deadlineBound])).toEqual([
      ['buffered', 10_000, 'step_timeout'],
      ['buffered', 2_000, 'step_timeout'],
    ]);
  });

  it('keeps only the newest receipt handle when the same message comes again', () => {
    const pending = pendingOf(1);
    const admission = pending.admit(stepMessage(1), receipt(1, 'handle-newer'), at(1_000), COMPLETION_TIMEOUT_MS);
    expect(admission).toMatchObject({ kind: 'redelivered', event: { eventId: id(1), receiptHandle: 'handle-newer' } });
    expect(pending.all()).toHaveLength(1);
  });

  it('calls another copy of a pending or answered event a duplicate and keeps the first', () => {
    const pending = pendingOf(2);
    expect(pending.admit(stepMessage(1), receipt(9), NOW, COMPLETION_TIMEOUT_MS)).toEqual({ kind: 'duplicate' });
    pending.finish(id(2), 'completed');
    expect(pending.admit(stepMessage(2), receipt(2), NOW, COMPLETION_TIMEOUT_MS)).toEqual({ kind: 'duplicate' });
    expect(pending.all().map((e) => e.messageId)).toEqual(['message-1']);
  });
});

describe('PendingEvents: buffered -> handed_out -> answering', () => {
  it('hands out the oldest buffered event within its deadline, once', () => {
    const pending = new PendingEvents();
    pending.admit(stepMessage(1, { timeout_ms: 1_000 }), receipt(1), NOW, COMPLETION_TIMEOUT_MS);
    pending.admit(stepMessage(2), receipt(2), NOW, COMPLETION_TIMEOUT_MS);
    pending.admit(stepMessage(3), receipt(3), NOW, COMPLETION_TIMEOUT_MS);
    const first = pending.handOut(at(2_000));
    expect(first).toMatchObject({ eventId: id(2), state: 'handed_out', handedOutAt: at(2_000) });
    expect(pending.handOut(at(2_000))?.eventId).toBe(id(3));
    expect(pending.handOut(at(2_000))).toBeNull();
    expect(pending.expired(at(2_000)).map((e) => e.eventId)).toEqual([id(1)]);
  });

  it('refuses a completion with the reason that fits the event', () => {
    const pending = pendingOf(3);
    const handed = pending.handOut(NOW)!;
    pending.beginAnswer(pending.handOut(NOW)!);
    pending.finish(id(9), 'timed_out');
    expect(pending.refusal(handed.eventId, false)).toBeNull();
    expect(pending.refusal(handed.eventId, true)).toBe('worker_closed');
    expect(pending.refusal(id(2), false)).toBe('already_answering');
    expect(pending.refusal(id(3), false)).toBe('not_handed_out');
    expect(pending.refusal(id(9), false)).toBe('timed_out');
    expect(pending.refusal(id(8), false)).toBe('unknown_event');
    pending.finish(handed.eventId, 'completed');
    expect(pending.refusal(handed.eventId, false)).toBe('already_completed');
  });

  it('an answer not sent puts the event back where it was; one sent forgets it and remembers how it ended', () => {
    const pending = pendingOf(2);
    const buffered = pending.get(id(2))!;
    const handed = pending.handOut(NOW)!;
    expect(pending.beginAnswer(buffered)).toBe('buffered');
    expect(pending.expired(at(60_000)).map((e) => e.eventId)).toEqual([handed.eventId]);
    pending.undoAnswer(buffered, 'buffered');
    expect(pending.get(id(2))?.state).toBe('buffered');
    pending.finish(handed.eventId, 'completed');
    expect(pending.holds(handed)).toBe(false);
    expect(pending.finished(handed.eventId)).toBe('completed');
    expect(pending.all().map((e) => e.eventId)).toEqual([id(2)]);
  });

  it('forgets the oldest answered events beyond 10,000', () => {
    const pending = new PendingEvents();
    for (let n = 0; n <= 10_000; n += 1) pending.finish(`event-${n}`, 'completed');
    expect(pending.finished('event-0')).toBeUndefined();
    expect(pending.finished('event-1')).toBe('completed');
  });
});

describe('PendingEvents release and starvation', () => {
  it('releases an event nobody answers, and not one being answered', () => {
    const pending = pendingOf(2);
    pending.beginAnswer(pending.handOut(NOW)!);
    expect(pending.release(id(1))).toBeNull();
    expect(pending.release(id(2))?.eventId).toBe(id(2));
    expect(pending.release(id(2))).toBeNull();
    expect(pending.releaseAll().map((e) => e.eventId)).toEqual([id(1)]);
    expect(pending.all()).toEqual([]);
  });

  it('names each event older than the threshold once', () => {
    const pending = pendingOf(1);
    pending.admit(stepMessage(2), receipt(2), at(3_000), COMPLETION_TIMEOUT_MS);
    expect(pending.newlyStarving(at(4_000), 4_000)).toEqual([]);
    expect(pending.newlyStarving(at(4_001), 4_000).map((e) => e.eventId)).toEqual([id(1)]);
    expect(pending.newlyStarving(at(8_000), 4_000).map((e) => e.eventId)).toEqual([id(2)]);
    expect(pending.newlyStarving(at(9_000), 4_000)).toEqual([]);
  });
});
