import type { EventBusEntry } from '../../lib/contracts/domain-event.js';
import type { EventBus, PublishOutcome } from '../../lib/ports/event-bus.js';
import type {
  MessageQueue,
  OutgoingMessage,
  ReceiveOptions,
  ReceivedMessage,
  SendOutcome,
} from '../../lib/ports/message-queue.js';
import type { HandlerMap, StepHandlerInput } from '../../lib/worker/handler-api.js';

/** One run of a handler, as the handler itself saw it. */
export interface HandlerRun {
  readonly eventId: string;
  readonly taskUuid: string;
  readonly stepName: string;
  readonly namespace: string;
  readonly attempt: number;
  /** Which function (or worker) ran it, as the wrapper was labelled. */
  readonly runner: string | undefined;
  readonly startedAt: number;
  endedAt: number | undefined;
}

/**
 * Wraps handlers to observe them from the inside: every run (so a test counts how often a step's
 * handler ran) and how many ran at once per namespace (so a cap is observed, not assumed).
 */
export class HandlerProbe {
  readonly runs: HandlerRun[] = [];
  private readonly running = new Map<string, number>();
  private readonly peaks = new Map<string, number>();

  /** The handlers, observed; `runner` labels the runs (the function they are given to). */
  wrap(handlers: HandlerMap, runner?: string): HandlerMap {
    return Object.fromEntries(
      Object.entries(handlers).map(([name, handler]) => [
        name,
        (input: StepHandlerInput) => this.observe(input, runner, () => handler(input)),
      ]),
    );
  }

  /** The most handlers of `namespace` running at once so far. */
  peak(namespace: string): number {
    return this.peaks.get(namespace) ?? 0;
  }

  /** The most of the given runs that overlapped in time (a run that ended at the instant another began does not count as overlapping). */
  static overlap(runs: readonly HandlerRun[]): number {
    const edges = runs.flatMap(
      (r) =>
        [
          [r.startedAt, 1],
          [r.endedAt ?? Number.POSITIVE_INFINITY, -1],
        ] as const,
    );
    edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let now = 0;
    let peak = 0;
    for (const [, delta] of edges) peak = Math.max(peak, (now += delta));
    return peak;
  }

  runsOf(eventId: string): HandlerRun[] {
    return this.runs.filter((r) => r.eventId === eventId);
  }

  runsOfTask(taskUuid: string): HandlerRun[] {
    return this.runs.filter((r) => r.taskUuid === taskUuid);
  }

  private async observe(input: StepHandlerInput, runner: string | undefined, run: () => unknown): Promise<unknown> {
    const { namespace } = input.step;
    const record: HandlerRun = {
      eventId: input.step.eventId,
      taskUuid: input.step.taskUuid,
      stepName: input.step.stepName,
      namespace,
      attempt: input.attempt,
      runner,
      startedAt: Date.now(),
      endedAt: undefined,
    };
    this.runs.push(record);
    const now = (this.running.get(namespace) ?? 0) + 1;
    this.running.set(namespace, now);
    this.peaks.set(namespace, Math.max(this.peak(namespace), now));
    try {
      return await run();
    } finally {
      record.endedAt = Date.now();
      this.running.set(namespace, (this.running.get(namespace) ?? 1) - 1);
    }
  }
}

/** A message a worker put on the completion queue (the send had succeeded when `sentAt` was taken). */
export interface CompletionSend {
  readonly eventId: string;
  readonly messageType: string;
  readonly body: string;
  readonly sentAt: number;
}

/** Passes everything to the real queue and records each message that reached the completion queue. */
export class RecordingQueue implements MessageQueue {
  readonly completionSends: CompletionSend[] = [];

  constructor(
    private readonly inner: MessageQueue,
    private readonly completionQueueUrl: string,
  ) {}

  async send(queueUrl: string, messages: readonly OutgoingMessage[]): Promise<SendOutcome> {
    const outcome = await this.inner.send(queueUrl, messages);
    if (queueUrl !== this.completionQueueUrl) return outcome;
    const sentAt = Date.now();
    const failed = new Set(outcome.failed.map((f) => f.id));
    for (const message of messages.filter((m) => !failed.has(m.id))) {
      const body = JSON.parse(message.body) as { event_id?: string; message_type?: string };
      this.completionSends.push({
        eventId: body.event_id ?? '',
        messageType: body.message_type ?? '',
        body: message.body,
        sentAt,
      });
    }
    return outcome;
  }

  receive(queueUrl: string, options: ReceiveOptions): Promise<ReceivedMessage[]> {
    return this.inner.receive(queueUrl, options);
  }

  delete(queueUrl: string, receiptHandle: string): Promise<void> {
    return this.inner.delete(queueUrl, receiptHandle);
  }

  changeVisibility(queueUrl: string, receiptHandle: string, visibilityTimeoutSeconds: number): Promise<void> {
    return this.inner.changeVisibility(queueUrl, receiptHandle, visibilityTimeoutSeconds);
  }
}

/** A domain event handed to the bus: when its PutEvents began, and the dispatch attempt it describes. */
export interface PublishRecord {
  readonly sourceEventId: string;
  readonly eventName: string;
  readonly startedAt: number;
}

/** Passes entries to the real bus and records when each domain event's publish began. */
export class RecordingBus implements EventBus {
  readonly publishes: PublishRecord[] = [];

  constructor(private readonly inner: EventBus) {}

  publish(entries: readonly EventBusEntry[]): Promise<PublishOutcome> {
    const startedAt = Date.now();
    for (const entry of entries) {
      const detail = JSON.parse(entry.Detail) as { event_name?: string; metadata?: { source_event_id?: string } };
      if (detail.metadata?.source_event_id)
        this.publishes.push({
          sourceEventId: detail.metadata.source_event_id,
          eventName: detail.event_name ?? '',
          startedAt,
        });
    }
    return this.inner.publish(entries);
  }
}
