import type { ApiResponse } from '../api/api-call.js';
import { errorMessage } from '../domain/error-message.js';
import { localActor } from '../local/embedded-api.js';
import { offlineApiHandler } from '../local/offline-api.js';
import type { CliIo } from './cli-io.js';
import { openExistingDatabase, type DatabaseCliOptions } from './database-options.js';
import { isLoopback } from './dev-request-guard.js';
import { DEV_TOKEN_ENV } from './dev-token.js';
import { CliError } from './errors.js';
import { apiUrlOfStack } from './stack-outputs.js';
import { signedFetch } from './sigv4.js';

/** Where `tasker task|step|events|dlq` send their request: a deployed stack, `tasker dev`, or a database directly. */
export interface ApiCliOptions extends DatabaseCliOptions {
  readonly apiUrl?: string;
  readonly stack?: string;
  readonly region?: string;
  /** `tasker dev`'s token (default TASKER_DEV_TOKEN when --api-url is a loopback address). */
  readonly token?: string;
}

/** One API, three ways to reach it; `where` names the one chosen (for messages). */
export interface ApiClient {
  readonly where: string;
  request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<ApiResponse>;
  close(): Promise<void>;
}

/**
 * The API the options name: `--stack` (its API URL output, from CloudFormation) or `--api-url`, signed with SigV4 from
 * the standard AWS credential chain, or with `tasker dev`'s token (`--token`, or TASKER_DEV_TOKEN for a loopback URL);
 * else the database of `--database-url`, `--data-dir` or DATABASE_URL, served in-process by the same API code.
 *
 * @example
 * ```ts
 * const api = await openApiClient({ stack: 'Tasker' }, io, 'tasker task list');
 * const { status, body } = await api.request('GET', '/tasks?state=error');
 * ```
 */
export async function openApiClient(opts: ApiCliOptions, io: CliIo, what: string): Promise<ApiClient> {
  if (opts.apiUrl && opts.stack) throw new CliError('usage', 'give --api-url or --stack, not both');
  if (opts.stack) {
    const region = regionOf(opts, io, undefined);
    const endpoint = io.env.AWS_ENDPOINT_URL_CLOUDFORMATION ?? io.env.AWS_ENDPOINT_URL;
    return remoteClient(await apiUrlOfStack(opts.stack, { region }, endpoint), opts, io);
  }
  if (opts.apiUrl) return remoteClient(opts.apiUrl, opts, io);
  const database = await openExistingDatabase(opts, io, what);
  const handle = offlineApiHandler(database.pool);
  const actor = localActor();
  return {
    where: database.kind === 'embedded' ? 'the data directory' : 'the database',
    request: (method, path, body) => {
      const url = new URL(path, 'http://local');
      return handle({
        method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        body: body === undefined ? undefined : JSON.stringify(body),
        actor,
      });
    },
    close: () => database.close(),
  };
}

function remoteClient(apiUrl: string, opts: ApiCliOptions, io: CliIo): ApiClient {
  let base: URL;
  try {
    base = new URL(apiUrl);
  } catch {
    throw new CliError('usage', `--api-url '${apiUrl}' is not a URL`);
  }
  const token = opts.token ?? (isLoopback(base.hostname) ? io.env[DEV_TOKEN_ENV] : undefined);
  const service = base.hostname.includes('.execute-api.') ? 'execute-api' : 'lambda';
  const region = token ? '' : regionOf(opts, io, base);
  return {
    where: base.origin,
    request: async (method, path, body) => {
      const url = new URL(`${base.pathname.replace(/\/+$/, '')}${path}`, base);
      const text = body === undefined ? undefined : JSON.stringify(body);
      let response: Response;
      try {
        response = token
          ? await fetch(url, {
              method,
              headers: { authorization: `Bearer ${token}`, ...(text ? { 'content-type': 'application/json' } : {}) },
              ...(text ? { body: text } : {}),
            })
          : await signedFetch(url, method, text, { region, service });
      } catch (error) {
        throw new CliError('api_unreachable', `could not reach ${base.origin}: ${errorMessage(error)}`, {
          exitCode: 1,
        });
      }
      return { status: response.status, body: await jsonOf(response, base) };
    },
    close: async () => undefined,
  };
}

async function jsonOf(response: Response, base: URL): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError('bad_response', `${base.origin} answered ${response.status} with a body that is not JSON`, {
      problems: [text.slice(0, 200)],
      hint:
        response.status === 403 ? 'the request was refused: check your AWS credentials and the IAM policy' : undefined,
      exitCode: 1,
    });
  }
}

/** --region, the function URL's (`<id>.lambda-url.<region>.on.aws`), API Gateway's, or AWS_REGION / AWS_DEFAULT_REGION. */
function regionOf(opts: ApiCliOptions, io: CliIo, url: URL | undefined): string {
  const fromUrl = url ? /\.(?:lambda-url|execute-api)\.([a-z0-9-]+)\./.exec(url.hostname)?.[1] : undefined;
  const region = opts.region ?? fromUrl ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
  if (!region)
    throw new CliError('no_region', 'which AWS region? --region, AWS_REGION or AWS_DEFAULT_REGION', {
      hint: 'a function URL names its region; a stack lookup needs one',
    });
  return region;
}
