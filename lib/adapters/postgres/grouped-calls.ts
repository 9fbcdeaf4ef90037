export interface GroupSettings {
  /** Calls (alone or grouped) in flight at once; a call beyond them waits for the next group. */
  readonly maxInFlight: number;
  /** Most calls in one group. */
  readonly maxGroup: number;
}

/**
 * What a long-lived process (the local runtime, `tasker dev`, the benchmark's engine) groups task creations by: two in
 * flight, so one group's round trip and commit overlap the next group's gathering. Measured against one and four in
 * flight with 8 concurrent creators (docs/benchmarks.md, seventh pass): one serialises the creations, four leaves
 * too few waiting to group.
 */
export const LONG_LIVED_CREATES: GroupSettings = { maxInFlight: 2, maxGroup: 50 };

interface Waiting<I, O> {
  readonly item: I;
  resolve(value: O): void;
  reject(reason: unknown): void;
}

/**
 * Group commit for one kind of database call. A call that finds fewer than `maxInFlight` calls in flight goes at once,
 * alone (`one`): with no concurrency nothing waits and nothing changes. A call that finds them all busy waits; when one
 * of them returns, the calls waiting (up to `maxGroup`) go together in one call (`many`): one transaction, one commit
 * and one round trip for all of them. `many` answers each item on its own (a settled result per item, in order), so
 * one item's failure is that caller's alone; a `many` that throws fails every caller of its group.
 *
 * @example
 * const creates = new GroupedCalls(
 *   (task) => createOne(task),
 *   (tasks) => createMany(tasks), // PromiseSettledResult per task, in order
 *   { maxInFlight: 2, maxGroup: 50 },
 * );
 * const outcome = await creates.call(task); // alone when the store is idle, in a group under load
 */
export class GroupedCalls<I, O> {
  private inFlight = 0;
  private waiting: Waiting<I, O>[] = [];

  constructor(
    private readonly one: (item: I) => Promise<O>,
    private readonly many: (items: readonly I[]) => Promise<PromiseSettledResult<O>[]>,
    private readonly settings: GroupSettings,
  ) {}

  async call(item: I): Promise<O> {
    if (this.inFlight >= this.settings.maxInFlight)
      return new Promise<O>((resolve, reject) => this.waiting.push({ item, resolve, reject }));
    this.inFlight++;
    try {
      return await this.one(item);
    } finally {
      this.returned();
    }
  }

  /** Calls waiting for a group now. */
  get queued(): number {
    return this.waiting.length;
  }

  private returned(): void {
    this.inFlight--;
    while (this.inFlight < this.settings.maxInFlight && this.waiting.length > 0)
      this.send(this.waiting.splice(0, this.settings.maxGroup));
  }

  private send(group: Waiting<I, O>[]): void {
    this.inFlight++;
    this.settled(group)
      .then(
        (results) => {
          for (const [i, w] of group.entries()) settle(w, results[i]);
        },
        (error: unknown) => {
          for (const w of group) w.reject(error);
        },
      )
      .finally(() => this.returned());
  }

  /** A group of one goes through `one`, as a call that found a free slot does. */
  private async settled(group: readonly Waiting<I, O>[]): Promise<PromiseSettledResult<O>[]> {
    if (group.length === 1) return Promise.allSettled([this.one(group[0]!.item)]);
    const results = await this.many(group.map((w) => w.item));
    if (results.length !== group.length)
      throw new Error(`a grouped call answered ${results.length} of its ${group.length} items`);
    return results;
  }
}

function settle<O>(waiting: Waiting<unknown, O>, result: PromiseSettledResult<O> | undefined): void {
  if (result?.status === 'fulfilled') waiting.resolve(result.value);
  else waiting.reject(result?.reason);
}
