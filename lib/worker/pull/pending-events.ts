import { isPastDeadline, type PendingEvent } from './pending-event.js';

/** How an answered event ended, remembered so a later `complete` is refused with the right reason. */
export type FinishedAs = 'completed' | 'timed_out';

/** Answered events remembered for refusals and duplicate deliveries; the oldest are forgotten beyond this. */
const MAX_FINISHED = 10_000;

/** The pending-event map, keyed by event_id, in receipt order; and the recently answered events. */
export class PendingEvents {
  private readonly byId = new Map<string, PendingEvent>();
  private readonly finishedById = new Map<string, FinishedAs>();

  get(eventId: string): PendingEvent | undefined {
    return this.byId.get(eventId);
  }

  add(event: PendingEvent): void {
    this.byId.set(event.eventId, event);
  }

  remove(eventId: string): void {
    this.byId.delete(eventId);
  }

  all(): PendingEvent[] {
    return [...this.byId.values()];
  }

  /** The oldest buffered event still within its deadline, now handed out; null when there is none. */
  handOut(now: Date): PendingEvent | null {
    const next = this.all().find((e) => e.state === 'buffered' && !isPastDeadline(e, now));
    if (next === undefined) return null;
    next.state = 'handed_out';
    next.handedOutAt = now;
    return next;
  }

  /** Events past their deadline that nobody is answering yet. */
  expired(now: Date): PendingEvent[] {
    return this.all().filter((e) => e.state !== 'answering' && isPastDeadline(e, now));
  }

  /** Removes the event and remembers how it ended. */
  finish(eventId: string, as: FinishedAs): void {
    this.byId.delete(eventId);
    this.finishedById.delete(eventId);
    this.finishedById.set(eventId, as);
    if (this.finishedById.size > MAX_FINISHED) this.finishedById.delete(this.finishedById.keys().next().value as string);
  }

  finished(eventId: string): FinishedAs | undefined {
    return this.finishedById.get(eventId);
  }

  clear(): void {
    this.byId.clear();
  }
}
