import { resolve } from 'node:path';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { EventBridgeBus } from '../adapters/eventbridge/eventbridge-bus.js';
import { SqsQueue } from '../adapters/sqs/sqs-queue.js';
import type { RuntimeConfig } from '../contracts/runtime-config.js';
import type { HandlerMap } from '../worker/handler-api.js';
import { PullWorkerConfigError } from '../worker/pull/pull-worker-config.js';
import { createEventBridgeClient, createSqsClient } from '../lambda/aws-clients.js';
import { ConfigurationError, loadConfig } from '../lambda/config.js';
import {
  DEFAULT_DRAIN_TIMEOUT_MS,
  runPullWorkerProcess,
  type PullWorkerProcess,
  type PullWorkerProcessOptions,
} from '../container/pull-worker-process.js';
import { out, type CliIo } from './cli-io.js';
import { cliLogger } from './cli-logger.js';
import { CliError } from './errors.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { loadHandlerModules } from './load-handlers.js';

/** `tasker worker`'s options as commander gives them. */
export interface WorkerCliOptions {
  readonly namespace: string;
  /** Undefined when not given (the command refuses to start without one). */
  readonly handlers?: readonly string[];
  readonly concurrency?: string;
  readonly drainTimeout?: string;
  readonly queueUrl?: string;
  readonly logLevel?: string;
  readonly logFile?: string;
}

/**
 * `tasker worker`: loads the handlers and the configuration (SQS/EventBridge from the environment),
 * runs the pull worker until `signal` aborts, then drains it and exits 0. Every usage or
 * configuration problem is reported before anything is received.
 */
export async function workerCommand(opts: WorkerCliOptions, io: CliIo, signal: AbortSignal): Promise<ExitCode> {
  const numbers = parseNumbers(opts);
  if (!opts.handlers || opts.handlers.length === 0)
    throw new CliError('missing_option', "required option '--handlers <module>' not specified", {
      hint: 'tasker worker --help for usage',
    });
  if (opts.queueUrl !== undefined && !URL.canParse(opts.queueUrl))
    throw new CliError('invalid_option', `--queue-url must be a URL (got '${opts.queueUrl}')`);
  const handlers = await loadHandlerModules(opts.handlers, io.cwd);
  const config = configFrom(io.env);
  const clients = { sqs: createSqsClient(), events: createEventBridgeClient() };
  try {
    const worker = started(() => runPullWorkerProcess(processOptions(opts, numbers, handlers, config, clients, io)));
    out(
      io,
      `tasker worker: namespace ${opts.namespace}, queue ${worker.queueUrl}, ${numbers.concurrency ?? config.maxConcurrentHandlers} handler(s) at once; SIGTERM or SIGINT drains`,
    );
    await abortOf(signal);
    const report = await worker.stop('stop signal');
    out(
      io,
      `tasker worker: drained=${report.drained} finished=${report.finished} unfinished=${report.unfinished.length}`,
    );
    return EXIT.ok;
  } finally {
    clients.sqs.destroy();
    clients.events.destroy();
  }
}

interface Clients {
  readonly sqs: SQSClient;
  readonly events: EventBridgeClient;
}

/** The pull worker on this command's clients and logger; the command, not the worker, handles the stop signals. */
function processOptions(
  opts: WorkerCliOptions,
  numbers: ParsedNumbers,
  handlers: HandlerMap,
  config: RuntimeConfig,
  clients: Clients,
  io: CliIo,
): PullWorkerProcessOptions {
  const sqs = new SqsQueue(clients.sqs);
  const logger = cliLogger({
    logLevel: opts.logLevel ?? config.logLevel,
    ...(opts.logFile ? { logFile: resolve(io.cwd, opts.logFile) } : {}),
  });
  return {
    namespace: opts.namespace,
    handlers,
    drainTimeoutMs: numbers.drainTimeoutMs,
    ...(numbers.concurrency === undefined ? {} : { concurrency: numbers.concurrency }),
    ...(opts.queueUrl === undefined ? {} : { queueUrl: opts.queueUrl }),
    overrides: {
      config,
      dispatch: sqs,
      queue: sqs,
      bus: new EventBridgeBus(clients.events, config.eventBusName),
      logger,
      signals: null,
    },
  };
}

interface ParsedNumbers {
  readonly concurrency: number | undefined;
  readonly drainTimeoutMs: number;
}

function parseNumbers(opts: WorkerCliOptions): ParsedNumbers {
  const concurrency = opts.concurrency === undefined ? undefined : Number(opts.concurrency);
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1))
    throw new CliError('invalid_option', `--concurrency must be a whole number >= 1 (got '${opts.concurrency}')`);
  const drainTimeoutMs = Number(opts.drainTimeout ?? DEFAULT_DRAIN_TIMEOUT_MS);
  if (!(Number.isInteger(drainTimeoutMs) && drainTimeoutMs >= 0))
    throw new CliError(
      'invalid_option',
      `--drain-timeout must be a whole number of milliseconds >= 0 (got '${opts.drainTimeout}')`,
    );
  return { concurrency, drainTimeoutMs };
}

function configFrom(env: Record<string, string | undefined>): RuntimeConfig {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigurationError)
      throw new CliError('invalid_configuration', 'invalid configuration in the environment', {
        problems: error.problems,
      });
    throw error;
  }
}

/** Starts the worker; a missing queue or a setting it cannot run with is a usage problem. */
function started(start: () => PullWorkerProcess): PullWorkerProcess {
  try {
    return start();
  } catch (error) {
    if (error instanceof ConfigurationError)
      throw new CliError('worker_cannot_start', 'the worker cannot start', { problems: error.problems });
    if (error instanceof PullWorkerConfigError) throw new CliError('worker_cannot_start', error.message);
    throw error;
  }
}

function abortOf(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolvePromise) => signal.addEventListener('abort', () => resolvePromise(), { once: true }));
}
