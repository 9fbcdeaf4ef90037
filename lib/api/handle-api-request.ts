import { errorMessage } from '../domain/error-message.js';
import type { ApiDeps } from './api-deps.js';
import { refuse, type ApiRequest, type ApiResponse } from './api-call.js';
import { API_ROUTES, type ApiRoute } from './routes.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface CompiledRoute {
  readonly route: ApiRoute;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

/**
 * Answers one request with the routes of `routes` (the API's by default): 404 `no_route` for an unknown path, 405
 * `method_not_allowed` for a known path and another method, 400 for a body that is not JSON or a `{task_uuid}` that is
 * not a UUID, the route's own answer otherwise; an unexpected failure is a 500 `internal` (logged with its stack).
 *
 * @example
 * ```ts
 * const handle = createApiHandler(deps);
 * const answer = await handle({ method: 'GET', path: `/tasks/${uuid}`, query: {}, body: undefined, actor: 'local:ada' });
 * ```
 */
export function createApiHandler(deps: ApiDeps, routes: readonly ApiRoute[] = API_ROUTES) {
  const compiled = routes.map(compile);
  return (request: ApiRequest): Promise<ApiResponse> => handle(deps, compiled, request);
}

async function handle(deps: ApiDeps, routes: readonly CompiledRoute[], request: ApiRequest): Promise<ApiResponse> {
  const path = request.path.replace(/\/+$/, '') || '/';
  const matches = routes.flatMap((r) => {
    const m = r.pattern.exec(path);
    return m ? [{ r, values: m.slice(1) }] : [];
  });
  if (matches.length === 0) return refuse(404, 'no_route', `no route ${request.method} ${path}`, routes.map(describe));
  const match = matches.find((m) => m.r.route.method === request.method);
  if (!match)
    return refuse(405, 'method_not_allowed', `${path} takes ${matches.map((m) => m.r.route.method).join(', ')}`);
  const params = decodeParams(match.r.names, match.values);
  if (!params) return refuse(400, 'invalid_path', `the path ${path} is not percent-encoded correctly`);
  if (params.task_uuid !== undefined && !UUID.test(params.task_uuid))
    return refuse(400, 'invalid_uuid', `'${params.task_uuid}' is not a task uuid`);
  const body = parseBody(request.body);
  if (!body.ok) return body.response;
  try {
    return await match.r.route.handle({ deps, params, query: request.query, body: body.value, actor: request.actor });
  } catch (error) {
    deps.orchestration.logger.error('API request failed', {
      method: request.method,
      path,
      actor: request.actor,
      error: errorMessage(error),
      stack: error instanceof Error ? error.stack : undefined,
    });
    return refuse(500, 'internal', `the request failed: ${errorMessage(error)}`);
  }
}

function parseBody(text: string | undefined): { ok: true; value: unknown } | { ok: false; response: ApiResponse } {
  if (text === undefined || text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, response: refuse(400, 'invalid_json', `the body is not JSON: ${errorMessage(error)}`) };
  }
}

function decodeParams(names: readonly string[], values: readonly string[]): Record<string, string> | null {
  try {
    return Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(values[i]!)]));
  } catch {
    return null;
  }
}

function compile(route: ApiRoute): CompiledRoute {
  const names: string[] = [];
  const source = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{(\w+)\\?\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { route, pattern: new RegExp(`^${source}$`), names };
}

function describe(r: CompiledRoute): string {
  return `${r.route.method} ${r.route.path}`;
}
