import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import { httpRequestOf, signerFor } from '../../lib/cli/sigv4.js';
import type { createApiLambda } from '../../lib/lambda/api-lambda.js';
import { functionUrlEvent } from './function-url-event.js';

export interface StaticCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface SigV4ApiServer {
  readonly url: string;
  /** Requests refused for their signature, and those let through. */
  readonly refused: number;
  readonly verified: number;
  close(): Promise<void>;
}

/**
 * The API function's handler served as its function URL serves it, in this process: each request's SigV4 signature
 * is VERIFIED (recomputed with the SDK's signer from the same static credentials over the headers it names, and
 * compared) before the handler runs, with the principal IAM would report (`arn:aws:iam::123456789012:user/<key id>`);
 * a bad signature is a 403, as Lambda answers it.
 */
export async function startSigV4ApiServer(
  handler: ReturnType<typeof createApiLambda>,
  credentials: StaticCredentials,
  region: string,
): Promise<SigV4ApiServer> {
  const counts = { refused: 0, verified: 0 };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
      if (!(await verifySigV4(req, url, body, credentials, region, 'lambda'))) {
        counts.refused += 1;
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ Message: 'The request signature we calculated does not match the signature you provided.' }),
        );
        return;
      }
      counts.verified += 1;
      const event = functionUrlEvent(req.method ?? 'GET', `${url.pathname}${url.search}`, {
        actor: `arn:aws:iam::123456789012:user/${credentials.accessKeyId}`,
        ...(body === undefined ? {} : { body }),
      });
      const result = (await handler(event, {} as Context)) as { statusCode: number; body: string };
      res.writeHead(result.statusCode, { 'content-type': 'application/json' });
      res.end(result.body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get refused() {
      return counts.refused;
    },
    get verified() {
      return counts.verified;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Recomputes the request's signature with the SDK's signer and the known secret; true when it matches. */
export async function verifySigV4(
  req: IncomingMessage,
  url: URL,
  body: string | undefined,
  credentials: StaticCredentials,
  region: string,
  service: string,
): Promise<boolean> {
  const auth = req.headers.authorization ?? '';
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!m || m[1] !== credentials.accessKeyId || m[3] !== region || m[4] !== service) return false;
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const at = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!at) return false;
  const signingDate = new Date(Date.UTC(+at[1]!, +at[2]! - 1, +at[3]!, +at[4]!, +at[5]!, +at[6]!));
  const signedHeaders = m[5]!.split(';');
  const headers = Object.fromEntries(
    signedHeaders.filter((h) => h !== 'host').map((h) => [h, String(req.headers[h] ?? '')]),
  );
  const request = httpRequestOf(url, req.method ?? 'GET', headers, body);
  const expected = await signerFor({ region, service, credentials }).sign(request, { signingDate });
  return expected.headers.authorization === auth;
}

export async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length === 0 ? undefined : Buffer.concat(chunks).toString('utf8');
}
