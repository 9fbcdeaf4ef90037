import { describe, expect, it } from 'vitest';
import { dispatchIdentity, stepDispatchMessage } from '../../../lib/contracts/step-dispatch-message.js';
import { expectRefusedAt, loadFixture, type Json } from '../../helpers/contract-fixtures.js';

const FIXTURES = ['step-dispatch-message.json', 'step-dispatch-message.first-step.json'];

type Case = [string, (value: Json) => void, PropertyKey[]];

describe('step dispatch message contract', () => {
  it.each(FIXTURES)('accepts the golden fixture %s unchanged', (name) => {
    const fixture = loadFixture(name);
    expect(stepDispatchMessage.parse(fixture)).toEqual(fixture);
  });

  it('defaults a declared event condition to success', () => {
    const fixture = loadFixture('step-dispatch-message.json');
    const events = fixture.publishes_events as Record<string, unknown>[];
    delete events[0]!.condition;
    expect(stepDispatchMessage.parse(fixture).publishes_events[0]!.condition).toBe('success');
  });

  it.each([
    [
      'a missing handler callable',
      (m: Json) => {
        delete m.handler.callable;
      },
      ['handler', 'callable'],
    ],
    [
      'attempt 0',
      (m: Json) => {
        m.attempt = 0;
      },
      ['attempt'],
    ],
    [
      'an unknown schema version',
      (m: Json) => {
        m.schema_version = 2;
      },
      ['schema_version'],
    ],
    [
      'another message type',
      (m: Json) => {
        m.message_type = 'step_result';
      },
      ['message_type'],
    ],
    [
      'an event_id that is not a uuid',
      (m: Json) => {
        m.event_id = 'evt-1';
      },
      ['event_id'],
    ],
    [
      'a deadline without a time zone',
      (m: Json) => {
        m.deadline = '2025-12-07 10:15:40';
      },
      ['deadline'],
    ],
    [
      'a zero timeout',
      (m: Json) => {
        m.timeout_ms = 0;
      },
      ['timeout_ms'],
    ],
    [
      'a task context that is an array',
      (m: Json) => {
        m.task_context = [];
      },
      ['task_context'],
    ],
    [
      'an event name without a namespace',
      (m: Json) => {
        m.publishes_events[0].name = 'shipped';
      },
      ['publishes_events', 0, 'name'],
    ],
    [
      'an unknown event condition',
      (m: Json) => {
        m.publishes_events[0].condition = 'sometimes';
      },
      ['publishes_events', 0, 'condition'],
    ],
  ] as Case[])('refuses %s', (_label, mutate, path) => {
    const message = loadFixture('step-dispatch-message.json');
    mutate(message);
    expectRefusedAt(stepDispatchMessage, message, path);
  });

  it('reads the identity of a message whose content is invalid', () => {
    const message = { ...loadFixture('step-dispatch-message.json'), handler: null, attempt: 'first' };
    expect(stepDispatchMessage.safeParse(message).success).toBe(false);
    expect(dispatchIdentity.parse(message)).toEqual({
      event_id: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
      task_uuid: '0193e4a2-5b7c-7f10-8a3d-4e5f6a7b8c9d',
      step_uuid: '0193e4a2-5b7d-7a21-9b4e-5f6a7b8c9d0e',
      correlation_id: '5f2b8c1e-3d4a-4b6c-8e9f-0a1b2c3d4e5f',
    });
  });

  it('refuses an identity without a step_uuid', () => {
    const { step_uuid: _dropped, ...rest } = loadFixture('step-dispatch-message.json');
    expectRefusedAt(dispatchIdentity, rest, ['step_uuid']);
  });
});
