import { vi } from 'vitest';
import { MemoryQueue } from '../../../../lib/adapters/memory/memory-queue.js';
import type { StepDispatchMessage } from '../../../../lib/contracts/step-dispatch-message.js';
import type { Clock } from '../../../../lib/ports/clock.js';
import type { QueueReceiver, ReceiveOptions } from '../../../../lib/ports/message-queue.js';
import type { PullWorkerConfig } from '../../../../lib/worker/pull/pull-worker-config.js';
import { PullWorker } from '../../../../lib/worker/pull/pull-worker.js';
import { QUEUES, SHIPMENT, dispatchMessage } from '../../../helpers/dispatch-fixtures.js';
import { FakeEventBus } from '../../../helpers/fake-event-bus.js';
import { FakeQueueSender } from '../../../helpers/fake-queue-sender.js';
import { RecordingLogger } from '../../../helpers/recording-logger.js';

/** The fixture's dispatch instant plus 80 ms: where every pull test's fake time starts. */
export const START = '2025-12-07T10:15:30.200Z';
/** Far enough that the step timeout (10 s from receipt) is what binds. */
export const LATE_DEADLINE = '2025-12-07T11:00:00.000Z';

/** A successful completion with the fixture's shipment. */
export const SHIPPED = { status: 'success', result: SHIPMENT } as const;

/** The process's clock: moves with vitest's fake timers. */
export const timerClock: Clock = { now: () => new Date() };

/** The dispatch queue, recording deletes and visibility changes in the shared journal. */
class JournalingReceiver implements QueueReceiver {
  constructor(
    private readonly inner: MemoryQueue,
    private readonly journal: string[],
  ) {}

  receive(queueUrl: string, options: ReceiveOptions) {
    return this.inner.receive(queueUrl, options);
  }

  async delete(queueUrl: string, receiptHandle: string): Promise<void> {
    await this.inner.delete(queueUrl, receiptHandle);
    this.journal.push(`delete ${queueUrl}`);
  }

  async changeVisibility(queueUrl: string, receiptHandle: string, seconds: number): Promise<void> {
    await this.inner.changeVisibility(queueUrl, receiptHandle, seconds);
    this.journal.push(`visibility ${seconds}`);
  }
}

export interface PullKit {
  readonly worker: PullWorker;
  readonly memory: MemoryQueue;
  readonly dispatchUrl: string;
  readonly dispatch: QueueReceiver;
  readonly sender: FakeQueueSender;
  readonly bus: FakeEventBus;
  readonly logger: RecordingLogger;
  /** Completion sends, deletes, publishes and visibility changes, in order. */
  readonly journal: string[];
  /** Puts dispatch messages (or raw bodies) on the dispatch queue. */
  enqueue(...messages: (StepDispatchMessage | string)[]): Promise<void>;
  /** Results sent to the completion queue. */
  results(): Record<string, any>[];
}

export interface PullKitOptions {
  readonly config?: Partial<PullWorkerConfig>;
  readonly clock?: Clock;
  /** Replaces the journaling MemoryQueue receiver (to inject failures). */
  readonly dispatch?: (inner: QueueReceiver) => QueueReceiver;
}

/**
 * A pull worker over an in-memory dispatch queue (SQS semantics), with the fake sender and bus.
 * Call `vi.useFakeTimers({ now: START })` first: queue visibility, timers and the clock share fake time.
 */
export function pullKit(options: PullKitOptions = {}): PullKit {
  const journal: string[] = [];
  const memory = new MemoryQueue();
  const dispatchUrl = memory.createQueue('tasker-dispatch-ecommerce', { visibilityTimeoutSeconds: 30 });
  const journaling = new JournalingReceiver(memory, journal);
  const dispatch = options.dispatch?.(journaling) ?? journaling;
  const sender = new FakeQueueSender(journal);
  const bus = new FakeEventBus(journal);
  const logger = new RecordingLogger();
  const worker = new PullWorker({
    dispatch,
    queue: sender,
    bus,
    clock: options.clock ?? timerClock,
    logger,
    sleep: async () => undefined,
    config: {
      dispatchQueueUrl: dispatchUrl,
      completionQueueUrl: QUEUES.completion,
      poisonQueueUrl: QUEUES.poison,
      domainEventDlqUrl: QUEUES.domainEventDlq,
      workerId: 'pull-test',
      pollWaitSeconds: 0,
      retryDelaysMs: [1, 1, 1],
      ...options.config,
    },
  });
  const enqueue = async (...messages: (StepDispatchMessage | string)[]) => {
    const outgoing = messages.map((m, i) => ({ id: `m${i}`, body: typeof m === 'string' ? m : JSON.stringify(m) }));
    const outcome = await memory.send(dispatchUrl, outgoing);
    if (outcome.failed.length > 0) throw new Error(`enqueue failed: ${JSON.stringify(outcome.failed)}`);
  };
  return {
    worker,
    memory,
    dispatchUrl,
    dispatch,
    sender,
    bus,
    logger,
    journal,
    enqueue,
    results: () => sender.bodiesTo(QUEUES.completion),
  };
}

/** A dispatch message of the golden fixture whose step timeout (10 s) binds; a distinct event per `n`. */
export function stepMessage(n = 0, changes: Partial<StepDispatchMessage> = {}): StepDispatchMessage {
  const base = dispatchMessage({ deadline: LATE_DEADLINE });
  const suffix = n.toString(16).padStart(12, '0');
  return {
    ...base,
    event_id: `7c9e6679-7425-40de-944b-${suffix}`,
    step_uuid: `0193e4a2-5b7d-7a21-9b4e-${suffix}`,
    ...changes,
  };
}

/** A promise with its resolve exposed, to hold a handler until the test lets it go. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export function useFakeTime(): void {
  vi.useFakeTimers({ now: new Date(START) });
}

/** The receiver's methods bound, so a test can replace one of them. */
export function bind(inner: QueueReceiver) {
  return {
    receive: inner.receive.bind(inner),
    delete: inner.delete.bind(inner),
    changeVisibility: inner.changeVisibility.bind(inner),
  };
}
