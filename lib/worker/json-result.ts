import type { StepError } from '../contracts/step-execution-result.js';
import { errorMessage } from '../domain/error-message.js';
import { findUnstorableValue, type UnstorableValue } from '../domain/storable-json.js';
import { stepError } from './step-errors.js';

export type JsonConversion =
  | { readonly ok: true; readonly value: unknown }
  /** `unstorable`: JSON carries the value, PostgreSQL cannot store it (or JSON would change it: Infinity as null). */
  | { readonly ok: false; readonly problem: string; readonly unstorable?: UnstorableValue };

/**
 * A handler's return value as plain JSON. `undefined` becomes null; values JSON would silently
 * drop or cannot hold (functions, symbols, BigInt, circular structures) are refused; so are values
 * PostgreSQL's jsonb cannot store (findUnstorableValue: a lone surrogate, U+0000, a non-finite
 * number, nesting past 100 levels), checked on the value as returned, before JSON.stringify
 * writes NaN and Infinity as null. This is where both the Lambda and the pull worker turn a
 * result into JSON, so neither ever sends a success the completion function cannot apply.
 */
export function toJsonValue(value: unknown): JsonConversion {
  if (value === undefined) return { ok: true, value: null };
  const unstorable = findUnstorableValue(value);
  if (unstorable !== null && unstorable.code !== 'not_json')
    return { ok: false, problem: `the result cannot be stored: ${unstorable.message}`, unstorable };
  try {
    const text = JSON.stringify(value, refuseNonJson);
    return text === undefined
      ? { ok: false, problem: 'the result has no JSON representation' }
      : { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, problem: `the result is not JSON-serialisable: ${errorMessage(error)}` };
  }
}

/**
 * The step error for a value `toJsonValue` refused: a permanent `result_not_storable` failure
 * (its code the check's: `lone_surrogate`, `nul_character`, ...) for a value PostgreSQL cannot
 * store, which no retry changes; a retryable `handler_panic` for one that is not JSON.
 */
export function conversionError(refused: Extract<JsonConversion, { ok: false }>): StepError {
  return refused.unstorable
    ? stepError('result_not_storable', refused.problem, refused.unstorable.code)
    : stepError('handler_panic', refused.problem);
}

function refuseNonJson(key: string, value: unknown): unknown {
  const kind = typeof value;
  if (kind === 'function' || kind === 'symbol' || kind === 'bigint') {
    throw new TypeError(`${describeKey(key)} is a ${kind}`);
  }
  return value;
}

function describeKey(key: string): string {
  return key === '' ? 'the value' : `property "${key}"`;
}
