import type { Clock } from '../../ports/clock.js';
import type { EventBus } from '../../ports/event-bus.js';
import type { Logger } from '../../ports/logger.js';
import type { QueueReceiver, QueueSender } from '../../ports/message-queue.js';
import { resolveDeps } from '../dispatch-deps.js';
import { createHandlerRegistry } from '../handler-registry.js';
import type { Sleep } from '../../ports/retry-settings.js';
import { completeEvent } from './complete-event.js';
import { completionRefusal, type CompletionRefusal } from './completion-refusal.js';
import { expireEvent } from './expire-event.js';
import { heartbeat, type HeartbeatReport } from './heartbeat.js';
import { eventLogFields, isPastDeadline, type PendingEvent } from './pending-event.js';
import { PendingEvents } from './pending-events.js';
import { polledStepEvent, type PolledStepEvent } from './polled-step-event.js';
import type { PullContext } from './pull-context.js';
import { emptyCounters, pullWorkerMetrics, type PullWorkerMetrics } from './pull-metrics.js';
import { heartbeatIntervalMs, resolvePullWorkerConfig, sharedWorkerConfig, type PullWorkerConfig } from './pull-worker-config.js';
import { receiveDispatch } from './receive-dispatch.js';
import { settlesWithin } from './settles-within.js';
import type { StepCompletion } from './step-completion.js';

export interface PullWorkerDeps {
  /** The namespace's dispatch queue: receive, ChangeMessageVisibility (heartbeat), delete. */
  readonly dispatch: QueueReceiver;
  /** Sends results (completion queue), poison entries and parked domain events. */
  readonly queue: QueueSender;
  readonly bus: EventBus;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly config: PullWorkerConfig;
  /** Waits between retries of a failed send, publish or delete; a timer by default. */
  readonly sleep?: Sleep;
}

/**
 * The pull API over a namespace's dispatch queue, for workers outside Lambda (FfiDispatchChannel
 * in tasker-core). `poll` hands out one step event at a time; `complete(event_id, ...)` answers it
 * once (result to the completion queue first, then the message deleted, then domain events). While
 * an event is pending its message's visibility is extended by a heartbeat; past its deadline the
 * worker sends a `handler_timeout` failure on the handler's behalf. Timers start on the first poll.
 */
export class PullWorker {
  private readonly ctx: PullContext;
  private receiving: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];
  private closing: Promise<void> | undefined;
  private readonly busy = { beat: false, check: false };

  constructor(deps: PullWorkerDeps) {
    const config = resolvePullWorkerConfig(deps.config);
    const shared = { queue: deps.queue, bus: deps.bus, clock: deps.clock, logger: deps.logger, sleep: deps.sleep };
    const recordDeps = resolveDeps({ ...shared, handlers: createHandlerRegistry({}), config: sharedWorkerConfig(config), remainingTimeMs: () => Number.POSITIVE_INFINITY });
    this.ctx = { deps: recordDeps, dispatch: deps.dispatch, config, pending: new PendingEvents(), counters: emptyCounters(), background: new Set() };
  }

  /** The settings in force, defaults filled in. */
  get config(): PullContext['config'] {
    return this.ctx.config;
  }

  /**
   * The next step event, or null when none arrived within the short wait (at most 1 s, 0 allowed).
   * Extras of a batch are buffered (and heartbeated) for the next polls. Never throws.
   */
  async poll(): Promise<PolledStepEvent | null> {
    if (this.closing !== undefined) return null;
    this.startTimers();
    const ready = this.handOut();
    if (ready !== null) return ready;
    this.receiving ??= receiveDispatch(this.ctx).finally(() => (this.receiving = undefined));
    await this.receiving;
    return this.closing === undefined ? this.handOut() : null;
  }

  /**
   * Answers a handed-out event. True when the result was accepted (sent to the completion queue);
   * false, with a logged reason, for an unknown, already completed, timed-out or closed event, and
   * when the result could not be sent (the event then stays pending: call again). Never throws.
   */
  async complete(eventId: string, completion: StepCompletion): Promise<boolean> {
    const event = this.ctx.pending.get(eventId);
    const refusal = completionRefusal(eventId, event, this.ctx.pending, this.closing !== undefined);
    if (refusal !== null || event === undefined) return this.refuse(eventId, event, refusal ?? 'unknown_event');
    if (isPastDeadline(event, this.ctx.deps.clock.now())) {
      await expireEvent(event, this.ctx);
      return this.refuse(eventId, event, 'timed_out');
    }
    try {
      return await completeEvent(event, completion, this.ctx);
    } catch (error) {
      if (event.state === 'answering') event.state = 'handed_out';
      this.ctx.deps.logger.error('complete failed unexpectedly', { ...eventLogFields(event), problem: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      return false;
    }
  }

  /**
   * Gives a handed-out (or buffered) event back without answering it: its message becomes visible
   * at once for another worker. False when the event is not pending or is being answered.
   */
  async release(eventId: string): Promise<boolean> {
    const event = this.ctx.pending.get(eventId);
    if (event === undefined || event.state === 'answering') return false;
    this.ctx.pending.remove(eventId);
    await this.makeVisible(event);
    return true;
  }

  /** Answers every event past its deadline with a `handler_timeout` failure; returns how many were answered. */
  async cleanupTimeouts(): Promise<number> {
    const expired = this.ctx.pending.expired(this.ctx.deps.clock.now());
    const answered = await Promise.all(expired.map((event) => expireEvent(event, this.ctx)));
    return answered.filter(Boolean).length;
  }

  /** Warns, once per event, about events received and not answered beyond the starvation threshold; returns how many were new. */
  checkStarvation(): number {
    const now = this.ctx.deps.clock.now().getTime();
    const threshold = this.ctx.config.starvationWarningThresholdMs;
    const starving = this.ctx.pending.all().filter((e) => !e.starvationWarned && now - e.receivedAt.getTime() > threshold);
    for (const event of starving) {
      event.starvationWarned = true;
      const fields = { ...eventLogFields(event), age_ms: now - event.receivedAt.getTime(), state: event.state, starvation_warning_threshold_ms: threshold };
      this.ctx.deps.logger.warn('step event starving: received and not answered beyond the starvation threshold', fields);
    }
    return starving.length;
  }

  /** Extends the visibility of every pending message once (the timer does this at a fraction of the visibility timeout). */
  heartbeat(): Promise<HeartbeatReport> {
    return heartbeat(this.ctx);
  }

  metrics(): PullWorkerMetrics {
    return pullWorkerMetrics(this.ctx.pending.all(), this.ctx.counters, this.ctx.deps.clock.now(), this.ctx.config.starvationWarningThresholdMs);
  }

  /**
   * Stops polling and the timers. Buffered events are made visible again at once; handed-out ones
   * are left undeleted, so SQS redelivers them after their visibility timeout; domain-event
   * publishing still running is awaited up to the callback timeout. `complete` is refused from now on.
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.receiving;
    const events = this.ctx.pending.all();
    this.ctx.pending.clear();
    await Promise.all(events.filter((e) => e.state === 'buffered').map((e) => this.makeVisible(e)));
    for (const event of events.filter((e) => e.state !== 'buffered')) {
      this.ctx.deps.logger.warn('unfinished step event left for redelivery after its visibility timeout', { ...eventLogFields(event), state: event.state });
    }
    await settlesWithin(Promise.all([...this.ctx.background]), this.ctx.config.callbackTimeoutMs);
  }

  private handOut(): PolledStepEvent | null {
    const event = this.ctx.pending.handOut(this.ctx.deps.clock.now());
    return event === null ? null : polledStepEvent(event);
  }

  private refuse(eventId: string, event: PendingEvent | undefined, reason: CompletionRefusal): false {
    this.ctx.counters.refusedCompletions += 1;
    const ids = event === undefined ? { event_id: eventId } : eventLogFields(event);
    this.ctx.deps.logger.warn('complete refused', { ...ids, reason });
    return false;
  }

  private async makeVisible(event: PendingEvent): Promise<void> {
    try {
      await this.ctx.dispatch.changeVisibility(this.ctx.config.dispatchQueueUrl, event.receiptHandle, 0);
      this.ctx.deps.logger.info('step event released for redelivery', eventLogFields(event));
    } catch (error) {
      const problem = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      this.ctx.deps.logger.warn('could not release the message; it becomes visible after its visibility timeout', { ...eventLogFields(event), problem });
    }
  }

  private startTimers(): void {
    if (this.timers.length > 0) return;
    this.timers = [
      setInterval(() => void this.once('beat', () => this.heartbeat()), heartbeatIntervalMs(this.ctx.config)),
      setInterval(() => void this.once('check', () => this.maintain()), this.ctx.config.timeoutCheckIntervalMs),
    ];
    for (const timer of this.timers) timer.unref();
  }

  private async maintain(): Promise<void> {
    await this.cleanupTimeouts();
    this.checkStarvation();
  }

  /** Runs a timer's job unless its previous run is still going; a job never throws into the timer. */
  private async once(job: 'beat' | 'check', run: () => Promise<unknown>): Promise<void> {
    if (this.busy[job]) return;
    this.busy[job] = true;
    try {
      await run();
    } catch (error) {
      this.ctx.deps.logger.error(`pull worker ${job === 'beat' ? 'heartbeat' : 'timeout check'} failed`, { problem: error instanceof Error ? error.message : String(error) });
    } finally {
      this.busy[job] = false;
    }
  }
}
