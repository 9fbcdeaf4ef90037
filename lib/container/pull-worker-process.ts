import { hostname } from 'node:os';
import { EventBridgeBus } from '../adapters/eventbridge/eventbridge-bus.js';
import { SqsQueue } from '../adapters/sqs/sqs-queue.js';
import type { RuntimeConfig } from '../contracts/runtime-config.js';
import { errorMessage } from '../domain/error-message.js';
import { staticRouting } from '../orchestration/queue-routing.js';
import type { Clock } from '../ports/clock.js';
import type { EventBus } from '../ports/event-bus.js';
import type { Logger } from '../ports/logger.js';
import type { QueueReceiver, QueueSender } from '../ports/message-queue.js';
import type { HandlerMap } from '../worker/handler-api.js';
import type { PullWorkerConfig } from '../worker/pull/pull-worker-config.js';
import { PullWorkerLoop, type DrainReport } from '../worker/pull/pull-worker-loop.js';
import { PullWorker } from '../worker/pull/pull-worker.js';
import type { Sleep } from '../ports/retry-settings.js';
import { createEventBridgeClient, createSqsClient } from '../lambda/aws-clients.js';
import { ConfigurationError, loadConfig, requireSettings } from '../lambda/config.js';
import { createLogger } from '../lambda/logger.js';
import { systemClock } from '../lambda/system-clock.js';

/** Running handlers get this long to finish after SIGTERM (ECS and Kubernetes kill after 30 s by default). */
export const DEFAULT_DRAIN_TIMEOUT_MS = 25_000;
const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** Where stop signals come from: the process, or an emitter in tests. */
export interface SignalSource {
  on(signal: (typeof STOP_SIGNALS)[number], listener: () => void): unknown;
  off(signal: (typeof STOP_SIGNALS)[number], listener: () => void): unknown;
}

/** Options of `tasker worker --namespace <ns> --handlers <module> [--concurrency N]`. */
export interface PullWorkerProcessOptions {
  /** The worker pool's namespace: its dispatch queue comes from TASKER_NAMESPACE_QUEUE_URLS, else TASKER_DISPATCH_QUEUE_URL. */
  readonly namespace: string;
  /** Handlers by `handler.callable` (the `--handlers` module's export). */
  readonly handlers: HandlerMap;
  /** Handlers running at once; TASKER_MAX_CONCURRENT_HANDLERS (default 10) when left out. */
  readonly concurrency?: number;
  /** The dispatch queue URL, instead of the namespace routing of the environment. */
  readonly queueUrl?: string;
  /** How long SIGTERM waits for running handlers before leaving them to redelivery. Default 25 s. */
  readonly drainTimeoutMs?: number;
  /** Pull worker settings with no environment variable (visibility timeout, poll wait, batch size, ...). */
  readonly worker?: Partial<
    Omit<PullWorkerConfig, 'dispatchQueueUrl' | 'completionQueueUrl' | 'poisonQueueUrl' | 'domainEventDlqUrl'>
  >;
  /** Read instead of `process.env`. */
  readonly env?: Record<string, string | undefined>;
  readonly overrides?: PullWorkerProcessOverrides;
}

/** Ports and hooks a test injects instead of the AWS adapters, the environment and the process. */
export interface PullWorkerProcessOverrides {
  readonly config?: RuntimeConfig;
  readonly dispatch?: QueueReceiver;
  readonly queue?: QueueSender;
  readonly bus?: EventBus;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly sleep?: Sleep;
  /** Where SIGTERM/SIGINT come from; `null` installs no handlers. Default: the process. */
  readonly signals?: SignalSource | null;
  /** Called with 0 after a signal-triggered drain (1 on a second signal). Default: process.exit. */
  readonly exit?: (code: number) => void;
}

export interface PullWorkerProcess {
  readonly namespace: string;
  readonly queueUrl: string;
  readonly worker: PullWorker;
  readonly loop: PullWorkerLoop;
  /** Drains (stop polling, wait for running handlers up to the drain timeout) and closes; idempotent. */
  stop(reason?: string): Promise<DrainReport>;
}

/**
 * Runs a pull worker for one namespace until SIGTERM or SIGINT, then drains and exits 0: polling
 * stops, running handlers finish (up to the drain timeout) and are completed, unfinished messages
 * stay undeleted so SQS redelivers them: nothing is lost. Throws a ConfigurationError naming every
 * missing setting (dispatch, completion and poison queue URLs).
 */
export function runPullWorkerProcess(options: PullWorkerProcessOptions): PullWorkerProcess {
  const o = options.overrides ?? {};
  const config = o.config ?? loadConfig(options.env ?? process.env);
  requireSettings(config, ['completionQueueUrl', 'poisonQueueUrl']);
  const queueUrl = dispatchQueueUrlFor(options.namespace, config, options.queueUrl);
  const logger =
    o.logger ??
    createLogger({ level: config.logLevel, base: { service: 'pull-worker', namespace: options.namespace } });
  const clock = o.clock ?? systemClock;
  const sqs = o.dispatch === undefined || o.queue === undefined ? new SqsQueue(createSqsClient()) : undefined;
  const worker = new PullWorker({
    dispatch: o.dispatch ?? (sqs as SqsQueue),
    queue: o.queue ?? (sqs as SqsQueue),
    bus: o.bus ?? new EventBridgeBus(createEventBridgeClient(), config.eventBusName),
    clock,
    logger,
    config: pullWorkerConfigOf(config, queueUrl, options),
    ...(o.sleep === undefined ? {} : { sleep: o.sleep }),
  });
  const concurrency = options.concurrency ?? config.maxConcurrentHandlers;
  const loop = new PullWorkerLoop({ worker, handlers: options.handlers, concurrency, clock, logger });
  const handle = stoppable(options, worker, loop, queueUrl, logger);
  installSignalHandlers(handle, o, logger);
  loop.start();
  logger.info('pull worker started', {
    queue_url: queueUrl,
    concurrency,
    handlers: Object.keys(options.handlers).sort(),
    shared_queue: queueUrl === config.dispatchQueueUrl,
  });
  return handle;
}

/** The namespace's dispatch queue: the explicit URL, else its TASKER_NAMESPACE_QUEUE_URLS entry, else TASKER_DISPATCH_QUEUE_URL. */
export function dispatchQueueUrlFor(namespace: string, config: RuntimeConfig, explicit?: string): string {
  const routing = staticRouting({
    dispatchQueueUrl: config.dispatchQueueUrl,
    namespaceQueueUrls: config.namespaceQueueUrls,
    completionQueueUrl: '',
  });
  const url = explicit ?? routing.dispatchQueueFor(namespace);
  if (url === null)
    throw new ConfigurationError([
      `no dispatch queue for namespace "${namespace}": set TASKER_NAMESPACE_QUEUE_URLS or TASKER_DISPATCH_QUEUE_URL, or pass the queue URL`,
    ]);
  return url;
}

function pullWorkerConfigOf(
  config: RuntimeConfig,
  dispatchQueueUrl: string,
  options: PullWorkerProcessOptions,
): PullWorkerConfig {
  return {
    dispatchQueueUrl,
    completionQueueUrl: config.completionQueueUrl as string,
    poisonQueueUrl: config.poisonQueueUrl as string,
    domainEventDlqUrl: config.domainEventDlqUrl,
    workerId: config.workerId ?? `${hostname()}:${process.pid}`,
    completionTimeoutMs: config.completionTimeoutMs,
    starvationWarningThresholdMs: config.starvationWarningThresholdMs,
    callbackTimeoutMs: config.callbackTimeoutMs,
    ...(config.visibilityTimeoutSeconds ? { visibilityTimeoutSeconds: config.visibilityTimeoutSeconds } : {}),
    ...options.worker,
  };
}

function stoppable(
  options: PullWorkerProcessOptions,
  worker: PullWorker,
  loop: PullWorkerLoop,
  queueUrl: string,
  logger: Logger,
): PullWorkerProcess {
  let stopping: Promise<DrainReport> | undefined;
  const stop = (reason = 'stop requested'): Promise<DrainReport> => {
    if (stopping === undefined)
      logger.info('pull worker stopping: polling stopped, draining running handlers', {
        reason,
        running: loop.inFlight().length,
      });
    stopping ??= loop.drain(options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS);
    return stopping;
  };
  return { namespace: options.namespace, queueUrl, worker, loop, stop };
}

/** First signal: drain, then exit 0. A second signal while draining exits 1 at once (unfinished messages are redelivered anyway). */
function installSignalHandlers(handle: PullWorkerProcess, o: PullWorkerProcessOverrides, logger: Logger): void {
  const signals = o.signals === undefined ? process : o.signals;
  if (signals === null) return;
  const exit = o.exit ?? ((code: number) => process.exit(code));
  let received = false;
  const onSignal = (signal: string) => () => {
    if (received) {
      logger.warn('second stop signal: exiting without waiting for the drain', { signal });
      return exit(1);
    }
    received = true;
    void handle.stop(signal).then(
      () => finish(0),
      (error: unknown) => {
        logger.error('drain failed', { problem: errorMessage(error) });
        finish(1);
      },
    );
  };
  const finish = (code: number) => {
    for (const s of STOP_SIGNALS) signals.off(s, listeners[s]);
    exit(code);
  };
  const listeners = Object.fromEntries(STOP_SIGNALS.map((s) => [s, onSignal(s)])) as Record<
    (typeof STOP_SIGNALS)[number],
    () => void
  >;
  for (const s of STOP_SIGNALS) signals.on(s, listeners[s]);
}
