import { z } from 'zod';
import { declaredEvent } from './declared-event.js';
import { jsonObject, schemaVersion, timestamp, uuid } from './schema-version.js';

/** Which batch an instance of a `batch_worker` step runs (issue 15). */
export const batchInstance = z.object({
  /** From 0; instance `index` of `count`. */
  index: z.number().int().min(0),
  count: z.number().int().min(1),
  /** The batch's cursor, as the batchable step returned it. */
  cursor: z.unknown(),
  /** The last cursor this instance saved with `checkpoint(cursor)` before a failed attempt; null: none. */
  checkpoint: z.unknown().default(null),
});

export type BatchInstance = z.infer<typeof batchInstance>;

/**
 * What a decision's or a batchable step's result must satisfy (issue 15): the names a decision may activate (its
 * dependents), the most batches a batchable step may return. A worker checks its result against it before answering
 * (lib/domain/dynamic-result.ts): a result that fails is answered as a permanent `invalid_decision` / `invalid_batches`
 * failure, so no `success` domain event describes a result the engine would refuse.
 */
export const dynamicStep = z.discriminatedUnion('type', [
  z.object({ type: z.literal('decision'), dependents: z.array(z.string()) }),
  z.object({ type: z.literal('batchable'), max_batches: z.number().int().min(1) }),
]);

/**
 * One message on the dispatch queue: everything a worker needs to run one attempt of one step,
 * with no database access (FfiStepEvent in tasker-core). `event_id` identifies this attempt; the
 * result must carry it back.
 */
export const stepDispatchMessage = z.object({
  schema_version: schemaVersion,
  message_type: z.literal('step_dispatch'),
  event_id: uuid,
  task_uuid: uuid,
  step_uuid: uuid,
  correlation_id: uuid,
  trace_id: z.string().nullable(),
  span_id: z.string().nullable(),
  namespace: z.string().min(1),
  task_name: z.string().min(1),
  task_version: z.string().min(1),
  step_name: z.string().min(1),
  handler: z.object({ callable: z.string().min(1), initialization: jsonObject }),
  attempt: z.number().int().min(1),
  max_attempts: z.number().int().min(1),
  retryable: z.boolean(),
  timeout_ms: z.number().int().positive(),
  dispatched_at: timestamp,
  /** After this instant the attempt is timed out by the sweeper and a result is refused as late. */
  deadline: timestamp,
  task_context: jsonObject,
  /**
   * Results of the step's direct dependencies, by step name. A skipped dependency is left out
   * (convergence after a decision); a batch worker's results are one array, in batch order.
   */
  dependency_results: z.record(z.string(), z.unknown()),
  /** Present on an instance of a `batch_worker` step only. */
  batch: batchInstance.optional(),
  /** Present on a `decision` or `batchable` step only: what its result must satisfy. */
  dynamic: dynamicStep.optional(),
  publishes_events: z.array(declaredEvent),
});

export type StepDispatchMessage = z.infer<typeof stepDispatchMessage>;

/** The least a message must hold for us to answer it with a failure result instead of a poison entry. */
export const dispatchIdentity = z.object({
  event_id: uuid,
  task_uuid: uuid,
  step_uuid: uuid,
  correlation_id: uuid.optional(),
});

export type DispatchIdentity = z.infer<typeof dispatchIdentity>;
