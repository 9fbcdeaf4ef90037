/** What a runner observed; counts since it started. */
export interface RunnerMetrics {
  /** Invocations that got a concurrency slot and ran. */
  invocations: number;
  /** Invocations refused for want of a free concurrency slot; their messages stayed on the queue. */
  throttles: number;
  /** Invocations still running at the function timeout; their messages stayed on the queue. */
  timeouts: number;
  /** Invocations whose handler threw; their messages stayed on the queue. */
  errors: number;
  /** The most invocations running at once. */
  peakConcurrency: number;
  messagesReceived: number;
  messagesDeleted: number;
  /** Messages left on the queue after an invocation (throttled, failed, timed out, or listed as batch item failures). */
  messagesKept: number;
  /** Size of every invoked batch, in order. */
  batchSizes: number[];
}

export function emptyMetrics(): RunnerMetrics {
  return {
    invocations: 0,
    throttles: 0,
    timeouts: 0,
    errors: 0,
    peakConcurrency: 0,
    messagesReceived: 0,
    messagesDeleted: 0,
    messagesKept: 0,
    batchSizes: [],
  };
}

/** Several runners of one function (one per event source), added up; the peak is the shared pool's. */
export function sumMetrics(all: readonly RunnerMetrics[], peakConcurrency?: number): RunnerMetrics {
  const total = emptyMetrics();
  for (const m of all) {
    for (const key of [
      'invocations',
      'throttles',
      'timeouts',
      'errors',
      'messagesReceived',
      'messagesDeleted',
      'messagesKept',
    ] as const)
      total[key] += m[key];
    total.batchSizes.push(...m.batchSizes);
    total.peakConcurrency = Math.max(total.peakConcurrency, m.peakConcurrency);
  }
  if (peakConcurrency !== undefined) total.peakConcurrency = peakConcurrency;
  return total;
}
