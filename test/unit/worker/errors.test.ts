import { describe, expect, it } from 'vitest';
import { HandlerTimeoutError, PermanentError, RetryableError } from '../../../lib/worker/errors.js';

describe('handler API errors', () => {
  it('PermanentError carries its code and cause', () => {
    const cause = new Error('402 from gateway');
    const error = new PermanentError('card declined', { code: 'card_declined', cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'PermanentError', message: 'card declined', code: 'card_declined', cause });
  });

  it('RetryableError carries its retry-after, code and cause', () => {
    const error = new RetryableError('rate limited', { retryAfterMs: 1500, code: 'rate_limited' });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'RetryableError', retryAfterMs: 1500, code: 'rate_limited' });
    expect('cause' in error).toBe(false);
  });

  it('options are optional', () => {
    expect(new PermanentError('x').code).toBeUndefined();
    expect(new RetryableError('x').retryAfterMs).toBeUndefined();
  });

  it('a subclass keeps its own name', () => {
    class CardDeclined extends PermanentError {
      override readonly name = 'CardDeclined';
    }
    expect(new CardDeclined('no')).toMatchObject({ name: 'CardDeclined' });
    expect(new CardDeclined('no')).toBeInstanceOf(PermanentError);
  });

  it('HandlerTimeoutError names the budget and the bound', () => {
    const error = new HandlerTimeoutError(250, 'lambda_remaining_time');
    expect(error.message).toBe('handler did not finish within 250 ms (deadline set by lambda remaining time)');
  });
});

describe('the worker errors as the package exports them', () => {
  it('are the classes of lib/worker/errors.ts, from the package entry and the handler API alike', async () => {
    const [entry, handlerApi, errors] = await Promise.all([
      import('../../../lib/index.js'),
      import('../../../lib/worker/handler-api.js'),
      import('../../../lib/worker/errors.js'),
    ]);
    for (const name of ['PermanentError', 'RetryableError', 'HandlerTimeoutError'] as const) {
      expect(entry[name]).toBe(errors[name]);
      expect(handlerApi[name]).toBe(errors[name]);
    }
  });
});
