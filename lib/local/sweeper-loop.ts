import { errorMessage } from '../domain/error-message.js';
import type { OrchestrationDeps } from '../orchestration/orchestration-deps.js';
import { sweep, type SweepReport } from '../orchestration/sweep.js';

export interface SweepTotals {
  runs: number;
  failures: number;
  timedOut: number;
  resent: number;
  retriesDispatched: number;
}

export interface SweeperLoop {
  totals(): SweepTotals;
  /** Runs one sweep now (also what the interval does). */
  sweepNow(): Promise<SweepReport | null>;
  /** Clears the timer and waits for a sweep in progress. */
  stop(): Promise<void>;
}

/** The scheduled sweeper, in process: one sweep every `intervalMs`, never two at once. */
export function startSweeperLoop(deps: OrchestrationDeps, intervalMs: number): SweeperLoop {
  const totals: SweepTotals = { runs: 0, failures: 0, timedOut: 0, resent: 0, retriesDispatched: 0 };
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<SweepReport | null> = Promise.resolve(null);
  let stopped = false;
  const runOnce = async (): Promise<SweepReport | null> => {
    try {
      const report = await sweep(deps);
      totals.runs += 1;
      totals.timedOut += report.timedOut;
      totals.resent += report.resent;
      totals.retriesDispatched += report.retriesDispatched;
      return report;
    } catch (error) {
      totals.failures += 1;
      deps.logger.error('sweep failed; the next one will try again', { error: errorMessage(error) });
      return null;
    }
  };
  const sweepNow = () => (current = current.then(runOnce));
  const schedule = () => {
    if (!stopped) timer = setTimeout(() => void sweepNow().then(schedule), intervalMs);
  };
  schedule();
  return {
    totals: () => ({ ...totals }),
    sweepNow,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
