import { describe, expect, it } from 'vitest';
import { findUnstorableValue } from '../../../lib/domain/storable-json.js';
import { PermanentError, RetryableError } from '../../../lib/worker/handler-api.js';
import {
  MAX_ERROR_MESSAGE_CHARS,
  stepError,
  stepErrorFromThrown,
  storableError,
} from '../../../lib/worker/step-errors.js';

describe('step errors from what a handler threw', () => {
  it('a PermanentError is a non-retryable handler_error with its code', () => {
    expect(stepErrorFromThrown(new PermanentError('card declined', { code: 'card_declined' }))).toEqual({
      error_type: 'handler_error',
      message: 'card declined',
      retryable: false,
      retry_after_ms: null,
      code: 'card_declined',
    });
  });

  it('a RetryableError is a retryable handler_error with its retry-after', () => {
    expect(stepErrorFromThrown(new RetryableError('rate limited', { retryAfterMs: 1500.4 }))).toEqual({
      error_type: 'handler_error',
      message: 'rate limited',
      retryable: true,
      retry_after_ms: 1500,
      code: 'RetryableError',
    });
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('ignores an unusable retry-after (%s)', (ms) => {
    expect(stepErrorFromThrown(new RetryableError('x', { retryAfterMs: ms })).retry_after_ms).toBeNull();
  });

  it('any other Error is a retryable handler_error named by its code or class', () => {
    const withCode = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(stepErrorFromThrown(withCode)).toMatchObject({
      error_type: 'handler_error',
      retryable: true,
      code: 'ECONNREFUSED',
    });
    expect(stepErrorFromThrown(new TypeError('x is undefined'))).toMatchObject({
      error_type: 'handler_error',
      retryable: true,
      code: 'TypeError',
    });
  });

  it.each([
    ['a string', 'boom', 'handler threw a non-Error value: "boom"'],
    ['an object', { status: 500 }, 'handler threw a non-Error value: {"status":500}'],
    ['undefined', undefined, 'handler threw a non-Error value: undefined'],
    ['a symbol', Symbol('s'), 'handler threw a non-Error value: Symbol(s)'],
  ])('a thrown %s is a handler_panic', (_label, thrown, message) => {
    expect(stepErrorFromThrown(thrown)).toEqual({
      error_type: 'handler_panic',
      message,
      retryable: true,
      retry_after_ms: null,
      code: null,
    });
  });

  it('cuts very long messages', () => {
    const message = stepErrorFromThrown(new Error('x'.repeat(MAX_ERROR_MESSAGE_CHARS + 500))).message;
    expect(message.length).toBeLessThan(MAX_ERROR_MESSAGE_CHARS + 50);
    expect(message).toMatch(/… \(500 more characters\)$/);
  });

  it('worker-decided errors are retryable unless their type is permanent', () => {
    expect(stepError('handler_timeout', 't').retryable).toBe(true);
    expect(stepError('handler_panic', 'p').retryable).toBe(true);
    expect(stepError('handler_not_found', 'n').retryable).toBe(false);
    expect(stepError('invalid_dispatch', 'i').retryable).toBe(false);
    expect(stepError('result_too_large', 'r').retryable).toBe(false);
    expect(stepError('result_not_storable', 's').retryable).toBe(false);
  });
});

describe('storableError', () => {
  it('puts U+FFFD where a message or code holds U+0000 or a lone surrogate, keeping the rest of the error', () => {
    const error = {
      ...stepErrorFromThrown(new PermanentError('declined \u0000 by the bank', { code: `E${'😀'.slice(0, 1)}` })),
    };
    expect(storableError(error)).toEqual({ ...error, message: 'declined \uFFFD by the bank', code: 'E\uFFFD' });
  });

  it('mends a long message cut inside an emoji', () => {
    const cut = stepErrorFromThrown(new Error(`${'x'.repeat(MAX_ERROR_MESSAGE_CHARS - 1)}😀 and more`));
    expect(findUnstorableValue(cut)?.code).toBe('lone_surrogate');
    expect(findUnstorableValue(storableError(cut))).toBeNull();
  });

  it('returns an error with storable texts unchanged', () => {
    const error = stepError('handler_timeout', 'too slow 😀', 'step_timeout');
    expect(storableError(error)).toEqual(error);
  });
});
