import { userInfo } from 'node:os';
import type { ApiDeps, DeadLetterQueue } from '../api/api-deps.js';
import type { ApiRequest, ApiResponse } from '../api/api-call.js';
import { ok } from '../api/api-call.js';
import { createApiHandler } from '../api/handle-api-request.js';
import { API_ROUTES, type ApiRoute } from '../api/routes.js';
import { templateKey } from '../domain/task-template.js';
import type { EmbeddedRuntime } from './embedded-runtime.js';

/** The queues of the embedded runtime an operator can inspect and redrive (those its transport has). */
export function embeddedDeadLetters(runtime: Pick<EmbeddedRuntime, 'transport'>): DeadLetterQueue[] {
  const { urls } = runtime.transport;
  return [
    ...(urls.dispatchDlq && urls.dispatch
      ? [{ name: 'dispatch-dlq', url: urls.dispatchDlq, redriveTo: urls.dispatch }]
      : []),
    ...(urls.completionDlq ? [{ name: 'completion-dlq', url: urls.completionDlq, redriveTo: urls.completion }] : []),
    { name: 'poison', url: urls.poison, redriveTo: null },
  ];
}

/** The API's deps on the embedded runtime: its orchestration, its queues. */
export function embeddedApiDeps(runtime: EmbeddedRuntime): ApiDeps {
  return {
    orchestration: runtime.orchestration,
    queue: runtime.transport.queue,
    counts: runtime.transport.counts,
    domainEventDlqUrl: runtime.transport.urls.domainEventDlq,
    deadLetters: embeddedDeadLetters(runtime),
  };
}

/** Who acts locally: the OS user (`local:<name>`), or `local` when it cannot be told. */
export function localActor(): string {
  try {
    return `local:${userInfo().username}`;
  } catch {
    return 'local';
  }
}

/** Routes only `tasker dev` has (about the process, not the engine): `GET /health`, `GET /templates`. */
function localRoutes(runtime: EmbeddedRuntime): ApiRoute[] {
  return [
    {
      method: 'GET',
      path: '/health',
      summary: 'tasker dev only: up, with runner metrics',
      handle: async () => ok({ ok: true, metrics: runtime.metrics() }),
    },
    {
      method: 'GET',
      path: '/templates',
      summary: 'tasker dev only: the templates loaded',
      handle: async () =>
        ok({ templates: runtime.templates.map((t) => ({ key: templateKey(t), steps: t.steps.map((s) => s.name) })) }),
    },
  ];
}

/**
 * The API served on the embedded runtime, as `tasker dev` serves it: the deployed API's routes, and its own two.
 *
 * @example
 * ```ts
 * const handle = embeddedApiHandler(runtime);
 * await handle({ method: 'GET', path: '/tasks', query: {}, body: undefined, actor: localActor() });
 * ```
 */
export function embeddedApiHandler(runtime: EmbeddedRuntime): (request: ApiRequest) => Promise<ApiResponse> {
  return createApiHandler(embeddedApiDeps(runtime), [...API_ROUTES, ...localRoutes(runtime)]);
}
