import type { Logger } from '../ports/logger.js';

// The errors a handler throws (and the reason its signal is aborted with) belong to its API.
export {
  PermanentError,
  RetryableError,
  HandlerTimeoutError,
  type PermanentErrorOptions,
  type RetryableErrorOptions,
} from './errors.js';

/** Which batch an instance of a `batch_worker` step runs (issue 15). */
export interface BatchInput {
  /** From 0: instance `index` of `count`. */
  readonly index: number;
  readonly count: number;
  /** The batch's cursor, as the batchable step returned it. */
  readonly cursor: unknown;
  /** The cursor the last failed attempt of this instance saved with `checkpoint`; null when none: start from `cursor`. */
  readonly checkpoint: unknown;
}

/** What a step handler is given for one attempt of one step. */
export interface StepHandlerInput {
  /** The task's context (its input), as given when the task was created. */
  context: Record<string, unknown>;
  /** The step's `handler.initialization` from the task template. */
  config: Record<string, unknown>;
  /**
   * Results of the step's direct dependencies, by step name. A skipped dependency is left out; a
   * batch worker's results are one array, in batch order.
   */
  dependencyResults: Record<string, unknown>;
  /** On an instance of a `batch_worker` step: its batch; absent on every other step. */
  batch?: BatchInput;
  /**
   * Saves how far this attempt got (any JSON value). When the attempt then fails, the retry of the
   * instance is given it as `batch.checkpoint`. The last call wins; a no-op outside a batch worker.
   *
   * @example
   * for (const id of ids.slice(start)) { await work(id); checkpoint({ after: id }); }
   */
  checkpoint: (cursor: unknown) => void;
  /** This attempt, counting from 1. */
  attempt: number;
  maxAttempts: number;
  /** Aborted (with a HandlerTimeoutError as its reason) when the deadline passes. */
  signal: AbortSignal;
  /** The instant after which the attempt counts as timed out. */
  deadline: Date;
  step: {
    taskUuid: string;
    stepUuid: string;
    stepName: string;
    namespace: string;
    eventId: string;
    correlationId: string;
  };
  /** A logger already carrying the task, step, event and correlation ids. */
  logger: Logger;
}

/**
 * A step handler: returns a JSON-serialisable result (undefined becomes null) or throws.
 * PermanentError: never retried. RetryableError: retried (after `retryAfterMs` when given).
 * Any other Error: a retryable `handler_error`.
 */
export type StepHandler = (input: StepHandlerInput) => unknown | Promise<unknown>;

/** Handlers by their `handler.callable` name. */
export type HandlerMap = Record<string, StepHandler>;
