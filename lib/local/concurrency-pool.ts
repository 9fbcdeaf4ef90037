/**
 * A function's concurrency: its reserved concurrency when it has one (shared by all of its event
 * sources), else effectively unbounded. An invocation that finds no free slot is throttled.
 */
export class ConcurrencyPool {
  private active = 0;
  private peak = 0;

  /** `limit` undefined: the function draws on the account's pool, which the local runner treats as unlimited. */
  constructor(readonly limit: number | undefined) {
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0))
      throw new RangeError(`reserved concurrency must be a whole number >= 0, got ${limit}`);
  }

  /** Takes a slot; false (a throttle) when every slot is in use. */
  tryAcquire(): boolean {
    if (this.limit !== undefined && this.active >= this.limit) return false;
    this.active += 1;
    this.peak = Math.max(this.peak, this.active);
    return true;
  }

  release(): void {
    if (this.active === 0) throw new Error('ConcurrencyPool.release without a matching acquire');
    this.active -= 1;
  }

  get inUse(): number {
    return this.active;
  }

  /** The most slots ever in use at once. */
  get peakInUse(): number {
    return this.peak;
  }
}
