import { emptyResult, withDatabase, type BenchResult, type Setup, type Sizes } from './context.js';
import { batchTemplate, fanOutTemplate } from './templates.js';
import { addRun, FAN_OUT_MS_PER_STEP, loadRun, measured } from './throughput.js';

/**
 * A batch task beside a static fan-out (issue 15): one task `list → batchWidth instances of work →
 * join`, its instances created by the batchable step's result, then the static 1→N→1 fan-out of
 * the first `fanOutWidths` in the same run, so their steps per second are read side by side.
 * Steps per second = the task's steps (2 + width) ÷ (task.completed − create call).
 */
export async function batchThroughput(setup: Setup, sizes: Sizes): Promise<BenchResult> {
  const result = emptyResult();
  const width = sizes.batchWidth;
  const batch = batchTemplate(width);
  const steps = width + 2;
  const maxMs = Math.max(sizes.throughputMaxMs, steps * FAN_OUT_MS_PER_STEP);
  const batchRun = await withDatabase(setup, (db) =>
    measured(db, setup, () => loadRun(db, setup, batch, 1, steps, maxMs)),
  );
  addRun(result, setup, `batch-${width}`, `batch 1→${width}→1 (one task)`, batchRun);
  const fanWidth = sizes.fanOutWidths[0] ?? 500;
  const fanOut = fanOutTemplate(fanWidth);
  const fanRun = await withDatabase(setup, (db) =>
    measured(db, setup, () => loadRun(db, setup, fanOut, 1, fanOut.steps.length, maxMs)),
  );
  addRun(result, setup, `fan-out-${fanWidth}`, `fan-out 1→${fanWidth}→1 (one task)`, fanRun);
  return result;
}
