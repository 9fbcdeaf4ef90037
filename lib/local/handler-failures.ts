import { fileURLToPath } from 'node:url';
import type { HandlerMap, StepHandler, StepHandlerInput } from '../worker/handler-api.js';

/**
 * A step handler's thrown error as the local runtime saw it: its stack stays on this machine (the
 * step result's error carries the message and code only — see HandlerFailureLog).
 */
export interface HandlerFailure {
  readonly taskUuid: string;
  readonly stepName: string;
  readonly attempt: number;
  readonly eventId: string;
  readonly message: string;
  /** `Name: message` and the first STACK_FRAMES frames, as Node prints a stack. */
  readonly stack: string;
}

/** Frames kept of a handler's stack: enough to find the throw, short enough for a summary. */
export const STACK_FRAMES = 8;
/** Tasks whose failures are kept (a long `tasker dev` forgets the oldest). */
const MAX_TASKS = 1_000;

/**
 * Records the stack of every error a step handler throws, by task, step and attempt, and logs it at
 * debug level on the step's logger. The handlers are wrapped, not changed: the error is rethrown
 * and the step handler turns it into its failure result as before.
 *
 * Why not in the result: StepExecutionResult's `error` (lib/contracts/step-execution-result.ts) is
 * a closed schema (error_type, message, retryable, retry_after_ms, code) shared with pull workers
 * in other languages and published as JSON Schema; a stack is a local debugging aid, so it stays here.
 *
 * @example
 * ```ts
 * const failures = new HandlerFailureLog();
 * createStepHandlerLambda(failures.wrap(handlers), deps);
 * failures.of(taskUuid); // [{ stepName: 'charge', attempt: 1, stack: 'Error: declined\n    at charge (handlers.ts:12:11)…' }]
 * ```
 */
export class HandlerFailureLog {
  private readonly byTask = new Map<string, HandlerFailure[]>();

  wrap(handlers: HandlerMap): HandlerMap {
    return Object.fromEntries(Object.entries(handlers).map(([callable, handler]) => [callable, this.wrapOne(handler)]));
  }

  /** The failures recorded for a task, in the order they happened. */
  of(taskUuid: string): readonly HandlerFailure[] {
    return this.byTask.get(taskUuid) ?? [];
  }

  private wrapOne(handler: StepHandler): StepHandler {
    return async (input) => {
      try {
        return await handler(input);
      } catch (thrown) {
        if (thrown instanceof Error) this.record(input, thrown);
        throw thrown;
      }
    };
  }

  private record(input: StepHandlerInput, error: Error): void {
    const failure: HandlerFailure = {
      taskUuid: input.step.taskUuid,
      stepName: input.step.stepName,
      attempt: input.attempt,
      eventId: input.step.eventId,
      message: error.message,
      stack: firstFrames(error),
    };
    input.logger.debug('step handler threw', { error: error.message, stack: failure.stack });
    const list = this.byTask.get(failure.taskUuid) ?? [];
    if (list.length === 0) this.forgetOldest();
    this.byTask.set(failure.taskUuid, [...list, failure]);
  }

  private forgetOldest(): void {
    if (this.byTask.size < MAX_TASKS) return;
    const oldest = this.byTask.keys().next().value;
    if (oldest !== undefined) this.byTask.delete(oldest);
  }
}

/** This module's file: frames from here on are the engine calling the handler, not the handler. */
const SELF = fileURLToPath(import.meta.url);

/** `Name: message` and the first `max` `at …` lines of an error's stack, up to the engine's own frames. */
export function firstFrames(error: Error, max = STACK_FRAMES): string {
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  const engine = frames.findIndex((line) => line.includes(SELF));
  return [`${error.name}: ${error.message}`, ...frames.slice(0, engine === -1 ? max : Math.min(engine, max))].join(
    '\n',
  );
}
