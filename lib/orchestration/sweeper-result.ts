import { SCHEMA_VERSION } from '../contracts/schema-version.js';
import type { StepExecutionResult } from '../contracts/step-execution-result.js';
import type { ErrorType } from '../domain/error-type.js';

/**
 * A failure result orchestration applies on a worker's behalf: a timed-out attempt (kind `sweeper`:
 * the attempt is marked timed_out, so a late real result is refused), a dispatch message that
 * could never be sent or a result that cannot be stored (kind `orchestration`). `dispatch` holds
 * the attempt's identity.
 */
export function timeoutOrFailureResult(
  dispatch: Record<string, unknown>,
  now: Date,
  error: { error_type: ErrorType; message: string; retryable?: boolean; code?: string },
  kind: 'sweeper' | 'orchestration' = 'sweeper',
): StepExecutionResult {
  const at = now.toISOString();
  return {
    schema_version: SCHEMA_VERSION,
    message_type: 'step_result',
    event_id: String(dispatch.event_id),
    task_uuid: String(dispatch.task_uuid),
    step_uuid: String(dispatch.step_uuid),
    correlation_id: (dispatch.correlation_id as string | undefined) ?? null,
    step_name: (dispatch.step_name as string | undefined) ?? null,
    attempt: (dispatch.attempt as number | undefined) ?? null,
    status: 'failure',
    result: null,
    error: {
      error_type: error.error_type,
      message: error.message,
      retryable: error.retryable ?? false,
      retry_after_ms: null,
      code: error.code ?? null,
    },
    timing: { started_at: at, completed_at: at, duration_ms: 0 },
    worker: { worker_id: 'orchestration', kind },
  };
}
