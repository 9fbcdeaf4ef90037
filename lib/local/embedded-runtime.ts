import { writeEngineSettings } from '../adapters/postgres/engine-settings.js';
import { LONG_LIVED_STORE, PostgresOrchestrationStore } from '../adapters/postgres/postgres-orchestration-store.js';
import { runtimeConfig, type RuntimeConfig } from '../contracts/runtime-config.js';
import { databaseBudgetFor } from '../domain/database-budget.js';
import type { OrchestrationDeps } from '../orchestration/orchestration-deps.js';
import { registerTemplates } from '../orchestration/register-templates.js';
import { createCompletionLambda } from '../lambda/completion-lambda.js';
import { createLogger } from '../lambda/logger.js';
import { buildOrchestrationDeps } from '../lambda/orchestration-runtime.js';
import { createStepHandlerLambda } from '../lambda/step-handler-lambda.js';
import { loadTemplateDirectoryOrThrow } from '../adapters/templates/template-files.js';
import { CapturingEventBus } from './capturing-event-bus.js';
import { ConcurrencyPool } from './concurrency-pool.js';
import { DroppedEventLog } from './dropped-events.js';
import { openDatabase } from './embedded-database.js';
import type { EmbeddedRuntime, EmbeddedRuntimeOptions } from './embedded-runtime-api.js';
import { awsTransport, chooseTransport, memoryTransport, type Transport } from './embedded-transport.js';
import { resolveEmbeddedSettings, type EmbeddedSettings } from './embedded-settings.js';
import { HandlerFailureLog } from './handler-failures.js';
import { LocalRuntime, type Parts, type Runners } from './local-runtime.js';
import { missingCallables } from './missing-callables.js';
import { ProgressObserver } from './progress-observer.js';
import { servedDispatchQueues } from './pull-namespaces.js';
import { SqsLambdaRunner, type SqsLambdaHandler } from './sqs-lambda-runner.js';
import { ProgressHub } from './step-progress.js';
import { decorateHandler, decorateTransport } from './runtime-decorators.js';
import { startSweeperLoop } from './sweeper-loop.js';

export type {
  CapturedDomainEvent,
  EmbeddedMetrics,
  EmbeddedRuntime,
  EmbeddedRuntimeOptions,
} from './embedded-runtime-api.js';

/**
 * The engine on one machine: the REAL step-handler and completion Lambdas (middy handlers) driven
 * by local SQS event-source runners configured as deployed, the sweeper on an interval, orchestration
 * on PostgreSQL (DATABASE_URL) or PGlite, and queues and a bus in process (or SQS and EventBridge).
 */
export async function startEmbeddedRuntime(options: EmbeddedRuntimeOptions): Promise<EmbeddedRuntime> {
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger({ level: env.LOG_LEVEL ?? 'warn', base: { service: 'tasker-local' } });
  const settings = resolveEmbeddedSettings(options.settings);
  const templates =
    options.templates ?? (options.templatesDir ? await loadTemplateDirectoryOrThrow(options.templatesDir) : []);
  const databaseUrl = options.databaseUrl === null ? undefined : (options.databaseUrl ?? env.DATABASE_URL);
  const session = databaseBudgetFor(settings.completion.timeoutMs);
  const database = await openDatabase({
    ...(databaseUrl ? { databaseUrl } : {}),
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    logger,
    session,
  });
  try {
    const chosen =
      chooseTransport(options.transport ?? 'auto', env) === 'aws' ? awsTransport(env) : memoryTransport(settings);
    const transport = decorateTransport(chosen, options.decorate);
    return await assemble({ options, settings, templates, database, transport, logger });
  } catch (error) {
    await database.close();
    throw error;
  }
}

async function assemble(parts: Parts): Promise<EmbeddedRuntime> {
  const { settings, database, transport, logger } = parts;
  // A long-lived process: outbox marks ride on the next write (flushed when the runtime stops), and the task creations
  // that arrive together (the HTTP API's, a script's) are grouped into shared transactions.
  const store = new PostgresOrchestrationStore(database.pool, LONG_LIVED_STORE);
  await writeEngineSettings(database.pool, { blockedTaskGraceMs: parts.options.blockedTaskGraceMs });
  await registerTemplates(store, parts.templates);
  const bus = new CapturingEventBus(transport.bus);
  const config = lambdaConfig(transport, settings, database.connectionString);
  const overrides = {
    pool: database.pool,
    store,
    queues: transport.queue,
    queueCounts: transport.counts,
    events: bus,
    logger,
  };
  const built = await buildOrchestrationDeps(config, 'tasker-local', overrides);
  const orchestration: OrchestrationDeps = parts.options.limits ? { ...built, limits: parts.options.limits } : built;
  const hub = new ProgressHub();
  const observer = new ProgressObserver({ store, hub, logger });
  bus.onEntry((entry) => observer.onBusEntry(entry));
  const failures = new HandlerFailureLog();
  const dropped = new DroppedEventLog();
  const stepHandlerQueue = dropped.wrap(transport.queue, transport.urls.domainEventDlq);
  const stepHandler = createStepHandlerLambda(failures.wrap(parts.options.handlers), {
    queue: stepHandlerQueue,
    bus,
    config,
    logger,
    worker: { workerKind: 'local', workerId: 'local/step-handler' },
  });
  const completion = createCompletionLambda({ config, ...overrides });
  const decorate = parts.options.decorate;
  const invokedStepHandler = observer.wrapDispatch(decorateHandler(stepHandler, decorate?.stepHandler));
  const invokedCompletion = observer.wrapCompletion(decorateHandler(completion, decorate?.completion));
  const runners = startRunners(parts, invokedStepHandler, invokedCompletion);
  const sweeper = startSweeperLoop(orchestration, settings.sweepIntervalMs);
  const missing = missingCallables(parts.templates, parts.options.handlers);
  for (const m of missing) logger.warn('no handler for a step: it will fail with handler_not_found', { ...m });
  return new LocalRuntime({
    ...parts,
    store,
    bus,
    orchestration,
    hub,
    observer,
    runners,
    sweeper,
    missing,
    failures,
    dropped,
  });
}

/** One runner per dispatch queue (sharing the step handler's reserved concurrency) and one for the completion queue. */
function startRunners(parts: Parts, stepHandler: SqsLambdaHandler, completion: SqsLambdaHandler): Runners {
  const { settings, transport, logger } = parts;
  const pool = new ConcurrencyPool(settings.stepHandler.reservedConcurrency);
  const common = { queue: transport.queue, waitTimeSeconds: transport.waitTimeSeconds, logger };
  const pulled = [...(parts.options.pull ?? []), ...(transport.kind === 'aws' ? settings.pullNamespaces : [])];
  const dispatchUrls = servedDispatchQueues(transport.urls, transport.kind, [...new Set(pulled)]);
  const dispatch = dispatchUrls.map((queueUrl) =>
    new SqsLambdaRunner({
      ...common,
      queueUrl,
      handler: stepHandler,
      settings: settings.stepHandler,
      concurrency: pool,
      functionName: 'tasker-step-handler',
    }).start(),
  );
  const completionRunner = new SqsLambdaRunner({
    ...common,
    queueUrl: transport.urls.completion,
    handler: completion,
    settings: settings.completion,
    functionName: 'tasker-completion',
  }).start();
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
