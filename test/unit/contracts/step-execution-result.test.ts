import { describe, expect, it } from 'vitest';
import { stepExecutionResult } from '../../../lib/contracts/step-execution-result.js';
import { expectRefusedAt, loadFixture, type Json } from '../../helpers/contract-fixtures.js';

const FIXTURES = [
  'step-execution-result.success.json',
  'step-execution-result.failure.json',
  'step-execution-result.timeout.json',
];

type Case = [string, string, (value: Json) => void, PropertyKey[]];

describe('step execution result contract', () => {
  it.each(FIXTURES)('accepts the golden fixture %s unchanged', (name) => {
    const fixture = loadFixture(name);
    expect(stepExecutionResult.parse(fixture)).toEqual(fixture);
  });

  it('fills in the optional fields a sweeper may leave out', () => {
    const {
      correlation_id: _c,
      step_name: _s,
      attempt: _a,
      ...rest
    } = loadFixture('step-execution-result.timeout.json');
    const error = { ...(rest.error as Record<string, unknown>) };
    delete error.retry_after_ms;
    delete error.code;
    const parsed = stepExecutionResult.parse({ ...rest, error });
    expect(parsed).toMatchObject({
      correlation_id: null,
      step_name: null,
      attempt: null,
      error: { retry_after_ms: null, code: null },
    });
  });

  it('defaults the error of a success to null', () => {
    const { error: _e, ...rest } = loadFixture('step-execution-result.success.json');
    expect(stepExecutionResult.parse(rest).error).toBeNull();
  });

  it.each([
    [
      'a success carrying an error',
      'step-execution-result.success.json',
      (r: Json) => {
        r.error = { error_type: 'handler_error', message: 'x', retryable: true };
      },
      ['error'],
    ],
    [
      'a failure without an error',
      'step-execution-result.failure.json',
      (r: Json) => {
        delete r.error;
      },
      ['error'],
    ],
    [
      'an unknown error type',
      'step-execution-result.failure.json',
      (r: Json) => {
        r.error.error_type = 'oops';
      },
      ['error', 'error_type'],
    ],
    [
      'a negative retry-after',
      'step-execution-result.failure.json',
      (r: Json) => {
        r.error.retry_after_ms = -1;
      },
      ['error', 'retry_after_ms'],
    ],
    [
      'a negative duration',
      'step-execution-result.success.json',
      (r: Json) => {
        r.timing.duration_ms = -5;
      },
      ['timing', 'duration_ms'],
    ],
    [
      'a missing worker',
      'step-execution-result.success.json',
      (r: Json) => {
        delete r.worker;
      },
      ['worker'],
    ],
    [
      'an unknown status',
      'step-execution-result.success.json',
      (r: Json) => {
        r.status = 'done';
      },
      ['status'],
    ],
    [
      'a task_uuid that is not a uuid',
      'step-execution-result.success.json',
      (r: Json) => {
        r.task_uuid = '42';
      },
      ['task_uuid'],
    ],
  ] as Case[])('refuses %s', (_label, fixture, mutate, path) => {
    const result = loadFixture(fixture);
    mutate(result);
    expectRefusedAt(stepExecutionResult, result, path);
  });
});
