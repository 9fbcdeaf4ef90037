import { describe, expect, it } from 'vitest';
import { parseDispatchBody } from '../../../lib/worker/parse-dispatch-body.js';
import { loadFixture } from '../../helpers/contract-fixtures.js';

describe('parseDispatchBody', () => {
  it('reads a valid dispatch message', () => {
    const fixture = loadFixture('step-dispatch-message.json');
    expect(parseDispatchBody(JSON.stringify(fixture))).toEqual({ kind: 'valid', message: fixture });
  });

  it('calls a body that is not JSON poison', () => {
    expect(parseDispatchBody('not json {')).toMatchObject({
      kind: 'poison',
      code: 'unparseable_json',
      reason: expect.stringContaining('not valid JSON'),
    });
  });

  it.each([
    ['an array', '[1,2]'],
    ['a string', '"step"'],
    ['an object without ids', '{"message_type":"step_dispatch"}'],
    ['a retry tick sent to the wrong queue', JSON.stringify(loadFixture('retry-due-message.json'))],
  ])('calls %s poison, naming what is missing', (_label, body) => {
    const parsed = parseDispatchBody(body);
    expect(parsed).toMatchObject({ kind: 'poison', code: 'invalid_message' });
    expect(parsed.kind === 'poison' && parsed.reason).toMatch(/ids cannot be read/);
  });

  it('names the missing id in the poison reason', () => {
    const { step_uuid: _s, ...rest } = loadFixture('step-dispatch-message.json');
    const parsed = parseDispatchBody(JSON.stringify({ ...rest, handler: null }));
    expect(parsed.kind === 'poison' && parsed.reason).toContain('step_uuid');
  });

  it('answers a message with readable ids but invalid content, listing the problems by path', () => {
    const message = { ...loadFixture('step-dispatch-message.json'), handler: { initialization: {} }, timeout_ms: -1 };
    const parsed = parseDispatchBody(JSON.stringify(message));
    expect(parsed).toEqual({
      kind: 'invalid',
      subject: {
        event_id: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
        task_uuid: '0193e4a2-5b7c-7f10-8a3d-4e5f6a7b8c9d',
        step_uuid: '0193e4a2-5b7d-7a21-9b4e-5f6a7b8c9d0e',
        correlation_id: '5f2b8c1e-3d4a-4b6c-8e9f-0a1b2c3d4e5f',
        step_name: 'ship_order',
        attempt: 1,
      },
      problems: [expect.stringMatching(/^handler\.callable: /), expect.stringMatching(/^timeout_ms: /)],
    });
  });

  it('salvages only what is readable from an invalid message', () => {
    const { event_id, task_uuid, step_uuid } = loadFixture('step-dispatch-message.json');
    const parsed = parseDispatchBody(JSON.stringify({ event_id, task_uuid, step_uuid, step_name: 42, attempt: 0 }));
    expect(parsed).toMatchObject({
      kind: 'invalid',
      subject: { event_id, correlation_id: null, step_name: null, attempt: null },
    });
  });
});
