import { errorMessage } from '../domain/error-message.js';

export type JsonConversion = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problem: string };

/**
 * A handler's return value as plain JSON. `undefined` becomes null; values JSON would silently
 * drop or cannot hold (functions, symbols, BigInt, circular structures) are refused.
 */
export function toJsonValue(value: unknown): JsonConversion {
  if (value === undefined) return { ok: true, value: null };
  try {
    const text = JSON.stringify(value, refuseNonJson);
    return text === undefined ? { ok: false, problem: 'the result has no JSON representation' } : { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, problem: `the result is not JSON-serialisable: ${errorMessage(error)}` };
  }
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
