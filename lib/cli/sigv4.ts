import { createHash, createHmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, HttpRequest, SourceData } from '@smithy/types';

/**
 * SHA-256 (and HMAC-SHA-256 with a secret) on node:crypto, in the shape the SDK's signer takes (`@smithy/types`
 * Hash): the signature itself is the SDK's SignatureV4.
 */
export class NodeSha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: SourceData): void {
    this.hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data as ArrayBuffer);
}

export interface SigningTarget {
  readonly region: string;
  /** `lambda` for a function URL, `execute-api` for API Gateway, `cloudformation`, … */
  readonly service: string;
  /** The standard AWS chain (environment, profile, SSO, IMDS, …) unless given. */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

/** The SDK's signer for a region and service. */
export function signerFor(target: SigningTarget): SignatureV4 {
  return new SignatureV4({
    region: target.region,
    service: target.service,
    credentials: target.credentials ?? defaultProvider(),
    sha256: NodeSha256,
  });
}

/** The request for `url` as the signer takes it (its host header with the port, as it goes on the wire). */
export function httpRequestOf(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
): HttpRequest {
  return {
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { ...headers, host: url.host },
    ...(body === undefined ? {} : { body }),
  };
}

/**
 * Sends a request signed with SigV4 and returns the response.
 *
 * @example
 * ```ts
 * const res = await signedFetch(new URL('https://abc.lambda-url.eu-west-1.on.aws/tasks'), 'GET', undefined, { region: 'eu-west-1', service: 'lambda' });
 * ```
 */
export async function signedFetch(
  url: URL,
  method: string,
  body: string | undefined,
  target: SigningTarget,
  headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' },
): Promise<Response> {
  const signed = await signerFor(target).sign(httpRequestOf(url, method, headers, body));
  const { host: _host, ...send } = signed.headers;
  return fetch(url, { method, headers: send, ...(body === undefined ? {} : { body }) });
}
