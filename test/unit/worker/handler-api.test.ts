import { describe, expect, it } from 'vitest';
import { HandlerTimeoutError, PermanentError, RetryableError } from '../../../lib/worker/handler-api.js';

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
