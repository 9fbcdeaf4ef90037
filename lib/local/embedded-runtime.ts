import { PostgresOrchestrationStore } from '../adapters/postgres/postgres-orchestration-store.js';
import type { CreateTaskRequestInput } from '../contracts/create-task-request.js';
import { domainEventEnvelope, type DomainEventEnvelope } from '../contracts/domain-event.js';
import { runtimeConfig, type RuntimeConfig } from '../contracts/runtime-config.js';
import { TASK_LIFECYCLE_SOURCE, taskLifecycleEvent, type TaskLifecycleEvent } from '../contracts/task-lifecycle-event.js';
import type { TaskTemplate } from '../domain/task-template.js';
import { createTask, type CreateTaskResult } from '../orchestration/create-task.js';
import type { OrchestrationDeps, OrchestrationLimits } from '../orchestration/orchestration-deps.js';
import { registerTemplates } from '../orchestration/register-templates.js';
import type { Logger } from '../ports/logger.js';
import type { TaskView, TransitionView } from '../ports/orchestration-store.js';
import type { HandlerMap } from '../worker/handler-api.js';
import { createCompletionLambda } from '../lambda/completion-lambda.js';
import { createLogger } from '../lambda/logger.js';
import { buildOrchestrationDeps } from '../lambda/orchestration-runtime.js';
import { createStepHandlerLambda } from '../lambda/step-handler-lambda.js';
import { loadTemplateDirectoryOrThrow } from '../adapters/templates/template-files.js';
import { CapturingEventBus } from './capturing-event-bus.js';
import { ConcurrencyPool } from './concurrency-pool.js';
import { openDatabase, type OpenDatabase } from './embedded-database.js';
import { awsTransport, chooseTransport, memoryTransport, type Transport, type TransportKind } from './embedded-transport.js';
import { resolveEmbeddedSettings, type EmbeddedSettings, type EmbeddedSettingsInput } from './embedded-settings.js';
import { missingCallables, type MissingCallable } from './missing-callables.js';
import { ProgressObserver } from './progress-observer.js';
import { sumMetrics, type RunnerMetrics } from './runner-metrics.js';
import { SqsLambdaRunner, type SqsLambdaHandler } from './sqs-lambda-runner.js';
import type { ProgressListener } from './step-progress.js';
import { ProgressHub } from './step-progress.js';
import { decorateHandler, decorateTransport, type RuntimeDecorators } from './runtime-decorators.js';
import { startSweeperLoop, type SweeperLoop, type SweepTotals } from './sweeper-loop.js';
import { waitForFinalState, type PendingWait } from './task-waiter.js';

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
  /** `auto` (default): SQS and EventBridge when configured in the environment, else in-process. */
  readonly transport?: TransportKind | 'auto';
  readonly logger?: Logger;
  readonly env?: Record<string, string | undefined>;
  /** Orchestration limits (outbox re-send age, sweep batch size, context size); default DEFAULT_LIMITS. */
  readonly limits?: Partial<OrchestrationLimits>;
  /** Fault injection: decorators for the queues, the bus and the two functions (see runtime-decorators.ts). */
  readonly decorate?: RuntimeDecorators;
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
  /** The task once it is complete, blocked_by_failures, error, cancelled or resolved_manually; TaskWaitTimeoutError after `timeoutMs` (default 60 s). */
  waitForTask(taskUuid: string, options?: { timeoutMs?: number }): Promise<TaskView>;
  getTask(taskUuid: string): Promise<TaskView | null>;
  transitions(taskUuid: string): Promise<TransitionView[]>;
  /** Domain events published so far (of one task, when given). */
  domainEvents(taskUuid?: string): CapturedDomainEvent[];
  /** Task lifecycle events published so far. */
  lifecycleEvents(): TaskLifecycleEvent[];
  onProgress(listener: ProgressListener): () => void;
  metrics(): EmbeddedMetrics;
  /** Stops the runners and the sweeper, closes the queues, the pool and PGlite; leaves no timer or handle behind. */
  stop(): Promise<void>;
}

/**
 * The engine on one machine: the REAL step-handler and completion Lambdas (middy handlers) driven
 * by local SQS event-source runners configured as deployed, the sweeper on an interval, orchestration
 * on PostgreSQL (DATABASE_URL) or PGlite, and queues and a bus in process (or SQS and EventBridge).
 */
export async function startEmbeddedRuntime(options: EmbeddedRuntimeOptions): Promise<EmbeddedRuntime> {
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger({ level: env.LOG_LEVEL ?? 'warn', base: { service: 'tasker-local' } });
  const settings = resolveEmbeddedSettings(options.settings);
  const templates = options.templates ?? (options.templatesDir ? await loadTemplateDirectoryOrThrow(options.templatesDir) : []);
  const databaseUrl = options.databaseUrl === null ? undefined : (options.databaseUrl ?? env.DATABASE_URL);
  const database = await openDatabase({ ...(databaseUrl ? { databaseUrl } : {}), ...(options.dataDir ? { dataDir: options.dataDir } : {}), logger });
  try {
    const chosen = chooseTransport(options.transport ?? 'auto', env) === 'aws' ? awsTransport(env) : memoryTransport(settings);
    const transport = decorateTransport(chosen, options.decorate);
    return await assemble({ options, settings, templates, database, transport, logger });
  } catch (error) {
    await database.close();
    throw error;
  }
}

interface Parts {
  readonly options: EmbeddedRuntimeOptions;
  readonly settings: EmbeddedSettings;
  readonly templates: readonly TaskTemplate[];
  readonly database: OpenDatabase;
  readonly transport: Transport;
  readonly logger: Logger;
}

async function assemble(parts: Parts): Promise<EmbeddedRuntime> {
  const { settings, database, transport, logger } = parts;
  const store = new PostgresOrchestrationStore(database.pool);
  await registerTemplates(store, parts.templates);
  const bus = new CapturingEventBus(transport.bus);
  const config = lambdaConfig(transport, settings, database.connectionString);
  const overrides = { pool: database.pool, queues: transport.queue, queueCounts: transport.counts, events: bus, logger };
  const built = await buildOrchestrationDeps(config, 'tasker-local', overrides);
  const orchestration: OrchestrationDeps = parts.options.limits ? { ...built, limits: parts.options.limits } : built;
  const hub = new ProgressHub();
  const observer = new ProgressObserver({ store, hub, logger });
  bus.onEntry((entry) => observer.onBusEntry(entry));
  const stepHandler = createStepHandlerLambda(parts.options.handlers, { queue: transport.queue, bus, config, logger, worker: { workerKind: 'local', workerId: 'local/step-handler' } });
  const completion = createCompletionLambda({ config, ...overrides });
  const decorate = parts.options.decorate;
  const invokedStepHandler = observer.wrapDispatch(decorateHandler(stepHandler, decorate?.stepHandler));
  const invokedCompletion = observer.wrapCompletion(decorateHandler(completion, decorate?.completion));
  const runners = startRunners(parts, invokedStepHandler, invokedCompletion);
  const sweeper = startSweeperLoop(orchestration, settings.sweepIntervalMs);
  const missing = missingCallables(parts.templates, parts.options.handlers);
  for (const m of missing) logger.warn('no handler for a step: it will fail with handler_not_found', { ...m });
  return new LocalRuntime({ ...parts, store, bus, orchestration, hub, observer, runners, sweeper, missing });
}

interface Runners {
  readonly dispatch: SqsLambdaRunner[];
  readonly completion: SqsLambdaRunner;
}

/** One runner per dispatch queue (sharing the step handler's reserved concurrency) and one for the completion queue. */
function startRunners(parts: Parts, stepHandler: SqsLambdaHandler, completion: SqsLambdaHandler): Runners {
  const { settings, transport, logger } = parts;
  const pool = new ConcurrencyPool(settings.stepHandler.reservedConcurrency);
  const common = { queue: transport.queue, waitTimeSeconds: transport.waitTimeSeconds, logger };
  const dispatchUrls = [transport.urls.dispatch, ...Object.values(transport.urls.namespaceDispatch)].filter((url): url is string => url !== undefined);
  const dispatch = dispatchUrls.map((queueUrl) =>
    new SqsLambdaRunner({ ...common, queueUrl, handler: stepHandler, settings: settings.stepHandler, concurrency: pool, functionName: 'tasker-step-handler' }).start(),
  );
  const completionRunner = new SqsLambdaRunner({ ...common, queueUrl: transport.urls.completion, handler: completion, settings: settings.completion, functionName: 'tasker-completion' }).start();
  return { dispatch, completion: completionRunner };
}

/** The configuration the Lambdas would read from their environment, for this runtime's queues. */
function lambdaConfig(transport: Transport, settings: EmbeddedSettings, databaseUrl: string): RuntimeConfig {
  const u = transport.urls;
  return runtimeConfig.parse({
    databaseUrl,
    dispatchQueueUrl: u.dispatch,
    namespaceQueueUrls: u.namespaceDispatch,
    completionQueueUrl: u.completion,
    poisonQueueUrl: u.poison,
    domainEventDlqUrl: u.domainEventDlq,
    eventBusName: transport.eventBusName,
    handlerTimeoutMs: settings.stepHandler.timeoutMs,
    safetyMarginMs: settings.safetyMarginMs,
    maxConcurrentHandlers: settings.stepHandler.reservedConcurrency ?? settings.stepHandler.maxConcurrency ?? 10,
    completionTimeoutMs: settings.completion.timeoutMs,
    workerId: 'local/step-handler',
  });
}

interface Assembled extends Parts {
  readonly store: PostgresOrchestrationStore;
  readonly bus: CapturingEventBus;
  readonly orchestration: OrchestrationDeps;
  readonly hub: ProgressHub;
  readonly observer: ProgressObserver;
  readonly runners: Runners;
  readonly sweeper: SweeperLoop;
  readonly missing: readonly MissingCallable[];
}

class LocalRuntime implements EmbeddedRuntime {
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

  async waitForTask(taskUuid: string, options: { timeoutMs?: number } = {}): Promise<TaskView> {
    const wait = waitForFinalState({ observer: this.a.observer, hub: this.a.hub, pollMs: 1_000 }, taskUuid, options.timeoutMs ?? 60_000);
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
      .map((envelope) => ({ name: envelope.event_name, step: envelope.metadata.step_name, outcome: envelope.metadata.outcome, taskUuid: envelope.metadata.task_uuid, envelope }));
  }

  lifecycleEvents(): TaskLifecycleEvent[] {
    return this.a.bus.entries.filter((e) => e.Source === TASK_LIFECYCLE_SOURCE).flatMap((e) => {
      const parsed = taskLifecycleEvent.safeParse(JSON.parse(e.Detail));
      return parsed.success ? [parsed.data] : [];
    });
  }

  onProgress(listener: ProgressListener): () => void {
    return this.a.hub.on(listener);
  }

  metrics(): EmbeddedMetrics {
    const r = this.a.runners;
    return { stepHandler: sumMetrics(r.dispatch.map((x) => x.metrics())), completion: r.completion.metrics(), sweeps: this.a.sweeper.totals() };
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
    if (this.a.transport.kind === 'aws') await Promise.all(runners.map((r) => r.pollsSettled((this.a.transport.waitTimeSeconds + 1) * 1000)));
    this.a.transport.close();
    await this.a.observer.idle();
    await this.a.database.close();
  }
}
