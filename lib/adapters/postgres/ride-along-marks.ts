/** Starts a timer; returns what cancels it. */
export type Schedule = (run: () => void, delayMs: number) => () => void;

const timerSchedule: Schedule = (run, delayMs) => {
  const timer = setTimeout(run, delayMs);
  timer.unref();
  return () => clearTimeout(timer);
};

export interface RideAlongSettings {
  /** Longest a mark waits for a write to ride on before it is written on its own. */
  readonly maxWaitMs: number;
  /** Marks held at most; beyond that they are written at once. */
  readonly maxPending?: number;
  readonly schedule?: Schedule;
}

/**
 * What a long-lived process (the local runtime, `tasker dev`) holds marks for: 200 ms, far below the age at which the
 * sweeper sends an outbox row again (30 s).
 */
export const LONG_LIVED_PROCESS: RideAlongSettings = { maxWaitMs: 200 };

/**
 * Outbox marks (ids of rows sent) waiting to ride on the store's next write, in a long-lived process: the next
 * `apply_step_results` or `create_task` deletes them in its own statement and transaction, so a step's mark costs no
 * round trip and no commit of its own. A mark that finds no write within `maxWaitMs` is written on its own
 * (`write`), as every mark was before. Marks that rode on a call that failed are held again and wait for the next.
 *
 * Nothing is lost when a process dies with marks held: their rows are still in the outbox, and the sweeper sends
 * them again once they are `outboxResendAfterMs` old, exactly as when a sender dies between its send and its mark.
 * A Lambda container, which may be frozen or recycled as soon as its invocation returns, keeps no marks.
 *
 * @example
 * const marks = new RideAlongMarks((ids) => writeMarks(ids), { maxWaitMs: 200 });
 * await marks.add(['41', '42']);                   // held
 * await marks.ride((ids) => applyWithMarks(ids)); // ['41', '42'] go with that write; held again if it fails
 */
export class RideAlongMarks {
  private pending: string[] = [];
  private cancel: (() => void) | null = null;
  private readonly maxPending: number;
  private readonly schedule: Schedule;

  constructor(
    private readonly write: (ids: readonly string[]) => Promise<void>,
    private readonly settings: RideAlongSettings,
  ) {
    this.maxPending = settings.maxPending ?? 1_000;
    this.schedule = settings.schedule ?? timerSchedule;
  }

  /** Holds the ids for the next write; writes them at once when too many are held. */
  async add(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    this.pending.push(...ids);
    if (this.pending.length >= this.maxPending) return this.flush();
    this.arm();
  }

  /**
   * Runs `call` with the marks held, handed over to it (it deletes them in its own transaction); when it fails they
   * were rolled back with it and are held again.
   */
  async ride<T>(call: (ids: readonly string[]) => Promise<T>): Promise<T> {
    const ids = this.pending;
    this.pending = [];
    this.disarm();
    try {
      return await call(ids);
    } catch (error) {
      this.giveBack(ids);
      throw error;
    }
  }

  get held(): number {
    return this.pending.length;
  }

  /** Writes every mark held now (on a timer, when too many are held, and before the process stops). */
  flush(): Promise<void> {
    return this.ride(async (ids) => {
      if (ids.length > 0) await this.write(ids);
    });
  }

  private giveBack(ids: readonly string[]): void {
    if (ids.length === 0) return;
    this.pending.unshift(...ids);
    this.arm();
  }

  private arm(): void {
    if (this.cancel !== null || this.pending.length === 0) return;
    this.cancel = this.schedule(() => {
      this.cancel = null;
      // A failed write keeps its marks held (flush gives them back); the next write or timer takes them.
      this.flush().catch(() => undefined);
    }, this.settings.maxWaitMs);
  }

  private disarm(): void {
    this.cancel?.();
    this.cancel = null;
  }
}
