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

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
