import type { Context, SQSEvent } from 'aws-lambda';
import { errorMessage } from '../domain/error-message.js';
import type { Logger } from '../ports/logger.js';
import type { QueueReceiver, ReceivedMessage } from '../ports/message-queue.js';
import { settlesWithin } from '../worker/settles-within.js';
import { timerSleep } from '../ports/retry-settings.js';
import { keptMessages, type InvocationOutcome, type KeptMessages } from './batch-response.js';
import { ConcurrencyPool } from './concurrency-pool.js';
import { LambdaSettingsError } from './errors.js';
import { createLambdaContext } from './lambda-context.js';
import type { LambdaSettings } from './lambda-settings.js';
import { emptyMetrics, type RunnerMetrics } from './runner-metrics.js';
import { silentLogger } from './silent-logger.js';
import { queueArnOf, toSqsRecord } from './sqs-event.js';

/** A function as Lambda calls it for an SQS event (a middy-wrapped handler fits). */
export type SqsLambdaHandler = (event: SQSEvent, context: Context) => Promise<unknown>;

export interface SqsLambdaRunnerOptions {
  readonly queue: QueueReceiver;
  readonly queueUrl: string;
  readonly handler: SqsLambdaHandler;
  readonly settings: LambdaSettings;
  readonly functionName?: string;
  /** The function's concurrency, shared by all of its event sources; default: one from `settings.reservedConcurrency`. */
  readonly concurrency?: ConcurrencyPool;
  /**
   * Pollers when `settings.maxConcurrency` is undefined ("throttle mode": the pollers scale past the
   * reserved concurrency, as Lambda's do). Default max(5, 2 x reserved concurrency).
   */
  readonly pollers?: number;
  /** Long-poll wait of each receive; default 20 s, as Lambda's pollers. */
  readonly waitTimeSeconds?: number;
  /** How long `stop()` waits for running invocations; default 5 s. */
  readonly stopTimeoutMs?: number;
  /** Pause after a failed receive; default 1 s. */
  readonly pollErrorBackoffMs?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
}

const SQS_MAX_RECEIVE = 10;
const WINDOW_POLL_MS = 20;

/**
 * Plays Lambda's SQS event source mapping for one queue and one function, in this process: pollers
 * long-poll the queue, form batches (up to the batch size, waiting up to the batching window),
 * invoke the handler with real SQS records and a Lambda context, and delete or keep the messages as
 * Lambda does. With a maximum concurrency there are min(maxConcurrency, reserved) pollers, each
 * waiting for its invocation, so the function is never throttled; without one, more pollers than
 * reserved slots run and an invocation that finds no free slot is throttled: its messages stay
 * in flight, come back after the visibility timeout with a higher receive count, and can end on
 * the dead-letter queue.
 */
export class SqsLambdaRunner {
  private readonly metricsValue: RunnerMetrics = emptyMetrics();
  private readonly pool: ConcurrencyPool;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly pollerLoops: Promise<void>[] = [];
  private readonly functionName: string;
  private readonly queueArn: string;
  private readonly logger: Logger;
  private readonly now: () => number;
  private running = 0;
  private stopped = false;
  private started = false;

  constructor(private readonly options: SqsLambdaRunnerOptions) {
    this.pool = options.concurrency ?? new ConcurrencyPool(options.settings.reservedConcurrency);
    this.functionName = options.functionName ?? 'local-function';
    this.queueArn = queueArnOf(options.queueUrl);
    this.logger = (options.logger ?? silentLogger).child({
      function_name: this.functionName,
      queue_url: options.queueUrl,
    });
    this.now = options.now ?? Date.now;
    checkSettings(options.settings);
  }

  /** How many pollers run: see the class comment. */
  get pollerCount(): number {
    const { maxConcurrency, reservedConcurrency } = this.options.settings;
    if (maxConcurrency !== undefined)
      return Math.max(1, Math.min(maxConcurrency, reservedConcurrency ?? maxConcurrency));
    return this.options.pollers ?? Math.max(5, 2 * (reservedConcurrency ?? 5));
  }

  start(): this {
    if (this.started) return this;
    this.started = true;
    for (let i = 0; i < this.pollerCount; i += 1) this.pollerLoops.push(this.pollLoop());
    return this;
  }

  metrics(): RunnerMetrics {
    return { ...this.metricsValue, batchSizes: [...this.metricsValue.batchSizes] };
  }

  /**
   * Stops polling and waits (at most `stopTimeoutMs`) for running invocations, including ones past
   * their timeout. Pending long polls are not awaited: a batch they still return is made visible again.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await settlesWithin(Promise.allSettled([...this.inFlight]), this.options.stopTimeoutMs ?? 5_000);
  }

  /**
   * Waits (at most `boundMs`) for the pollers to end after `stop()`: a long poll still under way
   * can receive messages, which the poller then makes visible again. Close the queue client only
   * after this, or those messages stay invisible for their whole visibility timeout.
   */
  async pollsSettled(boundMs: number): Promise<void> {
    await settlesWithin(Promise.allSettled(this.pollerLoops), boundMs);
  }

  private async pollLoop(): Promise<void> {
    while (!this.stopped) {
      const batch = await this.formBatch();
      if (batch.length === 0) continue;
      if (this.stopped) await this.makeVisible(batch);
      else await this.invoke(batch);
    }
  }

  /** One receive, then more until the batch is full or the batching window has passed. */
  private async formBatch(): Promise<ReceivedMessage[]> {
    const { batchSize, maxBatchingWindowMs } = this.options.settings;
    const batch = await this.receive(batchSize, this.options.waitTimeSeconds ?? 20);
    if (batch.length === 0 || maxBatchingWindowMs === 0) return batch;
    const windowEnd = this.now() + maxBatchingWindowMs;
    while (batch.length < batchSize && !this.stopped && this.now() < windowEnd) {
      const waitSeconds = Math.floor((windowEnd - this.now()) / 1000);
      const more = await this.receive(batchSize - batch.length, waitSeconds);
      batch.push(...more);
      if (more.length === 0 && waitSeconds === 0)
        await timerSleep(Math.min(WINDOW_POLL_MS, Math.max(1, windowEnd - this.now())));
    }
    return batch;
  }

  private async receive(wanted: number, waitTimeSeconds: number): Promise<ReceivedMessage[]> {
    try {
      const messages = await this.options.queue.receive(this.options.queueUrl, {
        maxMessages: Math.min(SQS_MAX_RECEIVE, wanted),
        waitTimeSeconds,
      });
      this.metricsValue.messagesReceived += messages.length;
      return messages;
    } catch (error) {
      if (this.stopped) return [];
      this.logger.error('receive failed; polling again after a pause', { error: errorMessage(error) });
      await timerSleep(this.options.pollErrorBackoffMs ?? 1_000);
      return [];
    }
  }

  private async invoke(batch: readonly ReceivedMessage[]): Promise<void> {
    if (!this.pool.tryAcquire()) return this.throttle(batch);
    this.running += 1;
    this.metricsValue.peakConcurrency = Math.max(this.metricsValue.peakConcurrency, this.running);
    this.metricsValue.invocations += 1;
    this.metricsValue.batchSizes.push(batch.length);
    let outcome: InvocationOutcome;
    try {
      outcome = await this.runWithTimeout(batch);
    } finally {
      this.running -= 1;
      this.pool.release();
    }
    await this.settle(batch, outcome);
  }

  private throttle(batch: readonly ReceivedMessage[]): void {
    this.metricsValue.throttles += 1;
    this.metricsValue.messagesKept += batch.length;
    this.logger.warn('invocation throttled: no free concurrency; the messages return after the visibility timeout', {
      reserved_concurrency: this.pool.limit ?? null,
      message_ids: batch.map((m) => m.messageId),
      receive_counts: batch.map((m) => m.receiveCount),
    });
  }

  /** Runs the handler raced against the function timeout; a timed-out run is left to finish on its own (and awaited by stop). */
  private async runWithTimeout(batch: readonly ReceivedMessage[]): Promise<InvocationOutcome> {
    const startedAt = this.now();
    const { timeoutMs } = this.options.settings;
    const context = createLambdaContext({ functionName: this.functionName, timeoutMs, startedAt, now: this.now });
    const event: SQSEvent = { Records: batch.map((m) => toSqsRecord(m, this.queueArn, startedAt)) };
    const run: Promise<InvocationOutcome> = Promise.resolve()
      .then(() => this.options.handler(event, context))
      .then(
        (value) => ({ kind: 'returned' as const, value }),
        (error: unknown) => ({ kind: 'threw' as const, error }),
      );
    this.track(run);
    let timer: NodeJS.Timeout | undefined;
    const expiry = new Promise<InvocationOutcome>(
      (resolve) => (timer = setTimeout(() => resolve({ kind: 'timed_out' }), timeoutMs)),
    );
    const outcome = await Promise.race([run, expiry]);
    clearTimeout(timer);
    return outcome;
  }

  private track(run: Promise<unknown>): void {
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  private async settle(batch: readonly ReceivedMessage[], outcome: InvocationOutcome): Promise<void> {
    if (outcome.kind === 'timed_out') this.metricsValue.timeouts += 1;
    if (outcome.kind === 'threw') this.metricsValue.errors += 1;
    const kept = keptMessages(
      outcome,
      batch.map((m) => m.messageId),
      this.options.settings.reportBatchItemFailures,
    );
    this.logOutcome(outcome, kept, batch.length);
    const toDelete = kept.all ? [] : batch.filter((m) => !kept.ids.has(m.messageId));
    this.metricsValue.messagesKept += batch.length - toDelete.length;
    await Promise.all(toDelete.map((m) => this.delete(m)));
  }

  private logOutcome(outcome: InvocationOutcome, kept: KeptMessages, size: number): void {
    if (outcome.kind === 'timed_out')
      this.logger.error('invocation timed out; its messages return after the visibility timeout', {
        timeout_ms: this.options.settings.timeoutMs,
        batch_size: size,
      });
    else if (outcome.kind === 'threw')
      this.logger.error('invocation failed; its messages return after the visibility timeout', {
        error: errorMessage(outcome.error),
        batch_size: size,
      });
    else if (kept.all)
      this.logger.error('invalid batch response; the whole batch returns after the visibility timeout', {
        reason: kept.reason,
        batch_size: size,
      });
    else if (kept.ids.size > 0)
      this.logger.warn('batch item failures; those messages return after the visibility timeout', {
        failed: kept.ids.size,
        batch_size: size,
      });
  }

  private async delete(message: ReceivedMessage): Promise<void> {
    try {
      await this.options.queue.delete(this.options.queueUrl, message.receiptHandle);
      this.metricsValue.messagesDeleted += 1;
    } catch (error) {
      this.logger.error('delete failed; the message will be delivered again', {
        message_id: message.messageId,
        error: errorMessage(error),
      });
    }
  }

  /** A batch received while stopping goes back at once instead of waiting out its visibility timeout. */
  private async makeVisible(batch: readonly ReceivedMessage[]): Promise<void> {
    await Promise.all(
      batch.map((m) =>
        this.options.queue.changeVisibility(this.options.queueUrl, m.receiptHandle, 0).catch(() => undefined),
      ),
    );
  }
}

function checkSettings(s: LambdaSettings): void {
  const problems: string[] = [];
  if (!(s.timeoutMs > 0)) problems.push(`timeoutMs must be positive (got ${s.timeoutMs})`);
  if (!Number.isInteger(s.batchSize) || s.batchSize < 1)
    problems.push(`batchSize must be a whole number >= 1 (got ${s.batchSize})`);
  if (!(s.maxBatchingWindowMs >= 0)) problems.push(`maxBatchingWindowMs must be >= 0 (got ${s.maxBatchingWindowMs})`);
  if (s.maxConcurrency !== undefined && !(Number.isInteger(s.maxConcurrency) && s.maxConcurrency >= 1))
    problems.push(`maxConcurrency must be a whole number >= 1 (got ${s.maxConcurrency})`);
  if (problems.length > 0) throw new LambdaSettingsError(`invalid Lambda settings: ${problems.join('; ')}`);
}
