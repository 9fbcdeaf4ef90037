import type { CreateTaskRequest } from '../contracts/create-task-request.js';
import type { StepExecutionResult } from '../contracts/step-execution-result.js';
import type { ExecutionStatus } from '../domain/execution-status.js';
import type { StepState } from '../domain/step-state.js';
import type { TaskState } from '../domain/task-state.js';
import type { DeclaredEvent, JsonSchema, StepType, TaskTemplate } from '../domain/task-template.js';

/** What an outbox row asks to be sent; written in the same transaction as the state change. */
/** `domain_event`: a wait step's domain event, payload `{source, detail_type, detail}` (000014_wait_steps.sql). */
export type OutboxKind = 'step_dispatch' | 'retry_due' | 'task_lifecycle' | 'domain_event';

export interface OutboxEntry {
  readonly id: string;
  readonly kind: OutboxKind;
  /** The namespace for step dispatches (each namespace routes to its own queue); null otherwise. */
  readonly namespace: string | null;
  readonly payload: Record<string, unknown>;
  /** Not to be delivered before this instant (retry ticks). */
  readonly availableAt: Date;
}

export interface RegisteredTemplate {
  readonly namedTaskId: string;
  readonly created: boolean;
}

/**
 * Thrown by `createTask` when the template it was given (from `findTemplate`) was registered again since it was read:
 * nothing was written, and the request was checked against a template that is no longer the one it would be created
 * from. Check it again with a fresh lookup (lib/orchestration/create-task.ts does).
 */
export class TemplateChangedError extends Error {
  override readonly name = 'TemplateChangedError';
}

export interface CreateTaskOutcome {
  readonly taskUuid: string;
  /** False when an identical task already existed and was returned instead. */
  readonly created: boolean;
  readonly state: TaskState;
  readonly correlationId: string;
  /** Messages to send now for the steps that were ready at creation. */
  readonly outbox: readonly OutboxEntry[];
}

export type ApplyStatus = 'applied' | 'duplicate' | 'late' | 'unknown_event';

export interface ApplyResultOutcome {
  readonly status: ApplyStatus;
  readonly taskUuid: string | null;
  readonly stepUuid: string | null;
  readonly stepState: StepState | null;
  readonly taskState: TaskState | null;
  /** Human-readable reason when the result was refused. */
  readonly reason: string | null;
  /** Messages to send now: newly ready steps, retry ticks, task lifecycle events. */
  readonly outbox: readonly OutboxEntry[];
}

/** One result of a batch and the random draw its backoff jitter uses. */
export interface ResultToApply {
  readonly result: StepExecutionResult;
  readonly random: number;
}

/**
 * What became of one result of a batch: its outcome; `unstorable` when the database refused the
 * result's data itself (`code`: the SQLSTATE, a data error that every retry would meet again); or
 * `failed` when the database could not apply it for a reason that may pass (the caller reports it
 * as a batch item failure and the queue redelivers it).
 */
export type BatchApplyOutcome =
  | ApplyResultOutcome
  | { readonly status: 'unstorable'; readonly code: string; readonly reason: string }
  | { readonly status: 'failed'; readonly reason: string };

/** One task to create in a batch: the request and the template it was checked against. */
export interface TaskToCreate {
  readonly request: CreateTaskRequest;
  readonly template: TaskTemplate;
}

/**
 * What became of a signal: `applied`, or refused: `duplicate` (already signalled), `late` (timed out,
 * or superseded by an operator action), `unknown_task`, `unknown_step`, `not_a_wait`, `not_waiting`
 * (its dependencies are not complete yet).
 */
export type SignalStatus =
  | Exclude<ApplyStatus, 'unknown_event'>
  | 'unknown_task'
  | 'unknown_step'
  | 'not_a_wait'
  | 'not_waiting';

export interface SignalOutcome extends Omit<ApplyResultOutcome, 'status'> {
  readonly status: SignalStatus;
}

/** A task's step as a signal needs it before it is applied: whether it is a wait, and its signal's schema. */
export interface SignalTarget {
  readonly stepUuid: string | null;
  readonly stepType: StepType | null;
  readonly signalSchema: JsonSchema | null;
  /** The step's declared domain events: those a signal fires must accept its payload. */
  readonly publishesEvents: readonly DeclaredEvent[];
}

export interface TimedOutDispatch {
  readonly eventId: string;
  readonly taskUuid: string;
  readonly stepUuid: string;
  readonly stepName: string;
  readonly correlationId: string;
  readonly attempt: number;
  readonly dispatchedAt: Date;
  readonly deadline: Date;
}

/**
 * What the sweeper saw of the dispatch queues at one sweep: where each namespace's attempts wait
 * (its own queue, else the default one) and which queues held messages waiting for a receive
 * (visible or delayed), or could not be read.
 */
export interface DispatchQueueObservation {
  readonly defaultQueue: string | null;
  readonly namespaceQueues: Readonly<Record<string, string>>;
  readonly backlogged: readonly string[];
}

/** A worker's report that it took up an attempt: its event_id and its message's first receive. */
export interface AttemptStarted {
  readonly eventId: string;
  readonly startedAt: Date;
}

export interface StepView {
  readonly stepUuid: string;
  readonly name: string;
  readonly namespace: string;
  readonly state: StepState;
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly retryable: boolean;
  readonly dependencies: readonly string[];
  readonly results: unknown;
  readonly lastError: Record<string, unknown> | null;
  readonly nextAttemptAt: Date | null;
  readonly lastAttemptedAt: Date | null;
  /** The template's `type` (absent or null: a handler runs the step). */
  readonly stepType?: StepType | null;
  /** A wait step's deadline while it waits for its signal; null otherwise. */
  readonly waitDeadline?: Date | null;
  /** An instance of a batch worker: instance `index` (from 0) of `count`; all instances share the step's name. */
  readonly batch?: { readonly index: number; readonly count: number };
}

export interface TransitionView {
  readonly entity: 'task' | 'step';
  readonly uuid: string;
  readonly fromState: string | null;
  readonly toState: string;
  readonly reason: string | null;
  readonly metadata: Record<string, unknown>;
  readonly createdAt: Date;
}

export interface TaskView {
  readonly taskUuid: string;
  readonly namespace: string;
  readonly name: string;
  readonly version: string;
  readonly state: TaskState;
  readonly context: Record<string, unknown>;
  readonly correlationId: string;
  readonly priority: number;
  readonly createdAt: Date;
  readonly completedAt: Date | null;
  readonly steps: readonly StepView[];
}

export interface ExecutionContext {
  readonly taskUuid: string;
  readonly totalSteps: number;
  readonly readySteps: number;
  readonly inProgressSteps: number;
  readonly waitingForRetrySteps: number;
  readonly completedSteps: number;
  readonly failedSteps: number;
  readonly executionStatus: ExecutionStatus;
}

export interface ReadyStep {
  readonly stepUuid: string;
  readonly name: string;
  readonly attempts: number;
}

/** One task of a list: what a table of tasks shows (no context, no steps). */
export interface TaskSummary {
  readonly taskUuid: string;
  readonly namespace: string;
  readonly name: string;
  readonly version: string;
  readonly state: TaskState;
  readonly correlationId: string;
  readonly priority: number;
  readonly createdAt: Date;
  readonly completedAt: Date | null;
  /** created_at in microseconds since the epoch: exact, for the next page's cursor. */
  readonly createdMicros: string;
}

/** Which tasks to list, newest first; `after`: the last task of the previous page. */
export interface TaskListQuery {
  readonly namespace?: string;
  readonly name?: string;
  readonly state?: TaskState;
  /** created_at >= createdFrom. */
  readonly createdFrom?: Date;
  /** created_at < createdTo. */
  readonly createdTo?: Date;
  readonly after?: { readonly createdMicros: string; readonly taskUuid: string };
  readonly limit: number;
}

export interface TaskListPage {
  readonly tasks: readonly TaskSummary[];
  /** True when more tasks match after the last one. */
  readonly more: boolean;
}

export type OperatorAction = 'reset_for_retry' | 'resolve_manually' | 'complete_manually';

export type OperatorOutcome =
  | { readonly ok: true; readonly outbox: readonly OutboxEntry[] }
  | { readonly ok: false; readonly reason: string };

/**
 * The orchestration state in PostgreSQL. Every method is one atomic operation (one SQL function
 * call); expected refusals come back as values, and only infrastructure failures throw.
 */
export interface OrchestrationStore {
  registerTemplate(template: TaskTemplate): Promise<RegisteredTemplate>;
  findTemplate(namespace: string, name: string, version?: string): Promise<TaskTemplate | null>;
  createTask(request: CreateTaskRequest, template: TaskTemplate): Promise<CreateTaskOutcome>;
  /** Claims the task's ready steps: counts an attempt, writes dispatch records and outbox rows. */
  claimReadySteps(taskUuid: string, limit?: number): Promise<OutboxEntry[]>;
  applyStepResult(result: StepExecutionResult, random: number): Promise<ApplyResultOutcome>;
  /**
   * Applies a batch of results in one transaction (each task locked once, in a fixed order, and
   * evaluated once): one outcome per result, in order. A task's new outbox rows ride on its last
   * applied result. Throws when the call failed as a whole for a reason of the moment (a lock or a
   * statement past its timeout, a lost connection): the caller decides whether there is time to
   * try the results one by one.
   */
  applyStepResults(results: readonly ResultToApply[]): Promise<BatchApplyOutcome[]>;
  /** Creates several tasks in one call: one outcome per request, in order. */
  createTasks(tasks: readonly TaskToCreate[]): Promise<CreateTaskOutcome[]>;
  /** Evaluates a task now (a retry tick arrived): claims what is ready, finalizes what is done. */
  evaluateTask(taskUuid: string): Promise<OutboxEntry[]>;
  markOutboxSent(ids: readonly string[]): Promise<void>;
  /** Outbox rows committed but not marked sent for longer than `olderThanMs` (a crashed sender). */
  unsentOutbox(olderThanMs: number, limit: number): Promise<OutboxEntry[]>;
  /**
   * Attempts past their deadline with no result. With `queues`, the queues seen holding messages are
   * recorded first, and an attempt no worker reported started is left out while its queue was seen
   * holding messages within the attempt's budget (step timeout plus grace): its message may still wait there.
   */
  findTimedOutDispatches(limit: number, queues?: DispatchQueueObservation): Promise<TimedOutDispatch[]>;
  /**
   * Marks open attempts started (start markers): each one's deadline moves by the wait before its
   * start. A closed, unknown or already started attempt is left as it is, and so is one another
   * transaction holds (it is being closed). Returns how many were marked.
   */
  markAttemptsStarted(starts: readonly AttemptStarted[]): Promise<number>;
  /**
   * The task's step named `stepName`, for a signal to be checked against before it is applied: null
   * when there is no such task; a null `stepUuid` when the task has no such step.
   */
  signalTarget(taskUuid: string, stepName: string): Promise<SignalTarget | null>;
  /**
   * Signals a wait step: its open attempt is completed with `payload` as its result, once, like a
   * result (dependents claimed, the task evaluated). A second or late signal is refused as a value.
   */
  signalStep(taskUuid: string, stepName: string, payload: unknown): Promise<SignalOutcome>;
  /**
   * Waits past their deadline: each fails with `wait_timeout`, or completes with a null result when
   * its `on_timeout` is `complete`. Returns the outcomes (what to send rides on them).
   */
  expireWaits(limit: number): Promise<ApplyResultOutcome[]>;
  /** Tasks with a step whose backoff has elapsed: claims them and returns what to send. */
  claimDueRetries(limit: number): Promise<OutboxEntry[]>;
  /**
   * Tasks blocked_by_failures with nothing in flight whose grace has passed: fails them (-> error)
   * and returns what to send (their `task.failed` events).
   */
  failBlockedTasks(limit: number): Promise<OutboxEntry[]>;
  readySteps(taskUuid: string): Promise<ReadyStep[]>;
  executionContext(taskUuid: string): Promise<ExecutionContext | null>;
  getTask(taskUuid: string): Promise<TaskView | null>;
  transitions(taskUuid: string): Promise<TransitionView[]>;
  /** Tasks newest first, filtered, one page (operators: no index serves it). */
  listTasks(query: TaskListQuery): Promise<TaskListPage>;
  /** `actor`: who asked (recorded with the transitions it writes). */
  cancelTask(taskUuid: string, reason: string, actor?: string): Promise<OperatorOutcome>;
  stepAction(
    stepUuid: string,
    action: OperatorAction,
    reason: string,
    result?: unknown,
    actor?: string,
  ): Promise<OperatorOutcome>;
}
