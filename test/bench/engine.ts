import { performance } from 'node:perf_hooks';
import pino from 'pino';
import {
  LONG_LIVED_STORE,
  PostgresOrchestrationStore,
} from '../../lib/adapters/postgres/postgres-orchestration-store.js';
import { CountingQueryable, type Queryable } from '../../lib/adapters/postgres/queryable.js';
import type { TaskTemplate } from '../../lib/domain/task-template.js';
import { createTask } from '../../lib/orchestration/create-task.js';
import type { OrchestrationDeps } from '../../lib/orchestration/orchestration-deps.js';
import { processCompletionBatch } from '../../lib/orchestration/process-completion-batch.js';
import { staticRouting } from '../../lib/orchestration/queue-routing.js';
import { registerTemplates } from '../../lib/orchestration/register-templates.js';
import type { Logger } from '../../lib/ports/logger.js';
import type { ReceivedMessage } from '../../lib/ports/message-queue.js';
import { createLogger } from '../../lib/lambda/logger.js';
import { createHandlerRegistry } from '../../lib/worker/handler-registry.js';
import type { DispatchDeps } from '../../lib/worker/dispatch-deps.js';
import { processDispatchBatch } from '../../lib/worker/process-dispatch-batch.js';
import { LifecycleWatch } from './lifecycle-watch.js';
import { BENCH_HANDLERS } from './templates.js';
import { TimingQueryable } from './timing-queryable.js';
import type { Transport } from './transport.js';

/** How the in-process consumers poll, as an SQS event source mapping would: pollers × batch size records in flight. */
export interface ConsumerSettings {
  readonly dispatchPollers: number;
  readonly completionPollers: number;
  /** Records per receive (SQS: at most 10). */
  readonly batchSize: number;
  /** Long-poll wait of each receive. */
  readonly waitTimeSeconds: number;
}

export const DEFAULT_CONSUMERS: ConsumerSettings = {
  dispatchPollers: 4,
  completionPollers: 4,
  batchSize: 10,
  waitTimeSeconds: 1,
};

/** What one consumer did: batches, records, records left for redelivery, time spent in the use case. */
export interface ConsumerTally {
  batches: number;
  records: number;
  redelivered: number;
  busyMs: number;
  errors: string[];
}

const newTally = (): ConsumerTally => ({ batches: 0, records: 0, redelivered: 0, busyMs: 0, errors: [] });

/** Logs as in production (pino JSON, info level) but into /dev/null, so serialising them is part of the cost. */
export function benchLogger(level = process.env.BENCH_LOG_LEVEL ?? 'info'): Logger {
  return createLogger({
    level,
    base: { service: 'bench' },
    destination: pino.destination({ dest: '/dev/null', sync: true }),
  });
}

/**
 * The engine as it runs in production, minus AWS: the PostgreSQL store (SQL functions), the
 * real completion use case (`processCompletionBatch`) and the real step-handler use case
 * (`processDispatchBatch`), connected by the transport's queues; consumers receive → invoke →
 * delete in a loop, as Lambda's SQS event source mapping does. Nothing is faked.
 */
export class BenchEngine {
  readonly timing: TimingQueryable;
  readonly counter: CountingQueryable;
  readonly watch: LifecycleWatch;
  readonly deps: OrchestrationDeps;
  readonly dispatchTally = newTally();
  readonly completionTally = newTally();
  private readonly store: PostgresOrchestrationStore;
  private readonly dispatchDeps: DispatchDeps;
  private readonly loops: Promise<void>[] = [];
  private stopping = false;

  constructor(
    db: Queryable,
    private readonly transport: Transport,
    private readonly consumers: ConsumerSettings = DEFAULT_CONSUMERS,
    logger: Logger = benchLogger(),
  ) {
    this.timing = new TimingQueryable(db);
    this.counter = new CountingQueryable(this.timing);
    this.watch = new LifecycleWatch(transport.bus);
    this.store = new PostgresOrchestrationStore(this.counter, LONG_LIVED_STORE);
    this.deps = orchestrationDeps(this.store, transport, this.watch, logger);
    this.dispatchDeps = workerDeps(transport, logger);
  }

  async register(...templates: TaskTemplate[]): Promise<void> {
    await registerTemplates(this.deps.store, templates);
  }

  /** Starts the consumers; `maxLifetimeMs` bounds them even if stop() is never called. */
  start(maxLifetimeMs: number): void {
    const until = performance.now() + maxLifetimeMs;
    const { dispatchUrl, completionUrl } = this.transport;
    for (let i = 0; i < this.consumers.dispatchPollers; i++)
      this.loops.push(this.poll(dispatchUrl, until, this.dispatchTally, (m) => this.dispatch(m)));
    for (let i = 0; i < this.consumers.completionPollers; i++)
      this.loops.push(this.poll(completionUrl, until, this.completionTally, (m) => this.complete(m)));
  }

  /** Creates a task the way the API does (`createTask`: validation, store, outbox delivery of its root steps). */
  async createTask(template: TaskTemplate, context: Record<string, unknown>): Promise<string> {
    const result = await createTask(this.deps, {
      namespace: template.namespace,
      name: template.name,
      version: template.version,
      context,
      identity_strategy: 'always_unique',
    });
    if (!result.ok) throw new Error(`task not created: ${result.code} ${result.message} ${result.problems.join('; ')}`);
    return result.taskUuid;
  }

  /** Resets the round-trip count and the per-operation timings. */
  resetCounters(): void {
    this.counter.roundTrips = 0;
    this.timing.reset();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.transport.kind === 'memory') await this.transport.close();
    await Promise.all(this.loops);
    await this.store.flushOutboxMarks();
    if (this.transport.kind !== 'memory') await this.transport.close();
  }

  private dispatch(messages: ReceivedMessage[]) {
    const records = messages.map((m) => ({
      messageId: m.messageId,
      body: m.body,
      receiveCount: m.receiveCount,
      sourceQueue: this.transport.dispatchUrl,
    }));
    return processDispatchBatch(records, this.dispatchDeps);
  }

  private complete(messages: ReceivedMessage[]) {
    return processCompletionBatch(
      this.deps,
      messages.map((m) => ({ messageId: m.messageId, body: m.body })),
    );
  }

  private async poll(
    url: string,
    until: number,
    tally: ConsumerTally,
    handle: (m: ReceivedMessage[]) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>,
  ): Promise<void> {
    while (!this.stopping && performance.now() < until) {
      try {
        const messages = await this.transport.queue.receive(url, {
          maxMessages: this.consumers.batchSize,
          waitTimeSeconds: this.consumers.waitTimeSeconds,
        });
        if (messages.length > 0) await this.handleBatch(url, messages, tally, handle);
      } catch (error) {
        if (this.stopping) return;
        if (tally.errors.length < 20) tally.errors.push((error as Error).message);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  private async handleBatch(
    url: string,
    messages: ReceivedMessage[],
    tally: ConsumerTally,
    handle: (m: ReceivedMessage[]) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>,
  ): Promise<void> {
    const started = performance.now();
    const response = await handle(messages);
    tally.busyMs += performance.now() - started;
    tally.batches += 1;
    tally.records += messages.length;
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    tally.redelivered += failed.size;
    await Promise.all(
      messages.filter((m) => !failed.has(m.messageId)).map((m) => this.transport.queue.delete(url, m.receiptHandle)),
    );
  }
}

function orchestrationDeps(
  store: PostgresOrchestrationStore,
  transport: Transport,
  events: LifecycleWatch,
  logger: Logger,
): OrchestrationDeps {
  return {
    store,
    queues: transport.queue,
    events,
    routing: staticRouting({
      dispatchQueueUrl: transport.dispatchUrl,
      completionQueueUrl: transport.completionUrl,
      poisonQueueUrl: transport.poisonUrl,
    }),
    clock: { now: () => new Date() },
    random: { next: Math.random },
    logger: logger.child({ component: 'orchestration' }),
  };
}

function workerDeps(transport: Transport, logger: Logger): DispatchDeps {
  return {
    queue: transport.queue,
    bus: transport.bus,
    clock: { now: () => new Date() },
    logger: logger.child({ component: 'step-handler' }),
    handlers: createHandlerRegistry(BENCH_HANDLERS),
    config: {
      completionQueueUrl: transport.completionUrl,
      poisonQueueUrl: transport.poisonUrl,
      safetyMarginMs: 1_000,
      workerId: 'bench-worker',
      workerKind: 'local',
    },
    // A Lambda's longest life: 15 minutes.
    remainingTimeMs: () => 900_000,
  };
}
