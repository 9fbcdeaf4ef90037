import type { CreateTaskRequest } from '../../contracts/create-task-request.js';
import type { StepExecutionResult } from '../../contracts/step-execution-result.js';
import type { TaskTemplate } from '../../domain/task-template.js';
import type {
  ApplyResultOutcome,
  AttemptStarted,
  BatchApplyOutcome,
  CreateTaskOutcome,
  DispatchQueueObservation,
  ExecutionContext,
  OperatorAction,
  OperatorOutcome,
  OrchestrationStore,
  OutboxEntry,
  ReadyStep,
  RegisteredTemplate,
  SignalOutcome,
  SignalTarget,
  ResultToApply,
  TaskListPage,
  TaskListQuery,
  TaskToCreate,
  TaskView,
  TimedOutDispatch,
  TransitionView,
} from '../../ports/orchestration-store.js';
import { prepared, StatementRunner, type Prepared } from './prepared.js';
import type { Queryable } from './queryable.js';
import { isTransientDatabaseError } from './transient-errors.js';
import { LONG_LIVED_PROCESS, RideAlongMarks, type RideAlongSettings } from './ride-along-marks.js';
import { TemplateCache, type TemplateCacheSettings } from './template-cache.js';
import { applyFailureOutcome } from './database-errors.js';
import { LONG_LIVED_CREATES, type GroupSettings } from './grouped-calls.js';
import { TaskCreation } from './task-creation.js';
import { StoreError } from './store-error.js';
import {
  toApplyOutcome,
  toExecutionContext,
  toOutbox,
  toReadyStep,
  toSignalTarget,
  toStepView,
  inBatchOrder,
  toTaskSummary,
  toTaskView,
  toTimedOutDispatch,
  toTransitionView,
  type ExecutionContextRow,
  type ReadyStepRow,
  type SignalTargetRow,
  type StepRow,
  type TaskRow,
  type TaskSummaryRow,
  type TimedOutDispatchRow,
  type TransitionRow,
} from './row-mappers.js';
import {
  LIST_TASKS,
  SIGNAL_TARGET,
  STEPS_OF_TASK,
  TASK_BY_UUID,
  TEMPLATE_ENTRY,
  TRANSITIONS_OF_TASK,
} from './queries.js';

const MARK_OUTBOX_SENT = prepared(
  'tasker_mark_outbox_sent',
  "select tasker.mark_outbox_sent($1::bigint[]), set_config('synchronous_commit', 'off', true)",
);

const APPLY_STEP_RESULTS = 'select tasker.apply_step_results($1::jsonb, $2::float8[]) as j';
/** The same call carrying held outbox marks: one statement, one transaction, one round trip. */
const RIDING_ON_APPLY = `${APPLY_STEP_RESULTS}, tasker.mark_outbox_sent($3::bigint[]) as marked`;

export interface StoreOptions {
  /** false: plain statements only (see StatementRunner). */
  readonly preparedStatements?: boolean;
  /**
   * Long-lived processes only: outbox marks wait up to `maxWaitMs` to ride on the next apply or create call instead
   * of a call of their own (RideAlongMarks). Call `flushOutboxMarks()` before the process stops. Left out (Lambda), a
   * mark is written when it is made.
   */
  readonly rideAlongMarks?: RideAlongSettings;
  /** Templates looked up are kept (TemplateCache); default 10 s for lookups not followed by a write, false: none. */
  readonly templateCache?: TemplateCacheSettings | false;
  /**
   * Long-lived processes only: task creations that arrive while `maxInFlight` others are in flight go together in one
   * call and one transaction (GroupedCalls, TaskCreation). Left out (Lambda: one invocation at a time), each creation
   * is a call of its own.
   */
  readonly groupedCreates?: GroupSettings;
}

/**
 * What a long-lived process (the local runtime, `tasker dev`, the benchmark's engine) gives its store: outbox marks ride
 * on its next write, and creations that arrive together are grouped. A Lambda container gives neither.
 */
export const LONG_LIVED_STORE: StoreOptions = {
  rideAlongMarks: LONG_LIVED_PROCESS,
  groupedCreates: LONG_LIVED_CREATES,
};

/** The OrchestrationStore on PostgreSQL: each operation is one call of a SQL function (one round trip). */
export class PostgresOrchestrationStore implements OrchestrationStore {
  private readonly statements: StatementRunner;
  private readonly marks: RideAlongMarks | null;
  private readonly templates: TemplateCache | null;
  private readonly creation: TaskCreation;

  constructor(
    private readonly db: Queryable,
    options: StoreOptions = {},
  ) {
    this.statements = new StatementRunner(db, options.preparedStatements ?? true);
    this.marks = options.rideAlongMarks
      ? new RideAlongMarks((ids) => this.writeMarks(ids), options.rideAlongMarks)
      : null;
    this.templates =
      options.templateCache === false ? null : new TemplateCache(options.templateCache ?? { maxAgeMs: 10_000 });
    this.creation = new TaskCreation(
      this.statements,
      (call) => this.riding(call),
      this.templates,
      options.groupedCreates,
    );
  }

  async registerTemplate(t: TaskTemplate): Promise<RegisteredTemplate> {
    this.templates?.clear();
    const json = await this.json('select tasker.register_template($1, $2, $3, $4, $5) as j', [
      t.namespace,
      t.name,
      t.version,
      t.description ?? null,
      JSON.stringify(t),
    ]);
    return { namedTaskId: json.named_task_id as string, created: json.created as boolean };
  }

  async findTemplate(namespace: string, name: string, version?: string): Promise<TaskTemplate | null> {
    const kept = this.templates?.find(namespace, name, version);
    if (kept) return kept;
    const { rows } = await this.statements.run<{ e: TemplateEntryRow | null }>(
      prepared('tasker_template_entry', TEMPLATE_ENTRY),
      [namespace, name, version ?? null],
    );
    const entry = rows[0]?.e;
    if (!entry) return null;
    const revision = { namedTaskId: entry.named_task_id, revision: entry.revision };
    this.templates?.keep(namespace, name, version, entry.template, revision);
    return entry.template;
  }

  /**
   * Creates the task (and claims its root steps) in one call (TaskCreation); grouped with others in flight when the
   * store was given `groupedCreates`.
   */
  createTask(request: CreateTaskRequest, template: TaskTemplate): Promise<CreateTaskOutcome> {
    return this.creation.create({ request, template });
  }

  /**
   * Several tasks in one call and one transaction (the ingress path); a template not registered is thrown, after the
   * call, as before grouping existed (the ingress checked every request's template just before).
   */
  async createTasks(tasks: readonly TaskToCreate[]): Promise<CreateTaskOutcome[]> {
    return (await this.creation.createMany(tasks, false)).map((r) => {
      if (r.status === 'rejected') throw r.reason;
      return r.value;
    });
  }

  async claimReadySteps(taskUuid: string, limit?: number): Promise<OutboxEntry[]> {
    return toOutbox(await this.scalar('select tasker.claim_ready_steps($1, $2) as j', [taskUuid, limit ?? null], true));
  }

  async applyStepResult(result: StepExecutionResult, random: number): Promise<ApplyResultOutcome> {
    return toApplyOutcome(
      await this.json(prepared('tasker_apply_step_result', 'select tasker.apply_step_result($1, $2) as j'), [
        JSON.stringify(result),
        random,
      ]),
    );
  }

  /**
   * One call for the whole batch. Should it fail (one result the database cannot apply), each
   * result is tried on its own, so only the ones that fail again are reported: `unstorable` when
   * the database refused the result's data (a data error, see isDataError), `failed` otherwise. A
   * failure of the moment (a lock or statement past its timeout, a lost connection; see
   * isTransientDatabaseError) is thrown instead: trying each result now could outlast the caller's
   * time, which only the caller knows.
   */
  async applyStepResults(results: readonly ResultToApply[]): Promise<BatchApplyOutcome[]> {
    if (results.length === 0) return [];
    try {
      const values = [JSON.stringify(results.map((r) => r.result)), results.map((r) => r.random)];
      const rows = await this.riding((marks) =>
        marks.length === 0
          ? this.scalar(prepared('tasker_apply_step_results', APPLY_STEP_RESULTS), values)
          : this.scalar(prepared('tasker_apply_step_results_marks', RIDING_ON_APPLY), [...values, marks]),
      );
      return (rows as Array<Record<string, unknown>>).map(toApplyOutcome);
    } catch (error) {
      if (results.length === 1) return [applyFailureOutcome(error)];
      if (isTransientDatabaseError(error)) throw error;
      return Promise.all(results.map((r) => this.applyStepResult(r.result, r.random).catch(applyFailureOutcome)));
    }
  }

  async evaluateTask(taskUuid: string): Promise<OutboxEntry[]> {
    return toOutbox(
      await this.scalar(prepared('tasker_evaluate_task_now', 'select tasker.evaluate_task_now($1) as j'), [taskUuid]),
    );
  }

  /**
   * Deletes sent outbox rows, in a transaction that commits without waiting for its WAL flush
   * (synchronous_commit off for it alone): half the commits of a step wait for no disk. Should
   * the server crash before the flush, the rows come back, and the sweeper sends them again after
   * outboxResendAfterMs: what a sender crashing between its send and this call already causes, so
   * delivery stays at least once, and the state changes (create, apply) stay durable before their
   * messages are sent.
   */
  async markOutboxSent(ids: readonly string[]): Promise<void> {
    if (this.marks) return this.marks.add(ids);
    await this.writeMarks(ids);
  }

  /** Writes the outbox marks held for a ride (see StoreOptions.rideAlongMarks) now: before a long-lived process stops. */
  async flushOutboxMarks(): Promise<void> {
    await this.marks?.flush();
  }

  /** Outbox marks held for a ride, waiting for the next write (0 without rideAlongMarks). */
  get heldOutboxMarks(): number {
    return this.marks?.held ?? 0;
  }

  private async writeMarks(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.statements.run(MARK_OUTBOX_SENT, [ids]);
  }

  /** Runs a call carrying the marks held for a ride (none without rideAlongMarks): see RideAlongMarks.ride. */
  private riding<T>(call: (marks: readonly string[]) => Promise<T>): Promise<T> {
    return this.marks ? this.marks.ride(call) : call([]);
  }

  async unsentOutbox(olderThanMs: number, limit: number): Promise<OutboxEntry[]> {
    return toOutbox(await this.scalar('select tasker.unsent_outbox($1, $2) as j', [olderThanMs, limit]));
  }

  async findTimedOutDispatches(limit: number, queues?: DispatchQueueObservation): Promise<TimedOutDispatch[]> {
    const seen = queues
      ? JSON.stringify({
          default: queues.defaultQueue,
          namespaces: queues.namespaceQueues,
          backlogged: queues.backlogged,
        })
      : null;
    const { rows } = await this.db.query<TimedOutDispatchRow>(
      'select * from tasker.find_timed_out_dispatches($1, $2::jsonb)',
      [limit, seen],
    );
    return rows.map(toTimedOutDispatch);
  }

  async markAttemptsStarted(starts: readonly AttemptStarted[]): Promise<number> {
    if (starts.length === 0) return 0;
    const json = JSON.stringify(starts.map((s) => ({ event_id: s.eventId, started_at: s.startedAt.toISOString() })));
    return (await this.scalar('select tasker.mark_attempts_started($1::jsonb) as j', [json])) as number;
  }

  async signalTarget(taskUuid: string, stepName: string): Promise<SignalTarget | null> {
    const { rows } = await this.db.query<SignalTargetRow>(SIGNAL_TARGET, [taskUuid, stepName]);
    return rows[0] ? toSignalTarget(rows[0]) : null;
  }

  async signalStep(taskUuid: string, stepName: string, payload: unknown): Promise<SignalOutcome> {
    const json = await this.json('select tasker.signal_step($1, $2, $3::jsonb) as j', [
      taskUuid,
      stepName,
      JSON.stringify(payload ?? null),
    ]);
    return toApplyOutcome(json) as SignalOutcome;
  }

  async expireWaits(limit: number): Promise<ApplyResultOutcome[]> {
    const rows = await this.scalar('select tasker.expire_waits($1) as j', [limit]);
    return (rows as Array<Record<string, unknown>>).map(toApplyOutcome);
  }

  async claimDueRetries(limit: number): Promise<OutboxEntry[]> {
    return toOutbox(await this.scalar('select tasker.claim_due_retries($1) as j', [limit]));
  }

  async failBlockedTasks(limit: number): Promise<OutboxEntry[]> {
    return toOutbox(await this.scalar('select tasker.fail_blocked_tasks($1) as j', [limit]));
  }

  async readySteps(taskUuid: string): Promise<ReadyStep[]> {
    const { rows } = await this.db.query<ReadyStepRow>('select * from tasker.get_ready_steps($1)', [taskUuid]);
    return rows.map(toReadyStep);
  }

  async executionContext(taskUuid: string): Promise<ExecutionContext | null> {
    const { rows } = await this.db.query<ExecutionContextRow>('select * from tasker.get_task_execution_context($1)', [
      taskUuid,
    ]);
    return rows[0] ? toExecutionContext(rows[0]) : null;
  }

  async getTask(taskUuid: string): Promise<TaskView | null> {
    const { rows } = await this.db.query<TaskRow>(TASK_BY_UUID, [taskUuid]);
    if (!rows[0]) return null;
    const steps = await this.db.query<StepRow>(STEPS_OF_TASK, [taskUuid]);
    return toTaskView(rows[0], inBatchOrder(steps.rows).map(toStepView));
  }

  async transitions(taskUuid: string): Promise<TransitionView[]> {
    const { rows } = await this.db.query<TransitionRow>(TRANSITIONS_OF_TASK, [taskUuid]);
    return rows.map(toTransitionView);
  }

  async cancelTask(taskUuid: string, reason: string, actor?: string): Promise<OperatorOutcome> {
    return toOperatorOutcome(
      await this.json('select tasker.cancel_task($1, $2, $3) as j', [taskUuid, reason, actor ?? null]),
    );
  }

  async listTasks(query: TaskListQuery): Promise<TaskListPage> {
    const { rows } = await this.db.query<TaskSummaryRow>(LIST_TASKS, [
      query.namespace ?? null,
      query.name ?? null,
      query.state ?? null,
      query.createdFrom ?? null,
      query.createdTo ?? null,
      query.after?.createdMicros ?? null,
      query.after?.taskUuid ?? null,
      query.limit + 1,
    ]);
    const page = rows.slice(0, query.limit).map(toTaskSummary);
    return { tasks: page, more: rows.length > query.limit };
  }

  async stepAction(
    stepUuid: string,
    action: OperatorAction,
    reason: string,
    result?: unknown,
    actor?: string,
  ): Promise<OperatorOutcome> {
    const resultJson = result === undefined ? null : JSON.stringify(result);
    return toOperatorOutcome(
      await this.json('select tasker.step_action($1, $2, $3, $4, $5) as j', [
        stepUuid,
        action,
        reason,
        resultJson,
        actor ?? null,
      ]),
    );
  }

  private async json(text: string | Prepared, values: unknown[]): Promise<Record<string, unknown>> {
    return (await this.scalar(text, values)) as Record<string, unknown>;
  }

  private async scalar(statement: string | Prepared, values: unknown[], allowEmpty = false): Promise<unknown> {
    const { rows } = await this.statements.run<{ j: unknown }>(statement, values);
    const text = typeof statement === 'string' ? statement : statement.text;
    if (rows.length === 0 && !allowEmpty) throw new StoreError(`no row returned by: ${text.split('\n')[0]}`);
    return rows[0]?.j ?? null;
  }
}

interface TemplateEntryRow {
  readonly template: TaskTemplate;
  readonly named_task_id: string;
  readonly revision: string;
}

function toOperatorOutcome(json: Record<string, unknown>): OperatorOutcome {
  if (json.ok === true) return { ok: true, outbox: toOutbox(json.outbox) };
  return { ok: false, reason: String(json.reason) };
}

export { StoreError };
