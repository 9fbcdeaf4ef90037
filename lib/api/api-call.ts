import { formatIssues } from '../contracts/format-issues.js';
import type { ApiError } from '../contracts/api-responses.js';
import type { z } from 'zod';
import type { ApiDeps } from './api-deps.js';

/**
 * One HTTP request as every transport hands it to the API (a Lambda function URL event, `tasker dev`'s node server):
 * the body still text, and who sent it, already authenticated by the transport (an IAM principal's ARN; locally
 * `local:<os user>`).
 */
export interface ApiRequest {
  readonly method: string;
  /** The path without the query string, e.g. `/tasks/0f…/cancel`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly body: string | undefined;
  readonly actor: string;
}

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
}

/** What a route's handler receives: the path parameters by name, the query, the parsed JSON body and the actor. */
export interface RouteCall {
  readonly deps: ApiDeps;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly body: unknown;
  readonly actor: string;
}

/**
 * A typed refusal: the status and the {@link ApiError} body.
 *
 * @example
 * ```ts
 * return refuse(404, 'unknown_task', `no task ${uuid}`);
 * ```
 */
export function refuse(status: number, error: string, message: string, problems?: readonly string[]): ApiResponse {
  const body: ApiError = { error, message, ...(problems ? { problems: [...problems] } : {}) };
  return { status, body };
}

export function ok(body: unknown, status = 200): ApiResponse {
  return { status, body };
}

/** The value, parsed by `schema`, or a 400 `invalid_request` naming every problem. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
): { ok: true; value: z.infer<S> } | { ok: false; response: ApiResponse } {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    response: refuse(400, 'invalid_request', `the ${what} is invalid`, formatIssues(parsed.error.issues)),
  };
}
