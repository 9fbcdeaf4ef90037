import type { CreateTaskRequestInput } from '../contracts/create-task-request.js';
import type { DomainEventEnvelope } from '../contracts/domain-event.js';
import type { TaskLifecycleEvent } from '../contracts/task-lifecycle-event.js';
import type { TaskRequestOutcomeEvent } from '../contracts/task-request-outcome.js';
import type { TaskTemplate } from '../domain/task-template.js';
import type { CreateTaskResult } from '../orchestration/create-task.js';
import type { SignalResult } from '../orchestration/signal-step.js';
import type { OrchestrationDeps, OrchestrationLimits } from '../orchestration/orchestration-deps.js';
import type { Logger } from '../ports/logger.js';
import type { TaskView, TransitionView } from '../ports/orchestration-store.js';
import type { HandlerMap } from '../worker/handler-api.js';
import type { DroppedDomainEvent } from './dropped-events.js';
import type { Transport, TransportKind } from './embedded-transport.js';
import type { EmbeddedSettings, EmbeddedSettingsInput } from './embedded-settings.js';
import type { HandlerFailure } from './handler-failures.js';
import type { MissingCallable } from './missing-callables.js';
import type { RunnerMetrics } from './runner-metrics.js';
import type { RuntimeDecorators } from './runtime-decorators.js';
import type { ProgressListener } from './step-progress.js';
import type { SweepTotals } from './sweeper-loop.js';

/** What `startEmbeddedRuntime` takes and what it returns (embedded-runtime.ts builds it, local-runtime.ts is it). */

export interface EmbeddedRuntimeOptions {
  /** Task templates to register: a directory of YAML files, or templates already loaded. */
  readonly templatesDir?: string;
  readonly templates?: readonly TaskTemplate[];
  /** Handlers by `handler.callable`. */
  readonly handlers: HandlerMap;
  /** A PostgreSQL server; default DATABASE_URL, else PGlite. Pass null to use PGlite even when DATABASE_URL is set. */
  readonly databaseUrl?: string | null;
  /** PGlite's directory, so tasks outlive the process. */
  readonly dataDir?: string;
  /** Lambda, queue and sweeper settings; default the deployed ones (see deployed-defaults.ts). */
  readonly settings?: EmbeddedSettingsInput;
  /**
   * Namespaces left to pull workers outside this process (`tasker dev --pull <ns>`): no in-process step handler
   * consumes their dispatch queues. Each needs a queue of its own on the aws transport (TASKER_NAMESPACE_QUEUE_URLS).
   * A stack template's pull pools are added on the aws transport.
   */
  readonly pull?: readonly string[];
  /** `auto` (default): SQS and EventBridge when configured in the environment, else in-process. */
  readonly transport?: TransportKind | 'auto';
  readonly logger?: Logger;
  readonly env?: Record<string, string | undefined>;
  /** Orchestration limits (outbox re-send age, sweep batch size, context size); default DEFAULT_LIMITS. */
  readonly limits?: Partial<OrchestrationLimits>;
  /** Fault injection: decorators for the queues, the bus and the two functions (see runtime-decorators.ts). */
  readonly decorate?: RuntimeDecorators;
  /**
   * How long a task blocked by a failed step stays blocked_by_failures (for an operator action) before it fails to
   * `error`, in ms; the construct's `blockedTaskGrace`. Written to the database at start; left as the database has it
   * when absent (0 in a new one: fail once nothing of the task is in flight).
   */
  readonly blockedTaskGraceMs?: number;
}

/** A step's domain event as captured on the bus. */
export interface CapturedDomainEvent {
  readonly name: string;
  readonly step: string;
  readonly outcome: string;
  readonly taskUuid: string;
  readonly envelope: DomainEventEnvelope;
}

export interface EmbeddedMetrics {
  readonly stepHandler: RunnerMetrics;
  readonly completion: RunnerMetrics;
  readonly sweeps: SweepTotals;
}

export interface EmbeddedRuntime {
  readonly transport: Transport;
  readonly database: { readonly kind: 'server' | 'embedded'; readonly connectionString: string };
  readonly settings: EmbeddedSettings;
  readonly templates: readonly TaskTemplate[];
  /** Steps whose callable the handler map lacks (they fail with handler_not_found). */
  readonly missingCallables: readonly MissingCallable[];
  /** Orchestration on the runtime's database, queues and bus (createTask, operator actions, sweep). */
  readonly orchestration: OrchestrationDeps;
  createTask(request: CreateTaskRequestInput): Promise<CreateTaskResult>;
  /** Signals a wait step (lib/orchestration/signal-step.ts); its progress is reported at once. A bound function. */
  readonly signalStep: (taskUuid: string, stepName: string, payload: unknown) => Promise<SignalResult>;
  /**
   * Task requests taken as the deployed ingress takes them off its queue (processTaskRequests: the batch created in one
   * transaction, identity strategies applied, each answered `task.created` or `task.rejected` on the bus). A request is
   * a TaskRequest, or a message body as it would arrive on the queue. Returns the answers in order; throws
   * TaskRequestsNotTakenError when the database could not take them now.
   */
  requestTasks(requests: readonly unknown[]): Promise<TaskRequestOutcomeEvent[]>;
  /**
   * The task once it is complete, error, cancelled, resolved_manually, or blocked_by_failures with nothing of it in
   * flight (kept for a grace); TaskWaitTimeoutError after `timeoutMs` (default 60 s).
   */
  waitForTask(taskUuid: string, options?: { timeoutMs?: number }): Promise<TaskView>;
  getTask(taskUuid: string): Promise<TaskView | null>;
  transitions(taskUuid: string): Promise<TransitionView[]>;
  /** Domain events published so far (of one task, when given). */
  domainEvents(taskUuid?: string): CapturedDomainEvent[];
  /** Task lifecycle events published so far. */
  lifecycleEvents(): TaskLifecycleEvent[];
  /** The errors a task's step handlers threw, with their stacks (which step results do not carry). */
  handlerFailures(taskUuid: string): readonly HandlerFailure[];
  /** Domain events that were not published (parked on the dead-letter queue), with the reason; of one task when given. */
  droppedDomainEvents(taskUuid?: string): readonly DroppedDomainEvent[];
  onProgress(listener: ProgressListener): () => void;
  metrics(): EmbeddedMetrics;
  /** Stops the runners and the sweeper, closes the queues, the pool and PGlite; leaves no timer or handle behind. */
  stop(): Promise<void>;
}
