import { randomUUID } from 'node:crypto';
import type { CreateTaskRequestInput } from '../../lib/contracts/create-task-request.js';
import { stepDispatchMessage, type StepDispatchMessage } from '../../lib/contracts/step-dispatch-message.js';
import type { StepExecutionResult } from '../../lib/contracts/step-execution-result.js';
import type { ErrorType } from '../../lib/domain/error-type.js';
import type { TaskTemplate } from '../../lib/domain/task-template.js';
import { PostgresOrchestrationStore } from '../../lib/adapters/postgres/postgres-orchestration-store.js';
import { CountingQueryable } from '../../lib/adapters/postgres/queryable.js';
import { createTask, type CreateTaskResult } from '../../lib/orchestration/create-task.js';
import type { OrchestrationDeps } from '../../lib/orchestration/orchestration-deps.js';
import { processCompletionBatch } from '../../lib/orchestration/process-completion-batch.js';
import type { BatchResponse } from '../../lib/ports/batch-response.js';
import { staticRouting } from '../../lib/orchestration/queue-routing.js';
import { registerTemplates } from '../../lib/orchestration/register-templates.js';
import type { OutgoingMessage } from '../../lib/ports/message-queue.js';
import { FakeEventBus } from './fake-event-bus.js';
import { FakeQueueSender } from './fake-queue-sender.js';
import { RecordingLogger } from './recording-logger.js';
import type { TestDatabase } from './test-database.js';
import { subjectOf } from '../../lib/worker/step-result.js';

export const DISPATCH_QUEUE = 'test://dispatch';
export const COMPLETION_QUEUE = 'test://completion';
export const POISON_QUEUE = 'test://poison';

/** Orchestration on a real database with recording queues: drives tasks step by step. */
export class OrchestrationHarness {
  readonly queues = new FakeQueueSender();
  readonly bus = new FakeEventBus();
  private readonly taken = new Map<string, number>();
  readonly logger = new RecordingLogger();
  readonly db: CountingQueryable;
  readonly store: PostgresOrchestrationStore;
  readonly deps: OrchestrationDeps;
  randomValue = 0.5;

  constructor(database: TestDatabase) {
    this.db = new CountingQueryable(database.pool);
    this.store = new PostgresOrchestrationStore(this.db);
    this.deps = {
      store: this.store,
      queues: this.queues,
      events: this.bus,
      routing: staticRouting({
        dispatchQueueUrl: DISPATCH_QUEUE,
        completionQueueUrl: COMPLETION_QUEUE,
        poisonQueueUrl: POISON_QUEUE,
      }),
      clock: { now: () => new Date() },
      random: { next: () => this.randomValue },
      logger: this.logger,
    };
  }

  register(...templates: TaskTemplate[]): Promise<number> {
    return registerTemplates(this.store, templates);
  }

  async start(
    template: TaskTemplate,
    context: Record<string, unknown> = {},
    extra: Partial<CreateTaskRequestInput> = {},
  ): Promise<string> {
    const result = await this.create({
      namespace: template.namespace,
      name: template.name,
      version: template.version,
      context,
      identity_strategy: 'always_unique',
      ...extra,
    });
    if (!result.ok) throw new Error(`task not created: ${result.message} ${result.problems.join(', ')}`);
    return result.taskUuid;
  }

  create(request: CreateTaskRequestInput): Promise<CreateTaskResult> {
    return createTask(this.deps, request);
  }

  /** Dispatch messages sent since the last call, parsed with the contract. */
  dispatched(): StepDispatchMessage[] {
    return this.take(DISPATCH_QUEUE).map((m) => stepDispatchMessage.parse(JSON.parse(m.body)));
  }

  completionMessages(): OutgoingMessage[] {
    return this.take(COMPLETION_QUEUE);
  }

  /** Messages sent to a queue since the last take. */
  private take(queueUrl: string): OutgoingMessage[] {
    const all = this.queues.sent.filter((s) => s.queueUrl === queueUrl).map((s) => s.message);
    const fresh = all.slice(this.taken.get(queueUrl) ?? 0);
    this.taken.set(queueUrl, all.length);
    return fresh;
  }

  deliver(...results: StepExecutionResult[]): Promise<BatchResponse> {
    return processCompletionBatch(
      this.deps,
      results.map((r) => ({ messageId: randomUUID(), body: JSON.stringify(r) })),
    );
  }

  succeed(message: StepDispatchMessage, result: unknown = { step: message.step_name }): Promise<BatchResponse> {
    return this.deliver(successResult(message, result));
  }

  fail(message: StepDispatchMessage, error: Partial<FailureSpec> = {}): Promise<BatchResponse> {
    return this.deliver(failureResult(message, error));
  }

  /** Runs every dispatched step with `run` until nothing more is dispatched. */
  async drive(
    run: (m: StepDispatchMessage) => { ok: true; result?: unknown } | ({ ok: false } & Partial<FailureSpec>),
    maxRounds = 100,
  ): Promise<void> {
    for (let round = 0; round < maxRounds; round++) {
      const batch = this.dispatched();
      if (batch.length === 0) return;
      const results = batch.map((m) => {
        const r = run(m);
        return r.ok ? successResult(m, r.result ?? { step: m.step_name }) : failureResult(m, r);
      });
      await this.deliver(...results);
    }
    throw new Error('drive did not settle');
  }

  /** Evaluates a task as a retry tick would. */
  async tick(taskUuid: string): Promise<void> {
    await processCompletionBatch(this.deps, [
      {
        messageId: randomUUID(),
        body: JSON.stringify({
          schema_version: 1,
          message_type: 'retry_due',
          task_uuid: taskUuid,
          due_at: new Date().toISOString(),
        }),
      },
    ]);
  }

  async stepStates(taskUuid: string): Promise<Record<string, string>> {
    const task = await this.store.getTask(taskUuid);
    return Object.fromEntries((task?.steps ?? []).map((s) => [s.name, s.state]));
  }
}

export interface FailureSpec {
  error_type: ErrorType;
  message: string;
  retryable: boolean;
  retry_after_ms: number | null;
}

export function successResult(m: StepDispatchMessage, result: unknown): StepExecutionResult {
  return { ...resultBase(m), status: 'success', result, error: null };
}

export function failureResult(m: StepDispatchMessage, e: Partial<FailureSpec> = {}): StepExecutionResult {
  const error = {
    error_type: e.error_type ?? 'handler_error',
    message: e.message ?? 'boom',
    retryable: e.retryable ?? true,
    retry_after_ms: e.retry_after_ms ?? null,
    code: null,
  };
  return { ...resultBase(m), status: 'failure', result: null, error };
}

function resultBase(m: StepDispatchMessage) {
  const at = new Date().toISOString();
  return {
    schema_version: 1 as const,
    message_type: 'step_result' as const,
    ...subjectOf(m),
    timing: { started_at: at, completed_at: at, duration_ms: 1 },
    worker: { worker_id: 'test-worker', kind: 'test' },
  };
}
