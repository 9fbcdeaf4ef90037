import type { PostgresOrchestrationStore } from '../adapters/postgres/postgres-orchestration-store.js';
import type { CreateTaskRequestInput } from '../contracts/create-task-request.js';
import { domainEventEnvelope } from '../contracts/domain-event.js';
import {
  TASK_LIFECYCLE_SOURCE,
  taskLifecycleEvent,
  type TaskLifecycleEvent,
} from '../contracts/task-lifecycle-event.js';
import type { TaskTemplate } from '../domain/task-template.js';
import { taskRequestOutcomeEvent, type TaskRequestOutcomeEvent } from '../contracts/task-request-outcome.js';
import { createTask, type CreateTaskResult } from '../orchestration/create-task.js';
import { processTaskRequests } from '../orchestration/process-task-requests.js';
import { signalStep, type SignalResult } from '../orchestration/signal-step.js';
import type { OrchestrationDeps } from '../orchestration/orchestration-deps.js';
import type { Logger } from '../ports/logger.js';
import type { TaskView, TransitionView } from '../ports/orchestration-store.js';
import { errorMessage } from '../domain/error-message.js';
import type { CapturingEventBus } from './capturing-event-bus.js';
import type { DroppedDomainEvent, DroppedEventLog } from './dropped-events.js';
import type { OpenDatabase } from './embedded-database.js';
import type {
  CapturedDomainEvent,
  EmbeddedMetrics,
  EmbeddedRuntime,
  EmbeddedRuntimeOptions,
} from './embedded-runtime-api.js';
import type { EmbeddedSettings } from './embedded-settings.js';
import type { Transport } from './embedded-transport.js';
import { TaskRequestsNotTakenError } from './errors.js';
import type { HandlerFailure, HandlerFailureLog } from './handler-failures.js';
import type { MissingCallable } from './missing-callables.js';
import type { ProgressObserver } from './progress-observer.js';
import { sumMetrics } from './runner-metrics.js';
import type { SqsLambdaRunner } from './sqs-lambda-runner.js';
import type { ProgressHub, ProgressListener } from './step-progress.js';
import type { SweeperLoop } from './sweeper-loop.js';
import { waitForFinalState, type PendingWait } from './task-waiter.js';

/** The parts the runtime is assembled from (embedded-runtime.ts). */
export interface Parts {
  readonly options: EmbeddedRuntimeOptions;
  readonly settings: EmbeddedSettings;
  readonly templates: readonly TaskTemplate[];
  readonly database: OpenDatabase;
  readonly transport: Transport;
  readonly logger: Logger;
}

/** The event-source runners: one per dispatch queue, one for the completion queue. */
export interface Runners {
  readonly dispatch: SqsLambdaRunner[];
  readonly completion: SqsLambdaRunner;
}

/** Everything the runtime runs on, once assembled. */
export interface Assembled extends Parts {
  readonly store: PostgresOrchestrationStore;
  readonly bus: CapturingEventBus;
  readonly orchestration: OrchestrationDeps;
  readonly hub: ProgressHub;
  readonly observer: ProgressObserver;
  readonly runners: Runners;
  readonly sweeper: SweeperLoop;
  readonly missing: readonly MissingCallable[];
  readonly failures: HandlerFailureLog;
  readonly dropped: DroppedEventLog;
}

/** The running embedded runtime: its parts behind the EmbeddedRuntime interface, and their orderly stop. */
export class LocalRuntime implements EmbeddedRuntime {
  private readonly waits = new Set<PendingWait>();
  private stopping: Promise<void> | undefined;

  constructor(private readonly a: Assembled) {}

  get transport(): Transport {
    return this.a.transport;
  }

  get database() {
    return { kind: this.a.database.kind, connectionString: this.a.database.connectionString };
  }

  get settings(): EmbeddedSettings {
    return this.a.settings;
  }

  get templates(): readonly TaskTemplate[] {
    return this.a.templates;
  }

  get missingCallables(): readonly MissingCallable[] {
    return this.a.missing;
  }

  get orchestration(): OrchestrationDeps {
    return this.a.orchestration;
  }

  createTask(request: CreateTaskRequestInput): Promise<CreateTaskResult> {
    return createTask(this.a.orchestration, request);
  }

  async requestTasks(requests: readonly unknown[]): Promise<TaskRequestOutcomeEvent[]> {
    const records = requests.map((r) => ({
      messageId: crypto.randomUUID(),
      body: typeof r === 'string' ? r : JSON.stringify(r),
    }));
    const { batchItemFailures } = await processTaskRequests(this.a.orchestration, records);
    if (batchItemFailures.length > 0) throw new TaskRequestsNotTakenError(batchItemFailures.length);
    const answers = new Map<string, TaskRequestOutcomeEvent>();
    for (const entry of this.a.bus.entries) {
      const parsed =
        entry.Source === TASK_LIFECYCLE_SOURCE ? taskRequestOutcomeEvent.safeParse(JSON.parse(entry.Detail)) : null;
      if (parsed?.success) answers.set(parsed.data.request_id, parsed.data);
    }
    return records.flatMap((r) => answers.get(r.messageId) ?? []);
  }

  readonly signalStep = async (taskUuid: string, stepName: string, payload: unknown): Promise<SignalResult> => {
    const result = await signalStep(this.a.orchestration, taskUuid, stepName, payload);
    if (result.ok) await this.a.observer.checkTask(taskUuid).catch(() => null);
    return result;
  };

  async waitForTask(taskUuid: string, options: { timeoutMs?: number } = {}): Promise<TaskView> {
    const wait = waitForFinalState(
      { observer: this.a.observer, hub: this.a.hub, pollMs: 1_000 },
      taskUuid,
      options.timeoutMs ?? 60_000,
    );
    this.waits.add(wait);
    try {
      return await wait.promise;
    } finally {
      this.waits.delete(wait);
    }
  }

  getTask(taskUuid: string): Promise<TaskView | null> {
    return this.a.store.getTask(taskUuid);
  }

  transitions(taskUuid: string): Promise<TransitionView[]> {
    return this.a.store.transitions(taskUuid);
  }

  domainEvents(taskUuid?: string): CapturedDomainEvent[] {
    return this.a.bus.entries
      .filter((e) => e.Source !== TASK_LIFECYCLE_SOURCE)
      .flatMap((e) => {
        const parsed = domainEventEnvelope.safeParse(JSON.parse(e.Detail));
        return parsed.success ? [parsed.data] : [];
      })
      .filter((e) => taskUuid === undefined || e.metadata.task_uuid === taskUuid)
      .map((envelope) => ({
        name: envelope.event_name,
        step: envelope.metadata.step_name,
        outcome: envelope.metadata.outcome,
        taskUuid: envelope.metadata.task_uuid,
        envelope,
      }));
  }

  lifecycleEvents(): TaskLifecycleEvent[] {
    return this.a.bus.entries
      .filter((e) => e.Source === TASK_LIFECYCLE_SOURCE)
      .flatMap((e) => {
        const parsed = taskLifecycleEvent.safeParse(JSON.parse(e.Detail));
        return parsed.success ? [parsed.data] : [];
      });
  }

  handlerFailures(taskUuid: string): readonly HandlerFailure[] {
    return this.a.failures.of(taskUuid);
  }

  droppedDomainEvents(taskUuid?: string): readonly DroppedDomainEvent[] {
    return this.a.dropped.of(taskUuid);
  }

  onProgress(listener: ProgressListener): () => void {
    return this.a.hub.on(listener);
  }

  metrics(): EmbeddedMetrics {
    const r = this.a.runners;
    return {
      stepHandler: sumMetrics(r.dispatch.map((x) => x.metrics())),
      completion: r.completion.metrics(),
      sweeps: this.a.sweeper.totals(),
    };
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    for (const wait of this.waits) wait.cancel();
    await this.a.sweeper.stop();
    const runners = [...this.a.runners.dispatch, this.a.runners.completion];
    await Promise.all(runners.map((r) => r.stop()));
    // Real SQS: let pending long polls return (their messages are made visible) before the clients close.
    if (this.a.transport.kind === 'aws')
      await Promise.all(runners.map((r) => r.pollsSettled((this.a.transport.waitTimeSeconds + 1) * 1000)));
    this.a.transport.close();
    await this.a.observer.idle();
    // Marks still held for a ride: written now (a failure leaves their rows to the sweeper's re-send, nothing lost).
    await this.a.store.flushOutboxMarks().catch((error: unknown) =>
      this.a.logger.warn('outbox marks not written; the sweeper will send their messages again', {
        error: errorMessage(error),
      }),
    );
    await this.a.database.close();
  }
}
