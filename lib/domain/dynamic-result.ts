import type { ErrorType } from './error-type.js';

/**
 * What a decision or batchable step's result must satisfy, as its dispatch message states it: a decision's dependents
 * (the names it may activate), a batchable step's `max_batches`.
 */
export type DynamicResultSpec =
  | { readonly type: 'decision'; readonly dependents: readonly string[] }
  | { readonly type: 'batchable'; readonly max_batches: number };

export interface DynamicResultProblem {
  readonly errorType: Extract<ErrorType, 'invalid_decision' | 'invalid_batches'>;
  readonly message: string;
}

/**
 * Why a decision or batchable step's result cannot be applied, or null when it can. The worker checks it before it
 * answers, so that a result the engine would refuse fails the step (`invalid_decision`, `invalid_batches`, permanent)
 * and no `success` domain event describes it; the database checks the same again when it applies the result
 * (tasker.checked_result, 000015_dynamic_steps.sql), with the same messages.
 *
 * @example
 * ```ts
 * dynamicResultProblem({ type: 'decision', dependents: ['ship'] }, { activate: ['nope'] });
 * // { errorType: 'invalid_decision', message: 'the decision activates nope, not among its dependents (ship)' }
 * ```
 */
export function dynamicResultProblem(
  spec: DynamicResultSpec | undefined,
  result: unknown,
): DynamicResultProblem | null {
  if (spec === undefined) return null;
  return spec.type === 'decision' ? decisionProblem(spec.dependents, result) : batchesProblem(spec.max_batches, result);
}

function decisionProblem(dependents: readonly string[], result: unknown): DynamicResultProblem | null {
  const activate = isObject(result) ? result.activate : undefined;
  if (!Array.isArray(activate) || activate.some((name) => typeof name !== 'string'))
    return { errorType: 'invalid_decision', message: 'a decision must return { activate: [step names] }' };
  const unknown = (activate as string[]).filter((name) => !dependents.includes(name));
  if (unknown.length === 0) return null;
  const known = dependents.length > 0 ? dependents.join(', ') : 'none';
  return {
    errorType: 'invalid_decision',
    message: `the decision activates ${unknown.join(', ')}, not among its dependents (${known})`,
  };
}

function batchesProblem(maxBatches: number, result: unknown): DynamicResultProblem | null {
  const batches = isObject(result) ? result.batches : undefined;
  if (!Array.isArray(batches))
    return { errorType: 'invalid_batches', message: 'a batchable step must return { batches: [cursor, ...] }' };
  if (batches.length <= maxBatches) return null;
  return {
    errorType: 'invalid_batches',
    message: `the step returned ${batches.length} batches, over its max_batches of ${maxBatches}`,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
