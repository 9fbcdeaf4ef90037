import type { StepError } from '../contracts/step-execution-result.js';
import { PERMANENT_ERROR_TYPES, type ErrorType } from '../domain/error-type.js';
import { storableText } from '../domain/storable-json.js';
import { PermanentError, RetryableError } from './errors.js';

/** Error messages are cut to this length so a failure result stays small. */
export const MAX_ERROR_MESSAGE_CHARS = 4_000;

/** A failure the worker itself decided on; retryable unless the type is permanent. */
export function stepError(errorType: ErrorType, message: string, code: string | null = null): StepError {
  const retryable = !PERMANENT_ERROR_TYPES.includes(errorType);
  return { error_type: errorType, message: clip(message), retryable, retry_after_ms: null, code };
}

/**
 * The error with its texts as PostgreSQL can store them: a lone surrogate (a message cut inside an
 * emoji) or U+0000 in `message` or `code` becomes U+FFFD. The texts describe the failure; without
 * this, the failure itself could not be applied and its step would wait for the sweeper.
 */
export function storableError(error: StepError): StepError {
  return {
    ...error,
    message: storableText(error.message),
    code: error.code === null ? null : storableText(error.code),
  };
}

/** What a handler threw, as a step error: see the StepHandler contract. */
export function stepErrorFromThrown(thrown: unknown): StepError {
  if (!(thrown instanceof Error)) {
    return stepError('handler_panic', `handler threw a non-Error value: ${describe(thrown)}`, null);
  }
  const base = { error_type: 'handler_error' as const, message: clip(thrown.message), code: codeOf(thrown) };
  if (thrown instanceof PermanentError) return { ...base, retryable: false, retry_after_ms: null };
  if (thrown instanceof RetryableError)
    return { ...base, retryable: true, retry_after_ms: delayOf(thrown.retryAfterMs) };
  return { ...base, retryable: true, retry_after_ms: null };
}

function codeOf(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.length > 0 ? code : error.name;
}

function delayOf(ms: number | undefined): number | null {
  return ms === undefined || !Number.isFinite(ms) || ms < 0 ? null : Math.round(ms);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(clip(value, 200));
  if (value === null || typeof value !== 'object') return String(value);
  try {
    return clip(JSON.stringify(value) ?? Object.prototype.toString.call(value), 200);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function clip(text: string, max = MAX_ERROR_MESSAGE_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}
