import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { errorMessage } from '../domain/error-message.js';
import {
  completionQueueBack,
  heartbeat,
  redeliveryAfterResult,
  resultBeforeDelete,
  shutdownDrain,
} from './delivery-scenarios.js';
import { EngineSide } from './engine-side.js';
import { createKitResources, type KitResources } from './kit-resources.js';
import { dispatchQueueEmpty, invalidDispatch, unparseableMessage, unreadableIds } from './malformed-scenarios.js';
import {
  handlerNotFound,
  handlerTimeout,
  oversizedResult,
  permanentFailure,
  retryableFailure,
  successWithDependencies,
} from './result-scenarios.js';
import type { Scenario, ScenarioContext } from './scenario.js';
import { startWorker } from './worker-process.js';

/**
 * The conformance kit (`tasker worker-conformance`): a scratch engine on the configured endpoint, the worker command
 * started against it, and the protocol's scenarios in phases (the first while the completion queue is missing; the
 * independent ones at once; the heartbeat alone; the shutdown drain last, as it stops the worker).
 */
export interface ConformanceOptions {
  readonly namespace: string;
  readonly command: readonly string[];
  readonly env: Record<string, string | undefined>;
  readonly clients: { readonly sqs: SQSClient; readonly events: EventBridgeClient };
  /** Run only the scenarios whose name contains one of these (all when empty). */
  readonly only?: readonly string[];
  /** Each scenario's line as soon as it is known. */
  readonly onReport?: (report: ScenarioReport) => void;
  readonly onWorkerOutput?: (chunk: string) => void;
  /** Aborting kills the worker and skips the phases not started (the scratch resources are still removed). */
  readonly signal?: AbortSignal;
}

export interface ScenarioReport {
  readonly name: string;
  readonly passed: boolean;
  readonly problems: readonly string[];
  readonly ms: number;
}

export interface ConformanceResult {
  readonly reports: readonly ScenarioReport[];
  readonly passed: boolean;
  /** The worker's last output, kept for a failure report. */
  readonly workerOutput: string;
}

/** The phases in order; scenarios of one phase run at once. */
export const PHASES: readonly (readonly Scenario[])[] = [
  [resultBeforeDelete],
  [
    successWithDependencies,
    permanentFailure,
    retryableFailure,
    handlerNotFound,
    handlerTimeout,
    oversizedResult,
    redeliveryAfterResult,
    unparseableMessage,
    unreadableIds,
    invalidDispatch,
  ],
  [heartbeat],
  [shutdownDrain],
];

export const CONTRACTS_SCENARIO =
  'every message the worker sent matches its contract, nothing left on the dispatch queue';

/**
 * Runs the kit once: scratch resources, the worker, every (selected) scenario; tears the resources down and kills the
 * worker if it still runs.
 *
 * @example
 * ```ts
 * const { passed, reports } = await runConformance({
 *   namespace: 'conformance',
 *   command: ['python', 'worker.py', '--namespace', 'conformance', '--handlers', 'conformance_handlers.py'],
 *   env: process.env,
 *   clients: { sqs: createSqsClient(), events: createEventBridgeClient() },
 * });
 * ```
 */
export async function runConformance(options: ConformanceOptions): Promise<ConformanceResult> {
  const resources = await createKitResources(options.namespace, options.clients);
  const engine = new EngineSide(options.clients.sqs, resources);
  const worker = startWorker(options.command, resources.workerEnv, options.env, options.onWorkerOutput);
  const ctx: ScenarioContext = { sqs: options.clients.sqs, resources, engine, worker };
  const reports: ScenarioReport[] = [];
  const report = (r: ScenarioReport) => {
    reports.push(r);
    options.onReport?.(r);
  };
  const kill = () => worker.signal('SIGKILL');
  options.signal?.addEventListener('abort', kill, { once: true });
  engine.start();
  try {
    await runPhases(ctx, options, report);
    report(await contractsReport(ctx, reports));
  } finally {
    options.signal?.removeEventListener('abort', kill);
    worker.signal('SIGKILL');
    await engine.stop();
    await cleanup(resources);
  }
  return { reports, passed: reports.every((r) => r.passed), workerOutput: worker.output() };
}

async function runPhases(ctx: ScenarioContext, options: ConformanceOptions, report: (r: ScenarioReport) => void) {
  const selected = (s: Scenario) =>
    s === resultBeforeDelete || !options.only?.length || options.only.some((part) => s.name.includes(part));
  for (const phase of PHASES) {
    if (options.signal?.aborted) return;
    const chosen = phase.filter(selected);
    if (!ctx.worker.running() && chosen.length > 0) {
      for (const s of chosen) report({ name: s.name, passed: false, problems: ['the worker is not running'], ms: 0 });
      continue;
    }
    await Promise.all(chosen.map(async (s) => report(await runOne(s, ctx))));
    await completionQueueBack(ctx);
  }
}

async function runOne(scenario: Scenario, ctx: ScenarioContext): Promise<ScenarioReport> {
  const started = Date.now();
  try {
    const problems = await scenario.run(ctx);
    return { name: scenario.name, passed: problems.length === 0, problems, ms: Date.now() - started };
  } catch (error) {
    return {
      name: scenario.name,
      passed: false,
      problems: [`the scenario failed: ${errorMessage(error)}`],
      ms: Date.now() - started,
    };
  }
}

async function contractsReport(ctx: ScenarioContext, reports: readonly ScenarioReport[]): Promise<ScenarioReport> {
  const started = Date.now();
  const drained = reports.some((r) => r.name === shutdownDrain.name);
  const left = drained || !ctx.worker.running() ? [] : await dispatchQueueEmpty(ctx, 5_000);
  const problems = [...ctx.engine.invalid, ...left];
  return { name: CONTRACTS_SCENARIO, passed: problems.length === 0, problems, ms: Date.now() - started };
}

async function cleanup(resources: KitResources): Promise<void> {
  try {
    await resources.teardown();
  } catch {
    // Scratch queues under a random prefix: a failed teardown leaves them, harmless on LocalStack.
  }
}
