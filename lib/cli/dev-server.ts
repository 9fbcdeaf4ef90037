import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiRequest, ApiResponse } from '../api/api-call.js';
import { errorMessage } from '../domain/error-message.js';
import { allowedHostsFor, refusalOf, type DevRequestGuard } from './dev-request-guard.js';
import { HttpError } from './errors.js';

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
  /** Who the token's holder is, recorded with operator actions (the OS user). */
  readonly actor: string;
}

/** Answers the API's requests (lib/api): `embeddedApiHandler(runtime)` for `tasker dev`. */
export type DevApiHandler = (request: ApiRequest) => Promise<ApiResponse>;

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * `tasker dev`'s endpoint on 127.0.0.1: the API the deployed stack serves (lib/api/routes.ts), guarded by the run's
 * token instead of SigV4. Every request must be addressed to the bound address and carry the token; a body must be
 * JSON (see {@link refusalOf}).
 *
 * @example
 * ```ts
 * const server = await startDevServer(embeddedApiHandler(runtime), { port: 3710, token, actor: localActor() });
 * await fetch(`${server.url}/tasks`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
 * ```
 */
export async function startDevServer(api: DevApiHandler, options: DevServerOptions): Promise<DevServer> {
  const server = createServer();
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  // Attached in the tick `listen` resolved in, before any request can be read: the guard needs the port bound.
  const guard: DevRequestGuard = { token: options.token, allowedHosts: allowedHostsFor(host, port) };
  server.on('request', (req, res) => void handle(api, guard, options.actor, req, res));
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
  api: DevApiHandler,
  guard: DevRequestGuard,
  actor: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  try {
    const refusal = refusalOf(req.method, req.headers, guard);
    if (refusal) throw refusal;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const { status, body } = await api({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: await readBody(req),
      actor,
    });
    send(res, status, body);
  } catch (error) {
    if (error instanceof HttpError) send(res, error.status, error.body);
    else send(res, 500, { error: 'internal', message: errorMessage(error) });
  }
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new HttpError(413, { error: 'too_large', message: `the body exceeds ${MAX_BODY_BYTES} bytes` });
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 0 ? undefined : Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    ...(status === 401 ? { 'www-authenticate': 'Bearer' } : {}),
  });
  res.end(`${JSON.stringify(body, null, 2)}\n`);
}
