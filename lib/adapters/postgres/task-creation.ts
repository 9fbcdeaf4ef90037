import type { CreateTaskRequest } from '../../contracts/create-task-request.js';
import type { TaskTemplate } from '../../domain/task-template.js';
import { TemplateChangedError, type CreateTaskOutcome, type TaskToCreate } from '../../ports/orchestration-store.js';
import { GroupedCalls, type GroupSettings } from './grouped-calls.js';
import { prepared, type Prepared, type StatementRunner } from './prepared.js';
import { TEMPLATE_ID, templateIdIf } from './queries.js';
import { toCreateOutcome } from './row-mappers.js';
import { StoreError } from './store-error.js';
import type { TemplateCache, TemplateRevision } from './template-cache.js';
import { isTransientDatabaseError } from './transient-errors.js';

const CREATE_TASK = `select tasker.create_task(nt.named_task_id, $4, $5, $6, $7, $8, $9, $10, $11) as j`;
const RIDING_ON_CREATE = `${CREATE_TASK}, tasker.mark_outbox_sent($12::bigint[]) as marked`;
const CREATE_TASKS = prepared('tasker_create_tasks', 'select tasker.create_tasks($1::jsonb) as j');
const CREATE_TASKS_MARKS = prepared(
  'tasker_create_tasks_marks',
  `${CREATE_TASKS.text}, tasker.mark_outbox_sent($2::bigint[]) as marked`,
);

/** Runs a write with the outbox marks held (RideAlongMarks.ride), or with none. */
export type Riding = <T>(call: (marks: readonly string[]) => Promise<T>) => Promise<T>;

/** deadlock_detected: two groups met on the same idempotent identities in another order (see `createGroup`). */
const DEADLOCK = '40P01';

/**
 * Task creation on PostgreSQL: one task per `create_task` call, several per `create_tasks` call
 * (000030_grouped_creation.sql), and, with `group` settings, the creations that arrive while others are in flight sent
 * together (GroupedCalls). A task is written from a template the store keeps only while the database holds the revision
 * it was read at; otherwise the request gets TemplateChangedError (createTask checks it again).
 */
export class TaskCreation {
  private readonly grouped: GroupedCalls<TaskToCreate, CreateTaskOutcome> | null;

  constructor(
    private readonly statements: StatementRunner,
    private readonly riding: Riding,
    private readonly templates: TemplateCache | null,
    group?: GroupSettings,
  ) {
    this.grouped = group
      ? new GroupedCalls(
          (task) => this.createOne(task),
          (tasks) => this.createGroup(tasks),
          group,
        )
      : null;
  }

  /** One task: alone, or in a group when others are in flight and the store groups creations. */
  create(task: TaskToCreate): Promise<CreateTaskOutcome> {
    return this.grouped ? this.grouped.call(task) : this.createOne(task);
  }

  /**
   * Several tasks in one call and one transaction: an outcome, or why not, per task in order. With `revisions` false
   * (the ingress path, which reports its batch as a whole) each task is written from its template's version as
   * registered now, kept or not, as create_tasks did before grouping.
   */
  async createMany(
    tasks: readonly TaskToCreate[],
    revisions = true,
  ): Promise<PromiseSettledResult<CreateTaskOutcome>[]> {
    if (tasks.length === 0) return [];
    const kept = tasks.map((t) => (revisions ? this.templates?.revisionOf(t.template) : undefined));
    const requests = JSON.stringify(tasks.map((t, i) => requestJson(t, kept[i])));
    const elements = await this.riding(async (marks) => {
      const statement = marks.length > 0 ? CREATE_TASKS_MARKS : CREATE_TASKS;
      const { rows } = await this.statements.run<{ j: unknown }>(
        statement,
        marks.length > 0 ? [requests, marks] : [requests],
      );
      return rows[0]?.j as Array<Record<string, unknown> | null>;
    });
    return elements.map((json, i) =>
      json
        ? { status: 'fulfilled', value: toCreateOutcome(json) }
        : {
            status: 'rejected',
            reason: this.templateGone(tasks[i]!.request, tasks[i]!.template, kept[i] !== undefined),
          },
    );
  }

  /** create_task: the task, its steps and its roots' claim in one call. */
  private async createOne({ request, template }: TaskToCreate): Promise<CreateTaskOutcome> {
    const kept = this.templates?.revisionOf(template);
    const f = requestFields({ request, template }, kept);
    const values = [
      f.namespace,
      f.name,
      f.version,
      JSON.stringify(f.context),
      f.correlation_id,
      f.priority,
      f.identity_strategy,
      f.idempotency_key,
      f.initiator,
      f.reason,
      f.run_at,
    ];
    const rows = await this.riding(async (marks) => {
      const { rows } = await this.statements.run<{ j: Record<string, unknown> }>(
        createStatement(kept !== undefined, marks.length > 0),
        [...values, ...(marks.length > 0 ? [marks] : []), ...(kept ? [kept.namedTaskId, kept.revision] : [])],
      );
      // No row: no such template (any more), and the marks did not run either (thrown: they are held again).
      if (!rows[0]) throw this.templateGone(request, template, kept !== undefined);
      return rows;
    });
    return toCreateOutcome(rows[0]!.j);
  }

  /**
   * A group in one call. When that call fails for a reason of its input (one request the database refused) or in a
   * deadlock (two groups carrying the same idempotent identities in another order wait on each other's inserts; one
   * is refused), each task is created on its own, so only a task that fails again fails its caller. Any other failure
   * of the moment (a lost connection, a timeout) is every caller's, as a call of its own would have met it too.
   */
  private async createGroup(tasks: readonly TaskToCreate[]): Promise<PromiseSettledResult<CreateTaskOutcome>[]> {
    try {
      return await this.createMany(tasks);
    } catch (error) {
      if (isTransientDatabaseError(error) && (error as { code?: unknown }).code !== DEADLOCK) throw error;
      return Promise.allSettled(tasks.map((task) => this.createOne(task)));
    }
  }

  /** Why no task was written: no such template, or (a kept one) registered again since it was read. */
  private templateGone(request: CreateTaskRequest, template: TaskTemplate, kept: boolean): Error {
    const key = `${template.namespace}/${template.name}@${template.version}`;
    if (!kept) return new StoreError(`template ${key} is not registered`);
    this.templates?.forget(request.namespace, request.name, request.version);
    return new TemplateChangedError(`template ${key} was registered again since it was read`);
  }
}

/** One element of create_tasks' argument; a kept template's request names the revision it was checked against. */
function requestJson(task: TaskToCreate, kept: TemplateRevision | undefined) {
  return {
    ...requestFields(task, kept),
    ...(kept ? { named_task_id: kept.namedTaskId, revision: kept.revision } : {}),
  };
}

/** What create_task and create_tasks are told of a request, absent fields as null. */
function requestFields({ request: r, template: t }: TaskToCreate, kept: TemplateRevision | undefined) {
  return {
    namespace: t.namespace,
    name: t.name,
    // A kept template answers the request's own lookup (no version: the newest), which must still find that revision.
    version: kept ? (r.version ?? null) : t.version,
    context: r.context,
    correlation_id: r.correlation_id ?? null,
    priority: r.priority,
    identity_strategy: r.identity_strategy,
    idempotency_key: r.idempotency_key ?? null,
    initiator: r.initiator ?? null,
    reason: r.reason ?? null,
    run_at: r.run_at ?? null,
  };
}

/** create_task's statement: with held outbox marks riding on it or not, from any or from a kept template revision. */
function createStatement(kept: boolean, marks: boolean): Prepared {
  const call = marks ? RIDING_ON_CREATE : CREATE_TASK;
  // The template's id: any registration of it, or only the one a kept template was read at (its two parameters last).
  const from = kept ? templateIdIf(marks ? 13 : 12) : TEMPLATE_ID;
  return prepared(`tasker_create_task${marks ? '_marks' : ''}${kept ? '_kept' : ''}`, `${call} from ${from}`);
}
