export type Sleep = (ms: number) => Promise<void>;

/** How transient send and publish failures are retried: one delay per retry (so delays.length retries). */
export interface RetrySettings {
  readonly delaysMs: readonly number[];
  readonly sleep: Sleep;
}

/** Short delays: a Lambda has seconds, not minutes, and SQS redelivers what we give up on. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [50, 200, 800];

export const timerSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
