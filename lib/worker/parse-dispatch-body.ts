import {
  dispatchIdentity,
  stepDispatchMessage,
  type DispatchIdentity,
  type StepDispatchMessage,
} from '../contracts/step-dispatch-message.js';
import { formatIssues } from '../contracts/format-issues.js';
import { errorMessage } from '../domain/error-message.js';
import type { ResultSubject } from './step-result.js';

/**
 * A dispatch queue body, read: a valid message; an invalid one that can still be answered with a
 * failure result (its ids are readable); or poison, which nobody can answer.
 */
export type ParsedDispatch =
  | { readonly kind: 'valid'; readonly message: StepDispatchMessage }
  | { readonly kind: 'invalid'; readonly subject: ResultSubject; readonly problems: readonly string[] }
  | { readonly kind: 'poison'; readonly code: 'unparseable_json' | 'invalid_message'; readonly reason: string };

export function parseDispatchBody(body: string): ParsedDispatch {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (error) {
    return { kind: 'poison', code: 'unparseable_json', reason: `the body is not valid JSON: ${errorMessage(error)}` };
  }
  const full = stepDispatchMessage.safeParse(raw);
  if (full.success) return { kind: 'valid', message: full.data };
  const identity = dispatchIdentity.safeParse(raw);
  if (!identity.success) {
    const problems = formatIssues(identity.error.issues).join('; ');
    return {
      kind: 'poison',
      code: 'invalid_message',
      reason: `not a step dispatch message, and its ids cannot be read to answer it: ${problems}`,
    };
  }
  return {
    kind: 'invalid',
    subject: subjectOfRaw(raw as Record<string, unknown>, identity.data),
    problems: formatIssues(full.error.issues),
  };
}

/** What can be salvaged from an invalid message for its failure result. */
function subjectOfRaw(raw: Record<string, unknown>, id: DispatchIdentity): ResultSubject {
  const stepName = typeof raw.step_name === 'string' && raw.step_name.length > 0 ? raw.step_name : null;
  const attempt = Number.isInteger(raw.attempt) && (raw.attempt as number) >= 1 ? (raw.attempt as number) : null;
  return {
    event_id: id.event_id,
    task_uuid: id.task_uuid,
    step_uuid: id.step_uuid,
    correlation_id: id.correlation_id ?? null,
    step_name: stepName,
    attempt,
  };
}
