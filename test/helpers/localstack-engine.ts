import type { IConstruct } from 'constructs';
import type pg from 'pg';
import { EventBridgeBus } from '../../lib/adapters/eventbridge/eventbridge-bus.js';
import type { PostgresOrchestrationStore } from '../../lib/adapters/postgres/postgres-orchestration-store.js';
import { SqsQueue } from '../../lib/adapters/sqs/sqs-queue.js';
import type { CreateTaskRequestInput } from '../../lib/contracts/create-task-request.js';
import { ENV, type RuntimeConfig } from '../../lib/contracts/runtime-config.js';
import type { TaskState } from '../../lib/domain/task-state.js';
import type { TaskTemplate } from '../../lib/domain/task-template.js';
import { createTask } from '../../lib/orchestration/create-task.js';
import type { OrchestrationDeps } from '../../lib/orchestration/orchestration-deps.js';
import { registerTemplates } from '../../lib/orchestration/register-templates.js';
import type { Logger } from '../../lib/ports/logger.js';
import type { TaskView } from '../../lib/ports/orchestration-store.js';
import { createEventBridgeClient, createSqsClient } from '../../lib/lambda/aws-clients.js';
import { createCompletionLambda } from '../../lib/lambda/completion-lambda.js';
import { createIngressLambda } from '../../lib/lambda/ingress-lambda.js';
import { loadConfig } from '../../lib/lambda/config.js';
import { ConcurrencyPool } from '../../lib/local/concurrency-pool.js';
import { settingsFromTemplate, type LambdaSettings } from '../../lib/local/lambda-settings.js';
import { sumMetrics, type RunnerMetrics } from '../../lib/local/runner-metrics.js';
import { silentLogger } from '../../lib/local/silent-logger.js';
import { SqsLambdaRunner } from '../../lib/local/sqs-lambda-runner.js';
import { startSweeperLoop, type SweeperLoop } from '../../lib/local/sweeper-loop.js';
import { buildOrchestrationDeps } from '../../lib/lambda/orchestration-runtime.js';
import { createStepHandlerLambda } from '../../lib/lambda/step-handler-lambda.js';
import type { HandlerMap } from '../../lib/worker/handler-api.js';
import type { WorkerConfig } from '../../lib/worker/worker-config.js';
import type { LocalstackStack } from './localstack-stack.js';
import { HandlerProbe, RecordingBus, RecordingQueue } from './localstack-probe.js';

/**
 * The stack's functions run as Lambda would run them, against LocalStack: every step-handler
 * function of the template (the default pool's and each Lambda pool's) with its own event source
 * runners and reserved concurrency, the completion function and the sweeper, each configured from
 * its own environment in the synthesized template (every queue URL resolved to LocalStack's) and
 * each function's settings read by `settingsFromTemplate`. The handlers are observed by a probe;
 * completion-queue sends and bus publishes are recorded.
 */

export interface LocalstackEngineOptions {
  readonly stack: LocalstackStack;
  readonly database: { readonly pool: pg.Pool; readonly connectionString: string };
  readonly templates: readonly TaskTemplate[];
  /** Given to every step-handler function (a pool's function only receives its own namespace's steps). */
  readonly handlers: HandlerMap;
  readonly logger?: Logger;
  /** Default 500 ms. */
  readonly sweepIntervalMs?: number;
  /** Replaces settings of the step-handler functions' configuration (for instance a completion queue that is gone). */
  readonly stepHandlerConfig?: Partial<RuntimeConfig>;
  /** Worker settings with no environment variable (send retry delays, ...). */
  readonly worker?: Partial<WorkerConfig>;
  readonly probe?: HandlerProbe;
}

/** One step-handler function of the template, run by one runner per event source sharing its concurrency. */
export interface StepHandlerFunction {
  /** `default` for the default pool, else the pool's namespace. */
  readonly key: string;
  readonly logicalId: string;
  readonly settings: LambdaSettings;
  readonly queueUrls: readonly string[];
  readonly runners: readonly SqsLambdaRunner[];
  readonly concurrency: ConcurrencyPool;
  metrics(): RunnerMetrics;
}

export interface LocalstackEngine {
  readonly orchestration: OrchestrationDeps;
  readonly store: PostgresOrchestrationStore;
  readonly stepHandlers: ReadonlyMap<string, StepHandlerFunction>;
  readonly completion: SqsLambdaRunner;
  /** The ingress function on the task-request queue. */
  readonly ingress: SqsLambdaRunner;
  readonly sweeper: SweeperLoop;
  readonly probe: HandlerProbe;
  readonly queue: RecordingQueue;
  readonly bus: RecordingBus;
  /** Creates a task (unique identity); throws when it is refused. */
  createTask(request: CreateTaskRequestInput): Promise<string>;
  /** Polls the database until the task is complete, blocked_by_failures, error, cancelled or resolved_manually. */
  waitForTask(taskUuid: string, timeoutMs?: number): Promise<TaskView>;
  stop(): Promise<void>;
}

/** Long-poll wait of the runners: short, so a stopped engine lets go of the queues quickly. */
const POLL_WAIT_SECONDS = 1;

export const FINAL_TASK_STATES: readonly TaskState[] = [
  'complete',
  'blocked_by_failures',
  'error',
  'cancelled',
  'resolved_manually',
];

export async function startLocalstackEngine(options: LocalstackEngineOptions): Promise<LocalstackEngine> {
  const { stack } = options;
  const logger = options.logger ?? silentLogger;
  const sqsClient = createSqsClient();
  const eventsClient = createEventBridgeClient();
  const orchestrationConfig = configOf(stack.functionEnv(stack.synth.engine.completionHandler), {
    databaseUrl: options.database.connectionString,
  });
  const queue = new RecordingQueue(new SqsQueue(sqsClient), orchestrationConfig.completionQueueUrl as string);
  const bus = new RecordingBus(new EventBridgeBus(eventsClient, stack.busName));
  const overrides = { pool: options.database.pool, queues: queue, events: bus, logger };
  const orchestration = await buildOrchestrationDeps(orchestrationConfig, 'e2e-orchestration', overrides);
  await registerTemplates(orchestration.store, options.templates);
  const probe = options.probe ?? new HandlerProbe();
  const stepHandlers = new Map(
    stepHandlerFunctions(stack).map(([key, fn]) => [
      key,
      startStepHandler(key, fn, { ...options, probe, queue, bus, logger }),
    ]),
  );
  const completion = new SqsLambdaRunner({
    queue,
    queueUrl: soleQueue(stack, stack.synth.engine.completionHandler),
    handler: createCompletionLambda({ config: orchestrationConfig, ...overrides }),
    settings: settingsFromTemplate(stack.template, stack.logicalId(stack.synth.engine.completionHandler)),
    functionName: 'completion',
    waitTimeSeconds: POLL_WAIT_SECONDS,
    logger,
  }).start();
  const ingressFunction = stack.synth.engine.ingress.function;
  const ingress = new SqsLambdaRunner({
    queue,
    queueUrl: soleQueue(stack, ingressFunction),
    handler: createIngressLambda({
      config: configOf(stack.functionEnv(ingressFunction), { databaseUrl: options.database.connectionString }),
      ...overrides,
    }),
    settings: settingsFromTemplate(stack.template, stack.logicalId(ingressFunction)),
    functionName: 'ingress',
    waitTimeSeconds: POLL_WAIT_SECONDS,
    logger,
  }).start();
  const sweeper = startSweeperLoop(orchestration, options.sweepIntervalMs ?? 500);
  const store = orchestration.store as PostgresOrchestrationStore;
  let stopping: Promise<void> | undefined;
  return {
    orchestration,
    store,
    stepHandlers,
    completion,
    ingress,
    sweeper,
    probe,
    queue,
    bus,
    async createTask(request) {
      const created = await createTask(orchestration, { identity_strategy: 'always_unique', ...request });
      if (!created.ok)
        throw new Error(`task refused (${created.code}): ${created.message} ${created.problems.join('; ')}`);
      return created.taskUuid;
    },
    waitForTask: (taskUuid, timeoutMs = 20_000) => waitForFinalTask(store, taskUuid, timeoutMs),
    stop() {
      stopping ??= (async () => {
        await sweeper.stop();
        await Promise.all(
          [...[...stepHandlers.values()].flatMap((f) => f.runners), completion, ingress].map((r) => r.stop()),
        );
        // A long poll still pending returns its batch to the queue (visibility 0) when it ends; destroying
        // the client first would leave that batch invisible for the whole visibility timeout.
        await new Promise((resolve) => setTimeout(resolve, POLL_WAIT_SECONDS * 1000 + 300));
        sqsClient.destroy();
        eventsClient.destroy();
      })();
      return stopping;
    },
  };
}

/** The template's step-handler functions: the default pool's (`default`) and every Lambda pool's (its namespace). */
function stepHandlerFunctions(stack: LocalstackStack): [string, IConstruct][] {
  const engine = stack.synth.engine;
  const pools = [...engine.workerPools.values()].flatMap((p): [string, IConstruct][] =>
    p.kind === 'lambda' ? [[p.namespace, p.function]] : [],
  );
  return [...(engine.stepHandler ? [['default', engine.stepHandler] as [string, IConstruct]] : []), ...pools];
}

interface StepHandlerParts extends LocalstackEngineOptions {
  readonly probe: HandlerProbe;
  readonly queue: RecordingQueue;
  readonly bus: RecordingBus;
  readonly logger: Logger;
}

function startStepHandler(key: string, fn: IConstruct, parts: StepHandlerParts): StepHandlerFunction {
  const { stack } = parts;
  const logicalId = stack.logicalId(fn);
  const settings = settingsFromTemplate(stack.template, logicalId);
  const config = configOf(stack.functionEnv(fn), parts.stepHandlerConfig ?? {});
  const lambda = createStepHandlerLambda(parts.probe.wrap(parts.handlers, key), {
    queue: parts.queue,
    bus: parts.bus,
    config,
    logger: parts.logger,
    ...(parts.worker ? { worker: parts.worker } : {}),
  });
  const concurrency = new ConcurrencyPool(settings.reservedConcurrency);
  const queueUrls = stack.eventSourceQueues(fn).map((q) => q.url);
  const runners = queueUrls.map((queueUrl) =>
    new SqsLambdaRunner({
      queue: parts.queue,
      queueUrl,
      handler: lambda,
      settings,
      concurrency,
      functionName: `step-handler-${key}`,
      waitTimeSeconds: POLL_WAIT_SECONDS,
      logger: parts.logger,
    }).start(),
  );
  return {
    key,
    logicalId,
    settings,
    queueUrls,
    runners,
    concurrency,
    metrics: () =>
      sumMetrics(
        runners.map((r) => r.metrics()),
        concurrency.peakInUse,
      ),
  };
}

function soleQueue(stack: LocalstackStack, fn: IConstruct): string {
  const queues = stack.eventSourceQueues(fn);
  if (queues.length !== 1) throw new Error(`expected one event source for ${fn.node.path}, found ${queues.length}`);
  return queues[0]!.url;
}

/** A function's configuration as it would load it from its environment, with test overrides on top. */
function configOf(env: Record<string, string>, overrides: Partial<RuntimeConfig>): RuntimeConfig {
  return { ...loadConfig({ ...env, [ENV.logLevel]: 'silent' }), ...overrides };
}

export async function waitForFinalTask(
  store: Pick<PostgresOrchestrationStore, 'getTask'>,
  taskUuid: string,
  timeoutMs: number,
): Promise<TaskView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const task = await store.getTask(taskUuid);
    if (task && FINAL_TASK_STATES.includes(task.state)) return task;
    if (Date.now() > deadline)
      throw new Error(
        `task ${taskUuid} did not reach a final state within ${timeoutMs} ms (state: ${task?.state ?? 'unknown'}; steps: ${task?.steps.map((s) => `${s.name}=${s.state}/${s.attempts}`).join(', ')})`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
