import type { Clock } from '../../lib/ports/clock.js';

/** A clock that stands still until told to move. */
export class FixedClock implements Clock {
  private current: number;

  constructor(start: Date | string = '2025-12-07T10:15:30.200Z') {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current += ms;
  }

  set(instant: Date | string): void {
    this.current = new Date(instant).getTime();
  }
}
