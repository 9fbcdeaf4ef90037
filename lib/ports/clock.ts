/** The time, injected so that use cases and tests agree on "now". */
export interface Clock {
  now(): Date;
}

/** A source of numbers in [0, 1), injected so backoff jitter can be seeded in tests. */
export interface RandomSource {
  next(): number;
}

/** Waits; injected so use cases that hold a message briefly stay testable. */
export interface Sleeper {
  sleep(ms: number): Promise<void>;
}
