import type { z } from 'zod';
import { stepError as stepErrorSchema } from '../../contracts/step-execution-result.js';
import type { HandlerOutcome } from '../execute-step.js';
import { formatIssues } from '../../contracts/format-issues.js';
import { toJsonValue } from '../json-result.js';
import { stepError } from '../step-errors.js';

/**
 * What a caller of `complete` reports for one event: the handler's JSON result, or its error in the
 * wire format (`retry_after_ms` and `code` may be left out). A HandlerOutcome is one.
 */
export type StepCompletion =
  | { readonly status: 'success'; readonly result: unknown }
  | { readonly status: 'failure'; readonly error: z.input<typeof stepErrorSchema> };

/**
 * The completion as a handler outcome. A result JSON cannot hold, or an error that is not a valid
 * step error, becomes a retryable `handler_panic` failure, as a handler returning one would.
 */
export function completionOutcome(completion: StepCompletion): HandlerOutcome {
  if (completion.status === 'success') {
    const json = toJsonValue(completion.result);
    return json.ok ? { status: 'success', result: json.value } : panic(json.problem);
  }
  if (completion.status !== 'failure') return panic(`the completion's status must be "success" or "failure", got ${JSON.stringify((completion as { status?: unknown }).status)}`);
  const error = stepErrorSchema.safeParse(completion.error);
  if (error.success) return { status: 'failure', error: error.data };
  return panic(`the completion's error is not a valid step error: ${formatIssues(error.error.issues).join('; ')}`);
}

function panic(problem: string): HandlerOutcome {
  return { status: 'failure', error: stepError('handler_panic', problem) };
}
