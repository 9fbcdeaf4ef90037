import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorMessage } from '../domain/error-message.js';
import { templateKey } from '../domain/task-template.js';
import type { EmbeddedRuntime } from '../local/embedded-runtime.js';
import { allowedHostsFor, refusalOf, type DevRequestGuard } from './dev-request-guard.js';
import { HttpError } from './errors.js';
import { buildRunReport } from './run-report.js';
import { signalRoute } from './signal-route.js';

export interface DevServer {
  readonly url: string;
  /** The token every request must carry as `Authorization: Bearer <token>`. */
  readonly token: string;
  close(): Promise<void>;
}

export interface DevServerOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0: any free port. */
  readonly port?: number;
  readonly token: string;
}

const MAX_BODY_BYTES = 1024 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REFUSAL_STATUS: Record<string, number> = { unknown_template: 404, no_worker_pool: 503 };

/**
 * `tasker dev`'s endpoint on 127.0.0.1: `POST /tasks` (a create-task request) → 201 with the task's
 * uuid; `GET /tasks/:uuid` → the task with its steps, transitions and domain events; `POST
 * /tasks/:uuid/steps/:name/signal` (`{"payload": …}`) → signals a wait step (signal-route.ts); `GET /templates`;
 * `GET /health`. Every request must be addressed to the bound address and carry the token; a body must be JSON
 * (see {@link refusalOf}).
 *
 * @example
 * ```ts
 * const server = await startDevServer(runtime, { port: 3710, token });
 * await fetch(`${server.url}/tasks`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
 * ```
 */
export async function startDevServer(runtime: EmbeddedRuntime, options: DevServerOptions): Promise<DevServer> {
  const server = createServer();
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  // Attached in the tick `listen` resolved in, before any request can be read: the guard needs the port bound.
  const guard: DevRequestGuard = { token: options.token, allowedHosts: allowedHostsFor(host, port) };
  server.on('request', (req, res) => void handle(runtime, guard, req, res));
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    token: options.token,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(
  runtime: EmbeddedRuntime,
  guard: DevRequestGuard,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  try {
    const refusal = refusalOf(req.method, req.headers, guard);
    if (refusal) throw refusal;
    const { status, body } = await route(runtime, req);
    send(res, status, body);
  } catch (error) {
    if (error instanceof HttpError) send(res, error.status, error.body);
    else send(res, 500, { error: 'internal', message: errorMessage(error) });
  }
}

async function route(runtime: EmbeddedRuntime, req: IncomingMessage): Promise<{ status: number; body: unknown }> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '') || '/';
  if (path === '/tasks' && req.method === 'POST') return createTask(runtime, await readJson(req));
  const taskMatch = /^\/tasks\/([^/]+)$/.exec(path);
  if (taskMatch && req.method === 'GET') return showTask(runtime, decodeURIComponent(taskMatch[1] as string));
  const signalMatch = /^\/tasks\/([^/]+)\/steps\/([^/]+)\/signal$/.exec(path);
  if (signalMatch && req.method === 'POST') {
    const [taskUuid, stepName] = [signalMatch[1], signalMatch[2]].map((s) => decodeURIComponent(s as string));
    return signalRoute(runtime.signalStep, taskUuid as string, stepName as string, await readJson(req));
  }
  if (path === '/templates' && req.method === 'GET')
    return {
      status: 200,
      body: { templates: runtime.templates.map((t) => ({ key: templateKey(t), steps: t.steps.map((s) => s.name) })) },
    };
  if (path === '/health' && req.method === 'GET')
    return { status: 200, body: { ok: true, metrics: runtime.metrics() } };
  throw new HttpError(404, {
    error: 'not_found',
    message: `no route ${req.method} ${path} (POST /tasks, GET /tasks/:uuid, POST /tasks/:uuid/steps/:name/signal, GET /templates, GET /health)`,
  });
}

async function createTask(runtime: EmbeddedRuntime, body: unknown): Promise<{ status: number; body: unknown }> {
  const result = await runtime.createTask(body as Parameters<EmbeddedRuntime['createTask']>[0]);
  if (!result.ok)
    throw new HttpError(REFUSAL_STATUS[result.code] ?? 400, {
      error: result.code,
      message: result.message,
      problems: result.problems,
    });
  return {
    status: result.created ? 201 : 200,
    body: {
      task_uuid: result.taskUuid,
      state: result.state,
      created: result.created,
      correlation_id: result.correlationId,
    },
  };
}

async function showTask(runtime: EmbeddedRuntime, taskUuid: string): Promise<{ status: number; body: unknown }> {
  if (!UUID.test(taskUuid))
    throw new HttpError(400, { error: 'invalid_uuid', message: `'${taskUuid}' is not a task uuid` });
  const task = await runtime.getTask(taskUuid);
  if (!task) throw new HttpError(404, { error: 'unknown_task', message: `no task ${taskUuid}` });
  const transitions = await runtime.transitions(taskUuid);
  const sources = {
    events: runtime.domainEvents(taskUuid),
    failures: runtime.handlerFailures(taskUuid),
    dropped: runtime.droppedDomainEvents(taskUuid),
  };
  return { status: 200, body: { ...buildRunReport(task, transitions, sources), transitions } };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new HttpError(413, { error: 'too_large', message: `the body exceeds ${MAX_BODY_BYTES} bytes` });
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new HttpError(400, { error: 'invalid_json', message: `the body is not JSON: ${errorMessage(error)}` });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    ...(status === 401 ? { 'www-authenticate': 'Bearer' } : {}),
  });
  res.end(`${JSON.stringify(body, null, 2)}\n`);
}
