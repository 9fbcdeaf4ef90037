import { describe, expect, it } from 'vitest';
import { byteLength } from '../../../lib/contracts/schema-version.js';
import { stepExecutionResult } from '../../../lib/contracts/step-execution-result.js';
import { stepError } from '../../../lib/worker/step-errors.js';
import { buildStepResult, limitResultSize, subjectOf } from '../../../lib/worker/step-result.js';
import { loadFixture } from '../../helpers/contract-fixtures.js';
import { SHIPMENT, dispatchMessage } from '../../helpers/dispatch-fixtures.js';

const ctx = {
  startedAt: new Date('2025-12-07T10:15:30.245Z'),
  completedAt: new Date('2025-12-07T10:15:30.262Z'),
  workerId: 'tasker-step-handler/2025/12/07/[$LATEST]8f3c2a1b9d4e',
  workerKind: 'lambda',
};

describe('step result builder', () => {
  it('builds the golden success fixture from the golden dispatch and the handler result', () => {
    const result = buildStepResult(subjectOf(dispatchMessage()), { status: 'success', result: SHIPMENT }, ctx);
    expect(result).toEqual(loadFixture('step-execution-result.success.json'));
  });

  it('builds a failure the contract accepts', () => {
    const error = stepError('handler_timeout', 'too slow', 'step_timeout');
    const result = buildStepResult(subjectOf(dispatchMessage()), { status: 'failure', error }, ctx);
    expect(stepExecutionResult.parse(result)).toEqual(result);
    expect(result).toMatchObject({ status: 'failure', result: null, error, timing: { duration_ms: 17 } });
  });

  it('never reports a negative duration', () => {
    const result = buildStepResult(
      subjectOf(dispatchMessage()),
      { status: 'success', result: 1 },
      { ...ctx, completedAt: new Date('2025-12-07T10:15:30.000Z') },
    );
    expect(result.timing.duration_ms).toBe(0);
  });
});

describe('result size limit', () => {
  const big = buildStepResult(
    subjectOf(dispatchMessage()),
    { status: 'success', result: { blob: 'x'.repeat(5_000) } },
    ctx,
  );
  const size = byteLength(big);

  it('lets a result at the limit through unchanged', () => {
    expect(limitResultSize(big, size)).toBe(big);
  });

  it('turns a result over the limit into a permanent result_too_large failure naming the size and the limit', () => {
    const limited = limitResultSize(big, size - 1);
    expect(limited).toMatchObject({
      status: 'failure',
      result: null,
      event_id: big.event_id,
      error: { error_type: 'result_too_large', retryable: false },
    });
    expect(limited.error?.message).toContain(`${size} bytes`);
    expect(limited.error?.message).toContain(`limit of ${size - 1} bytes`);
    expect(JSON.stringify(limited)).not.toContain('xxxxxxxxxx');
    expect(stepExecutionResult.safeParse(limited).success).toBe(true);
  });
});
