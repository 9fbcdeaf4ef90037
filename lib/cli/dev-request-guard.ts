import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';
import { HttpError } from './errors.js';

/**
 * What `tasker dev` lets in: requests addressed to the address it is bound to (`Host`, and `Origin` when a browser sends
 * one), carrying the run's token; a body only as `application/json`. Together they stop a web page the developer visits
 * from creating tasks (a cross-site `text/plain` POST needs no preflight) and a DNS-rebinding page from reading them.
 */
export interface DevRequestGuard {
  readonly token: string;
  /** `host:port` (lower case, IPv6 in brackets) a request may be addressed to. */
  readonly allowedHosts: ReadonlySet<string>;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

/** True for 127.0.0.0/8, ::1 and localhost: an address only this machine reaches. */
export function isLoopback(host: string): boolean {
  const h = bracketed(host.toLowerCase());
  return h === 'localhost' || h === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * The `host:port` names a request to a server bound to `host`:`port` may use: the bound address itself, the loopback
 * names when it is loopback, and every interface address and the machine's host name when it is a wildcard (0.0.0.0, ::).
 *
 * @example
 * ```ts
 * allowedHostsFor('127.0.0.1', 3710) // Set { '127.0.0.1:3710', 'localhost:3710', '[::1]:3710' }
 * ```
 */
export function allowedHostsFor(host: string, port: number): Set<string> {
  const bound = bracketed(host.toLowerCase());
  const names = new Set([bound]);
  if (isLoopback(bound) || WILDCARDS.has(bound)) for (const name of LOOPBACK_NAMES) names.add(name);
  if (WILDCARDS.has(bound)) {
    names.add(hostname().toLowerCase());
    for (const address of Object.values(networkInterfaces()).flat())
      if (address) names.add(bracketed(address.address.toLowerCase()));
  }
  return new Set([...names].map((name) => `${name}:${port}`));
}

/**
 * The refusal for a request the guard does not let in, or null. Checked in this order: `Host`, `Origin`, the token
 * (`Authorization: Bearer <token>`), and for a POST the content type.
 */
export function refusalOf(
  method: string | undefined,
  headers: IncomingHttpHeaders,
  guard: DevRequestGuard,
): HttpError | null {
  const host = withPort(headers.host ?? '');
  if (!guard.allowedHosts.has(host))
    return new HttpError(403, {
      error: 'forbidden_host',
      message: `Host '${headers.host ?? ''}' is not the address tasker dev listens on (${[...guard.allowedHosts].join(', ')})`,
    });
  const origin = headers.origin;
  if (origin !== undefined && !guard.allowedHosts.has(originHost(origin)))
    return new HttpError(403, {
      error: 'forbidden_origin',
      message: `requests from the origin '${origin}' are refused: tasker dev answers only its own address`,
    });
  if (!tokenMatches(headers.authorization, guard.token))
    return new HttpError(401, {
      error: 'unauthorized',
      message: "send the token tasker dev printed at start: 'Authorization: Bearer <token>'",
    });
  if (method === 'POST' && mediaType(headers['content-type']) !== 'application/json') {
    return new HttpError(415, {
      error: 'unsupported_media_type',
      message: `the body must be sent as 'Content-Type: application/json' (got '${headers['content-type'] ?? 'none'}')`,
    });
  }
  return null;
}

function tokenMatches(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) return false;
  // Equal-length digests, so the comparison takes the same time whatever was sent.
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(match[1] as string), digest(token));
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** `host:port` of an Origin (`http://host[:port]`); an unparseable, opaque ("null") or non-http origin matches nothing. */
function originHost(origin: string): string {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' ? `${url.hostname.toLowerCase()}:${url.port || '80'}` : '';
  } catch {
    return '';
  }
}

/** A Host header with the port HTTP implies when it names none. */
function withPort(host: string): string {
  const h = host.trim().toLowerCase();
  return /:\d+$/.test(h) ? h : `${h}:80`;
}

/** IPv6 literals in brackets, as they appear in Host and Origin. */
function bracketed(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
