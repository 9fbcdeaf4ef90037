// The in-memory adapters' error classes, in one place.

/** Thrown where SQS would answer with an error: unknown queue, bad parameter, stale receipt handle. */
export class MemoryQueueError extends Error {
  override readonly name = 'MemoryQueueError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
