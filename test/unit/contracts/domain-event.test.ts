import { describe, expect, it } from 'vitest';
import { domainEventEnvelope, domainEventSource } from '../../../lib/contracts/domain-event.js';
import { EVENTBRIDGE_MAX_ENTRY_BYTES, byteLength } from '../../../lib/contracts/schema-version.js';
import { expectRefusedAt, loadFixture, type Json } from '../../helpers/contract-fixtures.js';

type Case = [string, (value: Json) => void, PropertyKey[]];

describe('domain event envelope contract', () => {
  it.each(['domain-event.success.json', 'domain-event.failure.json'])(
    'accepts the golden fixture %s unchanged',
    (name) => {
      const fixture = loadFixture(name);
      expect(domainEventEnvelope.parse(fixture)).toEqual(fixture);
      expect(byteLength(fixture)).toBeLessThan(EVENTBRIDGE_MAX_ENTRY_BYTES);
    },
  );

  it('carries no task context', () => {
    const fixture = loadFixture('domain-event.success.json');
    expect(JSON.stringify(fixture)).not.toContain('task_context');
    expect(JSON.stringify(fixture)).not.toContain('ada@example.com');
  });

  it.each([
    [
      'an outcome that is not a step outcome',
      (e: Json) => {
        e.metadata.outcome = 'failure';
      },
      ['metadata', 'outcome'],
    ],
    [
      'attempt 0',
      (e: Json) => {
        e.metadata.attempt = 0;
      },
      ['metadata', 'attempt'],
    ],
    [
      'a missing source event id',
      (e: Json) => {
        delete e.metadata.source_event_id;
      },
      ['metadata', 'source_event_id'],
    ],
    [
      'an error that is not an object',
      (e: Json) => {
        e.error = 'declined';
      },
      ['error'],
    ],
    [
      'a missing event version',
      (e: Json) => {
        delete e.event_version;
      },
      ['event_version'],
    ],
    [
      'a fired_at that is not a timestamp',
      (e: Json) => {
        e.metadata.fired_at = 'now';
      },
      ['metadata', 'fired_at'],
    ],
  ] as Case[])('refuses %s', (_label, mutate, path) => {
    const envelope = loadFixture('domain-event.failure.json');
    mutate(envelope);
    expectRefusedAt(domainEventEnvelope, envelope, path);
  });

  it('names the source after the namespace', () => {
    expect(domainEventSource('ecommerce')).toBe('tasker.ecommerce');
  });
});
