import { describe, expect, it } from 'vitest';
import { ok } from '../../../lib/api/api-call.js';
import { createApiHandler } from '../../../lib/api/handle-api-request.js';
import { API_ROUTES, type ApiRoute } from '../../../lib/api/routes.js';
import { decodeTaskCursor, encodeTaskCursor } from '../../../lib/api/task-cursor.js';
import { staticRouting } from '../../../lib/orchestration/queue-routing.js';
import { FakeEventBus } from '../../helpers/fake-event-bus.js';
import { FakeQueueSender } from '../../helpers/fake-queue-sender.js';
import { fakeStore } from '../../helpers/fake-store.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';

/** The API's router on a fake store: what it refuses before a route runs, an unexpected failure, one more route. */

const UUID = '00000000-0000-4000-8000-000000000001';

function deps(store = fakeStore()) {
  const logger = new RecordingLogger();
  return {
    logger,
    deps: {
      orchestration: {
        store,
        queues: new FakeQueueSender(),
        events: new FakeEventBus(),
        routing: staticRouting({ dispatchQueueUrl: 'test://d', completionQueueUrl: 'test://c' }),
        clock: { now: () => new Date() },
        random: { next: () => 0.5 },
        logger,
      },
      queue: undefined,
      domainEventDlqUrl: undefined,
      deadLetters: [],
    },
  };
}

const request = (method: string, path: string, body?: string) => ({ method, path, query: {}, body, actor: 'test' });

describe('the API router', () => {
  it('answers a failure nobody expected with a 500 internal, logged with its stack', async () => {
    const store = fakeStore({
      getTask: async () => {
        throw new Error('connection reset');
      },
    });
    const { deps: d, logger } = deps(store);
    const answer = await createApiHandler(d)(request('GET', `/tasks/${UUID}`));
    expect(answer).toEqual({
      status: 500,
      body: { error: 'internal', message: 'the request failed: connection reset' },
    });
    expect(logger.entries.find((e) => e.message === 'API request failed')?.fields).toMatchObject({
      path: `/tasks/${UUID}`,
      stack: expect.stringContaining('connection reset'),
    });
  });

  it('refuses a path it cannot decode (400), a trailing slash is the same path, 503 for queue routes without queues', async () => {
    const { deps: d } = deps(fakeStore({ getTask: async () => null }));
    const handle = createApiHandler(d);
    expect((await handle(request('GET', '/tasks/%E0%A4%A'))).status).toBe(400);
    expect(await handle(request('GET', `/tasks/${UUID}/`))).toMatchObject({
      status: 404,
      body: { error: 'unknown_task' },
    });
    expect(await handle(request('POST', '/events/redrive', '{}'))).toMatchObject({
      status: 503,
      body: { error: 'not_configured' },
    });
    expect(await handle(request('POST', '/events/redrive', '[1]'))).toMatchObject({
      status: 400,
      body: { error: 'invalid_request' },
    });
  });

  it('serves a route added as one entry of the table, with its path parameters decoded', async () => {
    const signal: ApiRoute = {
      method: 'POST',
      path: '/tasks/{task_uuid}/steps/{step_name}/echo',
      summary: 'test',
      handle: async ({ params, body, actor }) => ok({ params, body, actor }),
    };
    const { deps: d } = deps();
    const answer = await createApiHandler(d, [...API_ROUTES, signal])(
      request('POST', `/tasks/${UUID}/steps/charge%20card/echo`, '{"ok":true}'),
    );
    expect(answer).toEqual({
      status: 200,
      body: { params: { task_uuid: UUID, step_name: 'charge card' }, body: { ok: true }, actor: 'test' },
    });
  });

  it('has no two routes with the same method and path', () => {
    const keys = API_ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('the task cursor', () => {
  it('round-trips the last task of a page, and refuses text it did not write', () => {
    const cursor = encodeTaskCursor({ createdMicros: '1764510000123456', taskUuid: UUID });
    expect(decodeTaskCursor(cursor)).toEqual({ createdMicros: '1764510000123456', taskUuid: UUID });
    for (const bad of [
      '',
      'bm9wZQ',
      Buffer.from('12.not-a-uuid').toString('base64url'),
      Buffer.from(`x.${UUID}`).toString('base64url'),
    ])
      expect(decodeTaskCursor(bad), bad).toBeNull();
  });
});
