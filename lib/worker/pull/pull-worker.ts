import type { StepDispatchMessage } from '../../contracts/step-dispatch-message.js';
import type { StepStartedMessage } from '../../contracts/step-started-message.js';
import type { StepExecutionResult } from '../../contracts/step-execution-result.js';
import { errorMessage } from '../../domain/error-message.js';
import type { Clock } from '../../ports/clock.js';
import type { EventBus } from '../../ports/event-bus.js';
import type { Logger } from '../../ports/logger.js';
import type { QueueReceiver, QueueSender, ReceivedMessage } from '../../ports/message-queue.js';
import type { Sleep } from '../../ports/retry-settings.js';
import { attemptStart, deliveryOf, dueStartMarker } from '../attempt-start.js';
import { retrySettings, type AnswerDeps } from '../dispatch-deps.js';
import { parseDispatchBody } from '../parse-dispatch-body.js';
import { planDomainEvents } from '../plan-domain-events.js';
import { publishDomainEvents } from '../publish-domain-events.js';
import { sendResult } from '../send-result.js';
import { settlesWithin } from '../settles-within.js';
import { sendStartMarkers } from '../start-markers.js';
import { DispatchQueue } from './dispatch-queue.js';
import {
  eventLogFields,
  isPastDeadline,
  PendingEvents,
  type CompletionRefusal,
  type FinishedAs,
  type PendingEvent,
  type PendingState,
} from './pending-events.js';
import { emptyCounters, pullWorkerMetrics, type HeartbeatReport, type PullWorkerMetrics } from './pull-metrics.js';
import {
  answerConfig,
  heartbeatIntervalMs,
  resolvePullWorkerConfig,
  type PullWorkerConfig,
  type ResolvedPullWorkerConfig,
} from './pull-worker-config.js';
import {
  completionResult,
  polledStepEvent,
  timeoutResult,
  type PolledStepEvent,
  type StepCompletion,
} from './step-event.js';

export type { PolledStepEvent, StepCompletion } from './step-event.js';
export type { HeartbeatReport, PullWorkerMetrics } from './pull-metrics.js';

/** What a pull worker is built from: its ports and settings. */
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

/** How one answer went: the result sent (or not), the state the event was in, and the send's problem (null: sent). */
interface Answer {
  readonly result: StepExecutionResult;
  readonly was: PendingState;
  readonly problem: string | null;
}

/**
 * The pull API over a namespace's dispatch queue, for workers outside Lambda (FfiDispatchChannel
 * in tasker-core). `poll` hands out one step event at a time; `complete(event_id, ...)` answers it
 * once (result to the completion queue first, then the message deleted, then domain events). While
 * an event is pending its message's visibility is extended by a heartbeat; past its deadline the
 * worker sends a `handler_timeout` failure on the handler's behalf. Timers start on the first poll.
 *
 * @example
 * ```ts
 * const worker = new PullWorker({ dispatch: sqs, queue: sqs, bus, clock, logger, config });
 * const event = await worker.poll();
 * if (event) await worker.complete(event.event_id, { status: 'success', result: { done: true } });
 * await worker.close();
 * ```
 */
export class PullWorker {
  private readonly settings: ResolvedPullWorkerConfig;
  /** The shared answering steps' deps: the sender (completion, poison, parked events), bus, clock, logger, retries. */
  private readonly deps: AnswerDeps;
  private readonly dispatch: DispatchQueue;
  private readonly pending = new PendingEvents();
  private readonly counters = emptyCounters();
  /** Domain-event publishing still running after `complete` returned; awaited (bounded) by `close`. */
  private readonly background = new Set<Promise<unknown>>();
  private receiving: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];
  private closing: Promise<void> | undefined;
  private readonly busy = { beat: false, check: false };

  constructor(deps: PullWorkerDeps) {
    this.settings = resolvePullWorkerConfig(deps.config);
    const config = answerConfig(this.settings);
    this.deps = {
      queue: deps.queue,
      bus: deps.bus,
      clock: deps.clock,
      logger: deps.logger,
      config,
      retry: retrySettings(config, deps.sleep),
    };
    this.dispatch = new DispatchQueue(deps.dispatch, this.settings, this.deps);
  }

  /** The settings in force, defaults filled in. */
  get config(): ResolvedPullWorkerConfig {
    return this.settings;
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
    this.receiving ??= this.receive().finally(() => (this.receiving = undefined));
    await this.receiving;
    return this.closing === undefined ? this.handOut() : null;
  }

  /**
   * Answers a handed-out event. True when the result was accepted (sent to the completion queue);
   * false, with a logged reason, for an unknown, already completed, timed-out or closed event, and
   * when the result could not be sent (the event then stays pending: call again). Never throws.
   */
  async complete(eventId: string, completion: StepCompletion): Promise<boolean> {
    const event = this.pending.get(eventId);
    const refusal = this.pending.refusal(eventId, this.closing !== undefined);
    if (refusal !== null || event === undefined) return this.refuse(eventId, event, refusal ?? 'unknown_event');
    if (isPastDeadline(event, this.deps.clock.now())) {
      await this.expire(event);
      return this.refuse(eventId, event, 'timed_out');
    }
    try {
      return await this.answerCompletion(event, completion);
    } catch (error) {
      this.pending.undoAnswer(event, 'handed_out');
      this.deps.logger.error('complete failed unexpectedly', {
        ...eventLogFields(event),
        problem: errorMessage(error),
        stack: (error as Error | null)?.stack,
      });
      return false;
    }
  }

  /**
   * Gives a handed-out (or buffered) event back without answering it: its message becomes visible
   * at once for another worker. False when the event is not pending or is being answered.
   */
  async release(eventId: string): Promise<boolean> {
    const event = this.pending.release(eventId);
    if (event === null) return false;
    await this.makeVisible(event);
    return true;
  }

  /** Answers every event past its deadline with a `handler_timeout` failure; returns how many were answered. */
  async cleanupTimeouts(): Promise<number> {
    const expired = this.pending.expired(this.deps.clock.now());
    const answered = await Promise.all(expired.map((event) => this.expire(event)));
    return answered.filter(Boolean).length;
  }

  /** Warns, once per event, about events received and not answered beyond the starvation threshold; returns how many were new. */
  checkStarvation(): number {
    const now = this.deps.clock.now();
    const threshold = this.settings.starvationWarningThresholdMs;
    const starving = this.pending.newlyStarving(now, threshold);
    for (const event of starving) {
      const fields = {
        ...eventLogFields(event),
        age_ms: now.getTime() - event.receivedAt.getTime(),
        state: event.state,
        starvation_warning_threshold_ms: threshold,
      };
      this.deps.logger.warn('step event starving: received and not answered beyond the starvation threshold', fields);
    }
    return starving.length;
  }

  /**
   * Extends the visibility of every pending message (buffered or running) back to the full visibility
   * timeout, so SQS does not redeliver a message whose handler still runs (the timer does this at a
   * fraction of the visibility timeout). Never throws: a failure is logged and counted; the next beat tries again.
   */
  async heartbeat(): Promise<HeartbeatReport> {
    const outcomes = await Promise.all(this.pending.all().map((event) => this.extend(event)));
    const failed = outcomes.filter((ok) => !ok).length;
    return { extended: outcomes.length - failed, failed };
  }

  /** A snapshot: the totals since the start, and what is pending, how old, whether it starves. */
  metrics(): PullWorkerMetrics {
    return pullWorkerMetrics(
      this.pending.all(),
      this.counters,
      this.deps.clock.now(),
      this.settings.starvationWarningThresholdMs,
    );
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
    const events = this.pending.releaseAll();
    await Promise.all(events.filter((e) => e.state === 'buffered').map((e) => this.makeVisible(e)));
    for (const event of events.filter((e) => e.state !== 'buffered')) {
      this.deps.logger.warn('unfinished step event left for redelivery after its visibility timeout', {
        ...eventLogFields(event),
        state: event.state,
      });
    }
    await settlesWithin(Promise.all([...this.background]), this.settings.callbackTimeoutMs);
  }

  private handOut(): PolledStepEvent | null {
    const event = this.pending.handOut(this.deps.clock.now());
    return event === null ? null : polledStepEvent(event);
  }

  /** Receives a small batch and files each message. A failed receive is logged and counted, and the poll finds nothing. */
  private async receive(): Promise<void> {
    const received = await this.dispatch.receive();
    if (!received.ok) {
      this.counters.receiveErrors += 1;
      return this.deps.logger.error('receiving from the dispatch queue failed', {
        queue_url: this.dispatch.url,
        problem: received.problem,
      });
    }
    const markers = await Promise.all(received.messages.map((message) => this.file(message)));
    await sendStartMarkers(
      markers.filter((m): m is StepStartedMessage => m !== null),
      this.deps,
    );
  }

  /**
   * A valid message becomes a pending event; one no handler can run is turned away at the queue.
   * Returns the start marker a new event calls for (sent for the whole receive, before any hand-out).
   */
  private async file(received: ReceivedMessage): Promise<StepStartedMessage | null> {
    this.counters.received += 1;
    const parsed = parseDispatchBody(received.body);
    if (parsed.kind === 'valid') return this.admit(parsed.message, received);
    this.counters[parsed.kind === 'invalid' ? 'invalid' : 'poisoned'] += 1;
    await this.dispatch.turnAway(received, parsed);
    return null;
  }

  /**
   * Buffers a valid message's event, its time counted from the message's first receive (attempt-start.ts);
   * another delivery of a known event is counted and logged, and a copy deleted.
   */
  private async admit(message: StepDispatchMessage, received: ReceivedMessage): Promise<StepStartedMessage | null> {
    const now = this.deps.clock.now();
    const delivery = deliveryOf(received);
    const start = attemptStart(message, delivery);
    const admission = this.pending.admit(message, received, now, this.settings.completionTimeoutMs, start.deadline);
    if (admission.kind === 'added') return dueStartMarker(message, start, delivery, now, this.settings.workerId);
    this.counters.duplicates += 1;
    if (admission.kind === 'redelivered') {
      this.deps.logger.warn('pending dispatch message delivered again; keeping its newest receipt handle', {
        ...eventLogFields(admission.event),
        receive_count: received.receiveCount,
      });
      return null;
    }
    const problem = await this.dispatch.delete(received.receiptHandle);
    const ids = {
      task_uuid: message.task_uuid,
      step_uuid: message.step_uuid,
      event_id: message.event_id,
      correlation_id: message.correlation_id,
    };
    const finishedAs = this.pending.finished(message.event_id) ?? 'pending';
    this.deps.logger.warn('duplicate dispatch of an event already pending or answered; deleted', {
      ...ids,
      message_id: received.messageId,
      finished_as: finishedAs,
      delete_problem: problem,
    });
    return null;
  }

  /**
   * Answers with the caller's completion. When the send fails after its retries, the event is kept
   * pending (handed out, message undeleted, no events) so `complete` may be called again; the
   * deadline still applies, after which the worker answers with a timeout.
   */
  private async answerCompletion(event: PendingEvent, completion: StepCompletion): Promise<boolean> {
    const { result, problem } = await this.answer(event, 'completed', () =>
      completionResult(event, completion, this.deps),
    );
    const fields = {
      ...eventLogFields(event),
      status: result.status,
      error_type: result.error?.error_type ?? null,
      handler_duration_ms: result.timing.duration_ms,
    };
    if (problem !== null) {
      this.counters.completionSendFailures += 1;
      this.deps.logger.error('completion not sent; the event stays pending and complete may be called again', {
        ...fields,
        problem,
      });
      return false;
    }
    this.counters.completed += 1;
    this.deps.logger.info('step event completed', fields);
    return true;
  }

  /**
   * Answers an event past its deadline on its handler's behalf with a `handler_timeout` failure; a
   * later `complete` is refused. When the send fails the event stays pending and the next check tries again.
   */
  private async expire(event: PendingEvent): Promise<boolean> {
    const { was, problem } = await this.answer(event, 'timed_out', (state) => timeoutResult(event, state, this.deps));
    const fields = {
      ...eventLogFields(event),
      deadline: event.deadline.toISOString(),
      deadline_bound: event.deadlineBound,
      was,
    };
    if (problem !== null) {
      this.deps.logger.error('timeout failure could not be sent; the next check tries again', { ...fields, problem });
      return false;
    }
    this.counters.timedOut += 1;
    this.deps.logger.warn('step event timed out; a handler_timeout failure was sent on its behalf', {
      ...fields,
      error_type: 'handler_timeout',
    });
    return true;
  }

  /**
   * The dual-channel sequence, as in the Lambda path: the event is marked answering and its result
   * (built from the state it was in) goes to the completion queue FIRST; only once it is there is
   * the event finished, its dispatch message deleted, and its domain events published (bounded by
   * the callback timeout). When the send fails nothing else happens: the event goes back to its
   * state, its message undeleted, no event published; `problem` says why.
   */
  private async answer(
    event: PendingEvent,
    as: FinishedAs,
    resultOf: (was: PendingState) => StepExecutionResult,
  ): Promise<Answer> {
    const was = this.pending.beginAnswer(event);
    const result = resultOf(was);
    const problem = await sendResult(result, this.deps);
    if (problem !== null) {
      this.pending.undoAnswer(event, was);
      return { result, was, problem };
    }
    this.pending.finish(event.eventId, as);
    const logger = this.deps.logger.child(eventLogFields(event));
    const undeleted = await this.dispatch.delete(event.receiptHandle);
    if (undeleted !== null)
      logger.warn('dispatch message not deleted after its result was sent; SQS will redeliver it', {
        problem: undeleted,
      });
    await this.publishWithinCallbackTimeout(event, result, logger);
    return { result, was, problem: null };
  }

  private async publishWithinCallbackTimeout(
    event: PendingEvent,
    result: StepExecutionResult,
    logger: Logger,
  ): Promise<void> {
    const plan = planDomainEvents(event.message, result, this.deps.clock.now());
    if (plan.publish.length === 0 && plan.refused.length === 0) return;
    const publishing = publishDomainEvents(plan, { ...this.deps, logger, dlqUrl: this.deps.config.domainEventDlqUrl })
      .then((report) =>
        logger.debug('domain events answered', {
          outcome: plan.outcome,
          events_published: report.published,
          events_parked: report.parked,
          events_logged: report.logged,
        }),
      )
      .catch((error: unknown) =>
        logger.error('domain event publishing failed unexpectedly', {
          problem: errorMessage(error),
          stack: (error as Error | null)?.stack,
        }),
      )
      .finally(() => this.background.delete(publishing));
    this.background.add(publishing);
    if (await settlesWithin(publishing, this.settings.callbackTimeoutMs)) return;
    this.counters.callbackTimeouts += 1;
    logger.warn('domain event publishing outlasted the callback timeout; it goes on in the background', {
      callback_timeout_ms: this.settings.callbackTimeoutMs,
    });
  }

  /** One heartbeat of one event: false when its visibility could not be extended (an event answered meanwhile does not count). */
  private async extend(event: PendingEvent): Promise<boolean> {
    const problem = await this.dispatch.changeVisibility(event.receiptHandle, this.settings.visibilityTimeoutSeconds);
    if (problem === null || !this.pending.holds(event)) return true;
    this.counters.heartbeatFailures += 1;
    this.deps.logger.warn('heartbeat could not extend the message visibility; SQS may redeliver it', {
      ...eventLogFields(event),
      problem,
    });
    return false;
  }

  private async makeVisible(event: PendingEvent): Promise<void> {
    const problem = await this.dispatch.changeVisibility(event.receiptHandle, 0);
    if (problem === null) this.deps.logger.info('step event released for redelivery', eventLogFields(event));
    else
      this.deps.logger.warn('could not release the message; it becomes visible after its visibility timeout', {
        ...eventLogFields(event),
        problem,
      });
  }

  private startTimers(): void {
    if (this.timers.length > 0) return;
    this.timers = [
      setInterval(() => void this.once('beat', () => this.heartbeat()), heartbeatIntervalMs(this.settings)),
      setInterval(() => void this.once('check', () => this.maintain()), this.settings.timeoutCheckIntervalMs),
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
      this.deps.logger.error(`pull worker ${job === 'beat' ? 'heartbeat' : 'timeout check'} failed`, {
        problem: errorMessage(error),
      });
    } finally {
      this.busy[job] = false;
    }
  }

  private refuse(eventId: string, event: PendingEvent | undefined, reason: CompletionRefusal): false {
    this.counters.refusedCompletions += 1;
    const ids = event === undefined ? { event_id: eventId } : eventLogFields(event);
    this.deps.logger.warn('complete refused', { ...ids, reason });
    return false;
  }
}
