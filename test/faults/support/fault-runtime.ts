import pg from 'pg';
import { MemoryEventBus } from '../../../lib/adapters/memory/memory-event-bus.js';
import type { MemoryQueue } from '../../../lib/adapters/memory/memory-queue.js';
import type { Queryable } from '../../../lib/adapters/postgres/queryable.js';
import type { CreateTaskRequestInput } from '../../../lib/contracts/create-task-request.js';
import type { TaskTemplate } from '../../../lib/domain/task-template.js';
import type { OrchestrationLimits } from '../../../lib/orchestration/orchestration-deps.js';
import { startEmbeddedRuntime, type EmbeddedRuntime } from '../../../lib/local/embedded-runtime.js';
import type { EmbeddedSettingsInput } from '../../../lib/local/embedded-settings.js';
import type { QueueUrls } from '../../../lib/local/embedded-transport.js';
import { FINAL_TASK_STATES } from '../../../lib/local/progress-observer.js';
import type { SqsLambdaHandler } from '../../../lib/local/sqs-lambda-runner.js';
import type { HandlerMap } from '../../../lib/worker/handler-api.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';
import { countScenario, reportAndAssert, type Findings } from './accounting.js';
import { CountingLogger } from './counting-logger.js';
import { FaultBus } from './fault-bus.js';
import { FaultQueue } from './fault-queue.js';
import { Ledger } from './ledger.js';
import { FAULTS_SEED } from './seeded-random.js';
import { CHAIN, SINGLE, Workload } from './workload.js';

/**
 * The settings every scenario starts from: the deployed shape (step handler capped at 10,
 * completion batches of 10, redrive after 5 receives) with short timeouts so a message abandoned
 * by a crash comes back in seconds instead of minutes.
 */
export const FAULT_SETTINGS = {
  stepHandler: { timeoutMs: 3_000 },
  completion: { timeoutMs: 5_000 },
  dispatchQueue: { visibilityTimeoutSeconds: 4 },
  completionQueue: { visibilityTimeoutSeconds: 6 },
  sweepIntervalMs: 1_000,
  safetyMarginMs: 500,
} satisfies EmbeddedSettingsInput;

export interface FaultRuntimeOptions {
  readonly templates?: readonly TaskTemplate[];
  readonly workload?: Workload;
  readonly handlers?: HandlerMap;
  /** Overrides on top of FAULT_SETTINGS (per function or queue, merged). */
  readonly settings?: EmbeddedSettingsInput;
  readonly limits?: Partial<OrchestrationLimits>;
  readonly stepHandler?: (handler: SqsLambdaHandler) => SqsLambdaHandler;
  readonly completion?: (handler: SqsLambdaHandler) => SqsLambdaHandler;
}

/** A started task the scenario counts. */
export interface Started {
  readonly taskUuids: string[];
  readonly designedToFail: Set<string>;
}

/**
 * The embedded runtime (real Lambdas, local SQS event-source runners, in-process queues) on a
 * database of its own: a fresh database on the DATABASE_URL server, else PGlite. The queues and
 * the bus are wrapped so the scenario can disturb them and the ledger sees every result and event.
 */
export class FaultRuntime {
  readonly ledger = new Ledger();
  readonly logger = new CountingLogger();
  readonly started: Started = { taskUuids: [], designedToFail: new Set() };
  queue!: FaultQueue;
  runtime!: EmbeddedRuntime;
  db!: Queryable;
  private testDatabase: TestDatabase | undefined;
  private client: pg.Client | undefined;
  private innerBus: unknown;

  private constructor(readonly workload: Workload) {}

  static async start(options: FaultRuntimeOptions = {}): Promise<FaultRuntime> {
    const self = new FaultRuntime(options.workload ?? new Workload());
    try {
      await self.open(options);
    } catch (error) {
      await self.stop().catch(() => undefined);
      throw error;
    }
    return self;
  }

  get kind(): 'server' | 'embedded' {
    return this.testDatabase ? 'server' : 'embedded';
  }

  get urls(): QueueUrls {
    return this.runtime.transport.urls;
  }

  get memory(): MemoryQueue {
    return this.runtime.transport.memory as MemoryQueue;
  }

  /** The in-process EventBridge under the ledger's wrapper (for its failure injection). */
  get eventBridge(): MemoryEventBus {
    return this.innerBus as MemoryEventBus;
  }

  private async open(options: FaultRuntimeOptions): Promise<void> {
    this.testDatabase = process.env.DATABASE_URL ? await createTestDatabase({ poolSize: 2 }) : undefined;
    const s = options.settings ?? {};
    this.runtime = await startEmbeddedRuntime({
      templates: options.templates ?? [CHAIN, SINGLE],
      handlers: options.handlers ?? this.workload.handlers(),
      databaseUrl: this.testDatabase?.connectionString ?? null,
      transport: 'memory',
      env: {},
      logger: this.logger,
      ...(options.limits ? { limits: options.limits } : {}),
      settings: {
        ...FAULT_SETTINGS,
        ...s,
        stepHandler: { ...FAULT_SETTINGS.stepHandler, ...s.stepHandler },
        completion: { ...FAULT_SETTINGS.completion, ...s.completion },
        dispatchQueue: { ...FAULT_SETTINGS.dispatchQueue, ...s.dispatchQueue },
        completionQueue: { ...FAULT_SETTINGS.completionQueue, ...s.completionQueue },
      },
      decorate: {
        queue: (queue, urls) => (this.queue = new FaultQueue(queue, urls, this.ledger)),
        bus: (bus) => {
          this.innerBus = bus;
          return new FaultBus(bus, this.ledger);
        },
        ...(options.stepHandler ? { stepHandler: options.stepHandler } : {}),
        ...(options.completion ? { completion: options.completion } : {}),
      },
    });
    if (!(this.innerBus instanceof MemoryEventBus)) throw new Error('the fault runtime needs the memory transport');
    this.db = this.testDatabase?.pool ?? (await this.connectEmbedded());
  }

  /** A second connection to PGlite for the accounting (PGlite queues queries across connections). */
  private async connectEmbedded(): Promise<Queryable> {
    this.client = new pg.Client({ connectionString: this.runtime.database.connectionString });
    this.client.on('error', () => undefined);
    await this.client.connect();
    return this.client;
  }

  /** Creates tasks (at most `parallel` requests at once; all at once when undefined); each must be accepted. */
  async startTasks(
    contexts: readonly Record<string, unknown>[],
    template: TaskTemplate = CHAIN,
    parallel?: number,
  ): Promise<string[]> {
    const uuids: string[] = new Array(contexts.length);
    const one = async (i: number) => {
      const context = contexts[i] as Record<string, unknown>;
      const created = await this.runtime.createTask(request(template, context));
      if (!created.ok)
        throw new Error(`task refused: ${created.code} ${created.message} ${created.problems.join('; ')}`);
      uuids[i] = created.taskUuid;
      this.started.taskUuids.push(created.taskUuid);
      if (context.fail !== undefined || context.designed_to_fail === true)
        this.started.designedToFail.add(created.taskUuid);
    };
    const lanes = Math.min(parallel ?? contexts.length, contexts.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        while (next < contexts.length) await one(next++);
      }),
    );
    return uuids;
  }

  /** Counts a task the scenario started some other way. */
  track(taskUuid: string, designedToFail: boolean): void {
    this.started.taskUuids.push(taskUuid);
    if (designedToFail) this.started.designedToFail.add(taskUuid);
  }

  /**
   * Waits until every started task is final with no open attempt, the outbox is empty, and the work
   * queues hold nothing visible or in flight (so late duplicates and their events are in); false at
   * the deadline.
   * A failing read (database restarting) is retried.
   */
  async drain(timeoutMs: number): Promise<{ drained: boolean; ms: number }> {
    const began = Date.now();
    while (Date.now() - began < timeoutMs) {
      if ((await this.openTasks().catch(() => -1)) === 0 && this.queuesQuiet()) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        if (this.queuesQuiet()) return { drained: true, ms: Date.now() - began };
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return { drained: false, ms: Date.now() - began };
  }

  /** Started tasks not final, or with an attempt still open, plus outbox rows not yet sent. */
  async openTasks(): Promise<number> {
    const outbox = await this.db.query<{ n: number }>('select count(*)::int as n from tasker.outbox');
    return (await this.unfinishedTasks()) + (outbox.rows[0]?.n ?? 0);
  }

  async unfinishedTasks(): Promise<number> {
    const { rows } = await this.db.query<{ done: number }>(
      `select count(*)::int as done from tasker.tasks t
        where t.task_uuid = any($1::uuid[]) and t.state = any($2::text[])
          and not exists (select 1 from tasker.step_dispatches d where d.task_uuid = t.task_uuid and d.status = 'dispatched')`,
      [this.started.taskUuids, FINAL_TASK_STATES],
    );
    return this.started.taskUuids.length - (rows[0]?.done ?? 0);
  }

  queuesQuiet(): boolean {
    const urls = [this.urls.dispatch as string, this.urls.completion];
    return urls.every((url) => this.memory.depth(url) === 0 && this.memory.inFlight(url) === 0);
  }

  count(): Promise<Findings> {
    return countScenario(this.db, this.ledger, this.started);
  }

  /** Counts, prints the scenario's line and asserts the zeros. */
  async report(scenario: string, facts: Record<string, string | number> = {}): Promise<Findings> {
    const findings = await this.count();
    reportAndAssert(scenario, findings, { db: this.kind, seed: FAULTS_SEED, ...facts });
    return findings;
  }

  /** Stops the runtime, then closes the accounting connection and drops the scenario's database, whatever failed before. */
  async stop(): Promise<void> {
    try {
      await this.runtime?.stop();
    } finally {
      await this.client?.end().catch(() => undefined);
      await this.testDatabase?.close();
    }
  }
}

function request(template: TaskTemplate, context: Record<string, unknown>): CreateTaskRequestInput {
  return {
    namespace: template.namespace,
    name: template.name,
    version: template.version,
    context,
    identity_strategy: 'always_unique',
  };
}

/** n chain contexts: every `failEvery`-th fails at b (by design), every `flakyEvery`-th retries a once. */
export function chainContexts(
  n: number,
  options: { failEvery?: number; flakyEvery?: number } = {},
): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    n: i,
    ...(options.failEvery && i % options.failEvery === options.failEvery - 1 ? { fail: i % 2 === 0 ? 'b' : 'c' } : {}),
    ...(options.flakyEvery && i % options.flakyEvery === 0 ? { flaky: true } : {}),
  }));
}
