import { request } from 'node:http';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowedHostsFor, isLoopback } from '../../../lib/cli/dev-request-guard.js';
import { startDevServer, type DevApiHandler, type DevServer } from '../../../lib/cli/dev-server.js';
import { devToken, DEV_TOKEN_ENV, removeDevToken, writeDevToken } from '../../../lib/cli/dev-token.js';
import { CliUsageError } from '../../../lib/cli/errors.js';

/**
 * `tasker dev`'s HTTP guard against a stand-in runtime that records the tasks it is asked to create: what a browser
 * page (cross-site POST, DNS rebinding) or a caller without the token sends is refused before it reaches the runtime.
 */

const TOKEN = 'test-token-0123456789abcdef';
const TASK_UUID = '00000000-0000-4000-8000-000000000001';
const created: unknown[] = [];
const actors: string[] = [];
/** A stand-in for the API: records what reaches it; a POST /tasks "creates" a task. */
const api: DevApiHandler = async (request) => {
  actors.push(request.actor);
  if (request.method === 'POST' && request.path === '/tasks') {
    created.push(JSON.parse(request.body ?? '{}'));
    return { status: 201, body: { task_uuid: TASK_UUID } };
  }
  return { status: 200, body: { path: request.path, query: request.query } };
};

let server: DevServer;
let port: number;
beforeAll(async () => {
  server = await startDevServer(api, { port: 0, token: TOKEN, actor: 'local:tester' });
  port = Number(new URL(server.url).port);
});
afterAll(() => server.close());

interface Answer {
  readonly status: number;
  readonly body: { error?: string; task_uuid?: string };
  readonly headers: Record<string, string | string[] | undefined>;
}

/** A raw HTTP request (fetch will not let a test choose the Host header). */
function send(
  headers: Record<string, string>,
  body?: string,
  method = body === undefined ? 'GET' : 'POST',
  path = '/tasks',
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const AUTH = { authorization: `Bearer ${TOKEN}` };
const JSON_TYPE = { 'content-type': 'application/json' };
const TASK = JSON.stringify({ namespace: 'ns', name: 'task', context: {} });

describe('tasker dev refuses', () => {
  it('a POST whose body is not declared application/json (a cross-site form or text/plain POST), creating nothing', async () => {
    const before = created.length;
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const answer = await send({ ...AUTH, 'content-type': type }, TASK);
      expect(answer.status, type).toBe(415);
      expect(answer.body.error).toBe('unsupported_media_type');
    }
    expect((await send(AUTH, TASK)).status).toBe(415);
    expect(created.length).toBe(before);
  });

  it('a request from a foreign Origin, even with the token and JSON', async () => {
    for (const origin of ['http://evil.example', `http://evil.example:${port}`, `https://127.0.0.1:${port}`, 'null']) {
      const answer = await send({ ...AUTH, ...JSON_TYPE, origin }, TASK);
      expect(answer.status, origin).toBe(403);
      expect(answer.body.error).toBe('forbidden_origin');
    }
  });

  it('a request addressed to a foreign Host (DNS rebinding), even with the token', async () => {
    for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1:${port + 1}`]) {
      const answer = await send({ ...AUTH, ...JSON_TYPE, host }, TASK);
      expect(answer.status, host).toBe(403);
      expect(answer.body.error).toBe('forbidden_host');
    }
    expect(
      (await send({ ...AUTH, host: `evil.example:${port}` }, undefined, 'GET', `/tasks/${TASK_UUID}`)).status,
    ).toBe(403);
  });

  it('a request without the token or with a wrong one, on every route', async () => {
    for (const authorization of [
      undefined,
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      TOKEN,
      `Basic ${TOKEN}`,
    ]) {
      const answer = await send({ ...JSON_TYPE, ...(authorization ? { authorization } : {}) }, TASK);
      expect(answer.status, String(authorization)).toBe(401);
      expect(answer.body.error).toBe('unauthorized');
      expect(answer.headers['www-authenticate']).toBe('Bearer');
    }
    for (const path of ['/health', '/templates', `/tasks/${TASK_UUID}`])
      expect((await send({}, undefined, 'GET', path)).status, path).toBe(401);
  });
});

describe('tasker dev accepts', () => {
  it('a JSON POST with the token addressed to its own address, by IP or as localhost, from its own origin or none', async () => {
    for (const headers of <Record<string, string>[]>[
      {},
      { host: `localhost:${port}` },
      { origin: `http://127.0.0.1:${port}` },
      { 'content-type': 'application/json; charset=utf-8' },
    ]) {
      const answer = await send({ ...AUTH, ...JSON_TYPE, ...headers }, TASK);
      expect(answer.status, JSON.stringify(headers)).toBe(201);
      expect(answer.body.task_uuid).toBe(TASK_UUID);
    }
    expect(created.at(-1)).toEqual({ namespace: 'ns', name: 'task', context: {} });
    expect((await send(AUTH, undefined, 'GET', '/health')).status).toBe(200);
  });

  it('hands the API the path, the query and the actor the server was started for', async () => {
    const answer = await send(AUTH, undefined, 'GET', '/tasks?state=error&limit=5');
    expect(answer.body).toEqual({ path: '/tasks', query: { state: 'error', limit: '5' } });
    expect(actors.at(-1)).toBe('local:tester');
  });
});

describe('the addresses a request may name', () => {
  it('are the loopback names for a loopback address, the address alone otherwise, and every interface for a wildcard', () => {
    expect(allowedHostsFor('127.0.0.1', 3710)).toEqual(new Set(['127.0.0.1:3710', 'localhost:3710', '[::1]:3710']));
    expect(allowedHostsFor('::1', 80)).toEqual(new Set(['[::1]:80', 'localhost:80', '127.0.0.1:80']));
    expect(allowedHostsFor('192.168.1.20', 3710)).toEqual(new Set(['192.168.1.20:3710']));
    const wildcard = allowedHostsFor('0.0.0.0', 3710);
    expect(wildcard.has('127.0.0.1:3710') && wildcard.has('localhost:3710')).toBe(true);
    expect(wildcard.has('evil.example:3710')).toBe(false);
  });

  it('tell loopback from beyond', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost', 'LOCALHOST'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '::', '192.168.1.20', 'example.com', '127.0.0.1.example.com'].some(isLoopback)).toBe(false);
  });
});

describe('the token', () => {
  it('is random per run unless TASKER_DEV_TOKEN chooses one, which must not be short', () => {
    const a = devToken({});
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(devToken({})).not.toBe(a);
    expect(devToken({ [DEV_TOKEN_ENV]: TOKEN })).toBe(TOKEN);
    expect(() => devToken({ [DEV_TOKEN_ENV]: 'short' })).toThrow(CliUsageError);
  });

  it('is written to the data directory readable by the user alone, even over a looser file, and removed at stop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tasker-dev-token-'));
    try {
      const file = await writeDevToken(dir, 'first-token-0123456789');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, 'utf8')).toBe('first-token-0123456789\n');
      chmodSync(file, 0o644);
      await writeDevToken(dir, TOKEN);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, 'utf8')).toBe(`${TOKEN}\n`);
      await removeDevToken(file);
      expect(() => statSync(file)).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
