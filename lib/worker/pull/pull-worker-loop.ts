import { errorMessage } from '../../domain/error-message.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import { executeStep } from '../execute-step.js';
import type { HandlerMap } from '../handler-api.js';
import { createHandlerRegistry, type HandlerRegistry } from '../handler-registry.js';
import { settlesWithin } from '../settles-within.js';
import { PullWorkerConfigError } from './pull-worker-config.js';
import type { PullWorker } from './pull-worker.js';
import type { PolledStepEvent } from './step-event.js';

/** A pause after a poll that came back empty quickly (a 0 s wait, a failed receive), so the loop never spins. */
export const DEFAULT_IDLE_PAUSE_MS = 200;

/** What a loop runs: the worker it polls and completes, the handlers, and how many run at once. */
export interface PullWorkerLoopOptions {
  readonly worker: Pick<PullWorker, 'poll' | 'complete' | 'release' | 'close'>;
  /** Handlers by `handler.callable`; a message naming none of them is answered `handler_not_found`. */
  readonly handlers: HandlerMap;
  /** Handlers running at once, at most (the semaphore of TAS-67's HandlerDispatchService). */
  readonly concurrency: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly idlePauseMs?: number;
}

/** How a graceful shutdown went. */
export interface DrainReport {
  /** True when every running handler finished (and was answered) within the drain timeout. */
  readonly drained: boolean;
  /** Handlers that were running when the drain began and finished during it. */
  readonly finished: number;
  /** Events whose handlers were still running: left undeleted, SQS redelivers them after their visibility timeout. */
  readonly unfinished: readonly string[];
}

/**
 * Runs handlers through `poll`/`complete` with at most `concurrency` at once: polls only while a
 * slot is free, runs each handler raced against its event's deadline, and completes it.
 */
export class PullWorkerLoop {
  private readonly registry: HandlerRegistry;
  private readonly running = new Map<string, Promise<void>>();
  private readonly idlePauseMs: number;
  private stopping = false;
  private stop: () => void = () => undefined;
  private readonly stopped = new Promise<void>((resolve) => (this.stop = resolve));
  private loop: Promise<void> | undefined;

  constructor(private readonly options: PullWorkerLoopOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new PullWorkerConfigError(`concurrency must be a positive integer, got ${options.concurrency}`);
    }
    this.registry = createHandlerRegistry(options.handlers);
    this.idlePauseMs = options.idlePauseMs ?? DEFAULT_IDLE_PAUSE_MS;
  }

  /** Starts polling in the background; a second call does nothing. */
  start(): void {
    this.loop ??= this.run();
  }

  /** Event ids whose handlers are running now. */
  inFlight(): string[] {
    return [...this.running.keys()];
  }

  /**
   * Graceful shutdown: stops polling, waits up to `timeoutMs` for running handlers to finish and be
   * completed, then closes the worker. Unfinished events are not deleted: SQS redelivers them.
   */
  async drain(timeoutMs: number): Promise<DrainReport> {
    this.stopping = true;
    this.stop();
    const atStart = this.running.size;
    const drained = await settlesWithin(Promise.all([this.loop, ...this.running.values()]), timeoutMs);
    const unfinished = this.inFlight();
    await this.options.worker.close();
    const report = { drained, finished: atStart - unfinished.length, unfinished };
    this.options.logger.info('pull worker drained', { drain_timeout_ms: timeoutMs, ...report });
    return report;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      if (this.running.size >= this.options.concurrency) {
        await Promise.race([this.stopped, ...this.running.values()]);
        continue;
      }
      const startedMs = this.options.clock.now().getTime();
      const event = await this.pollSafely();
      if (event !== null && this.stopping) await this.options.worker.release(event.event_id);
      else if (event !== null) this.launch(event);
      else await this.pause(startedMs);
    }
  }

  private launch(event: PolledStepEvent): void {
    const run = this.runHandler(event).finally(() => this.running.delete(event.event_id));
    this.running.set(event.event_id, run);
  }

  private async runHandler(event: PolledStepEvent): Promise<void> {
    const { clock } = this.options;
    const logger = this.options.logger.child({
      task_uuid: event.task_uuid,
      step_uuid: event.step_uuid,
      event_id: event.event_id,
      correlation_id: event.correlation_id,
      step_name: event.step_name,
    });
    try {
      const deadline = {
        at: event.deadline,
        budgetMs: event.deadline.getTime() - clock.now().getTime(),
        bound: event.deadline_bound,
      };
      const outcome = await executeStep({ message: event.dispatch, registry: this.registry, deadline, clock, logger });
      const accepted = await this.options.worker.complete(event.event_id, outcome);
      logger.debug('step handler finished', { status: outcome.status, completion_accepted: accepted });
    } catch (error) {
      logger.error('running the step handler failed unexpectedly; the worker answers it at its deadline', {
        problem: errorMessage(error),
        stack: (error as Error | null)?.stack,
      });
    }
  }

  private async pollSafely(): Promise<PolledStepEvent | null> {
    try {
      return await this.options.worker.poll();
    } catch (error) {
      this.options.logger.error('poll failed unexpectedly', { problem: errorMessage(error) });
      return null;
    }
  }

  /** After an empty poll that took less than the idle pause, waits out the rest (or until stopped). */
  private async pause(startedMs: number): Promise<void> {
    const left = this.idlePauseMs - (this.options.clock.now().getTime() - startedMs);
    if (left <= 0 || this.stopping) return;
    let timer: NodeJS.Timeout | undefined;
    const elapsed = new Promise<void>((resolve) => (timer = setTimeout(resolve, left)));
    await Promise.race([elapsed, this.stopped]);
    clearTimeout(timer);
  }
}
