import { describe, expect, it } from 'vitest';
import { summarizeAwsError } from '../../../lib/adapters/aws-error.js';

describe('summarizeAwsError', () => {
  it('uses the SDK error name', () => {
    const error = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', code: 'Throttling' });
    expect(summarizeAwsError(error)).toEqual({ code: 'ThrottlingException', message: 'Rate exceeded' });
  });

  it('uses the Node system code for a bare Error', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(summarizeAwsError(error).code).toBe('ECONNREFUSED');
  });

  it('falls back to Error, and to UnknownError for a thrown non-error', () => {
    expect(summarizeAwsError(new Error('x')).code).toBe('Error');
    expect(summarizeAwsError('boom')).toEqual({ code: 'UnknownError', message: 'boom' });
  });
});
