import type { ApiResponse } from '../api/api-call.js';
import { openApiClient, type ApiCliOptions } from './api-client.js';
import { out, type CliIo } from './cli-io.js';
import { CliError } from './errors.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { parseContext, parseJsonOption } from './parse-context.js';
import { parseTaskRef } from './task-ref.js';

/** What every API command takes: where the API is (api-client.ts) and `--json`. */
export interface ApiCommandOptions extends ApiCliOptions {
  readonly json?: boolean;
}

/** A command's request: the method, the path (with its query) and the body. */
export interface ApiCommandRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: unknown;
}

/**
 * Sends one request to the API the options name and prints the answer: the body as JSON with `--json`, else
 * `describe(body)`'s lines. A refusal is a CliError with the API's code, message and problems (exit 1; a request the
 * API found invalid: 2).
 */
export async function runApiCommand(
  what: string,
  request: ApiCommandRequest,
  opts: ApiCommandOptions,
  io: CliIo,
  describe: (body: Record<string, unknown>) => string[],
): Promise<ExitCode> {
  const api = await openApiClient(opts, io, what);
  try {
    const answer = await api.request(request.method, request.path, request.body);
    if (answer.status >= 400) throw refusal(answer, api.where);
    const body = answer.body as Record<string, unknown>;
    if (opts.json) out(io, JSON.stringify(body, null, 2));
    else for (const line of describe(body)) out(io, line);
    return EXIT.ok;
  } finally {
    await api.close();
  }
}

function refusal({ status, body }: ApiResponse, where: string): CliError {
  const b = (body ?? {}) as { error?: string; message?: string; problems?: string[] };
  return new CliError(b.error ?? `http_${status}`, `${b.message ?? `HTTP ${status}`} (${where}, ${status})`, {
    problems: b.problems ?? [],
    exitCode: status === 400 ? EXIT.usage : EXIT.failed,
  });
}

/** `/path?k=v…` with the defined values only. */
export function withQuery(path: string, query: Record<string, string | undefined>): string {
  const params = new URLSearchParams(
    Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''),
  ).toString();
  return params ? `${path}?${params}` : path;
}

const seg = encodeURIComponent;

export interface CreateOptions extends ApiCommandOptions {
  readonly context?: string;
  readonly idempotencyKey?: string;
  readonly identityStrategy?: string;
  readonly correlationId?: string;
  readonly priority?: string;
}

/** `POST /tasks`: the request the options describe. */
export function createRequest(template: string, opts: CreateOptions, io: CliIo): ApiCommandRequest {
  const ref = parseTaskRef(template);
  return {
    method: 'POST',
    path: '/tasks',
    body: {
      namespace: ref.namespace,
      name: ref.name,
      ...(ref.version ? { version: ref.version } : {}),
      context: parseContext(opts.context, io.cwd),
      ...(opts.idempotencyKey ? { idempotency_key: opts.idempotencyKey } : {}),
      ...(opts.identityStrategy ? { identity_strategy: opts.identityStrategy } : {}),
      ...(opts.correlationId ? { correlation_id: opts.correlationId } : {}),
      ...(opts.priority !== undefined ? { priority: Number(opts.priority) } : {}),
    },
  };
}

export interface ListOptions extends ApiCommandOptions {
  readonly namespace?: string;
  readonly name?: string;
  readonly state?: string;
  readonly createdFrom?: string;
  readonly createdTo?: string;
  readonly limit?: string;
  readonly cursor?: string;
}

export function listRequest(opts: ListOptions): ApiCommandRequest {
  return {
    method: 'GET',
    path: withQuery('/tasks', {
      namespace: opts.namespace,
      name: opts.name,
      state: opts.state,
      created_from: opts.createdFrom,
      created_to: opts.createdTo,
      limit: opts.limit,
      cursor: opts.cursor,
    }),
  };
}

export function cancelRequest(taskUuid: string, reason: string): ApiCommandRequest {
  return { method: 'POST', path: `/tasks/${seg(taskUuid)}/cancel`, body: { reason } };
}

/** `retry`, `resolve` or `complete` (with the result, JSON) of one step. */
export function stepRequest(
  action: 'retry' | 'resolve' | 'complete',
  taskUuid: string,
  step: string,
  reason: string,
  result?: string,
): ApiCommandRequest {
  const body: Record<string, unknown> = { reason };
  if (action === 'complete') body.result = parseResult(result);
  return { method: 'POST', path: `/tasks/${seg(taskUuid)}/steps/${seg(step)}/${action}`, body };
}

function parseResult(text: string | undefined): unknown {
  if (text === undefined)
    throw new CliError('usage', 'step complete needs --result <json> (the result dependents receive)');
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError('invalid_result', `--result is not JSON: ${text}`);
  }
}

export function redriveBody(opts: { maxMessages?: string; includeRefused?: boolean }): Record<string, unknown> {
  return {
    ...(opts.maxMessages ? { max_messages: Number(opts.maxMessages) } : {}),
    ...(opts.includeRefused ? { include_refused: true } : {}),
  };
}

/** `POST /tasks/{uuid}/steps/{name}/signal`: the payload (JSON, or @file.json) becomes the wait step's result. */
export function signalRequest(taskUuid: string, stepName: string, payload: string, io: CliIo): ApiCommandRequest {
  return {
    method: 'POST',
    path: `/tasks/${seg(taskUuid)}/steps/${seg(stepName)}/signal`,
    body: { payload: parseJsonOption(payload, io.cwd, '--payload', 'invalid_payload') },
  };
}
