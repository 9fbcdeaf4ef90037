/** Limits of one batch call: at most `maxEntries` items whose sizes add up to at most `maxBytes`. */
export interface BatchLimits {
  readonly maxEntries: number;
  readonly maxBytes: number;
}

/**
 * Splits items into consecutive batches within the limits, keeping their order. Every item must
 * fit on its own (`sizeOf(item) <= maxBytes`); callers refuse larger ones before batching.
 */
export function chunkWithinLimits<T>(items: readonly T[], sizeOf: (item: T) => number, limits: BatchLimits): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let currentBytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length === limits.maxEntries || currentBytes + size > limits.maxBytes) {
      if (current.length > 0) batches.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(item);
    currentBytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** How a batch-sending adapter sends: the service's limits, the size it counts, its own refusal of one item, one batch call. */
export interface BatchSender<T, F> extends BatchLimits {
  sizeOf(item: T): number;
  /** The refusal the service would give this item on its own (too large), without calling it; undefined when it may go. */
  refusalOf(item: T): F | undefined;
  /** Sends one batch within the limits; returns its failures. */
  sendBatch(batch: readonly T[]): Promise<readonly F[]>;
}

/**
 * Sends items in batches within the limits, one batch after another: items the sender refuses on
 * their own are not sent and come back as failures first, then the failures of every batch.
 *
 * @example
 * ```ts
 * const failed = await sendInBatches(messages, { maxEntries: 10, maxBytes: 262_144, sizeOf, refusalOf, sendBatch });
 * ```
 */
export async function sendInBatches<T, F>(items: readonly T[], sender: BatchSender<T, F>): Promise<F[]> {
  const refusals = items.map((item) => sender.refusalOf(item));
  const failed = refusals.filter((r): r is F => r !== undefined);
  const sendable = items.filter((_, i) => refusals[i] === undefined);
  for (const batch of chunkWithinLimits(sendable, (item) => sender.sizeOf(item), sender))
    failed.push(...(await sender.sendBatch(batch)));
  return failed;
}
