import { describe, expect, it } from 'vitest';
import { eventBusEntryBytes } from '../../../lib/contracts/domain-event.js';
import { byteLength } from '../../../lib/contracts/schema-version.js';

describe('byteLength', () => {
  it('measures text in UTF-8 bytes', () => {
    expect(byteLength('aé🎉')).toBe(1 + 2 + 4);
  });

  it('measures anything else as its JSON', () => {
    expect(byteLength({ a: 'é' })).toBe('{"a":"é"}'.length + 1);
  });
});

describe('eventBusEntryBytes', () => {
  it('counts Source, DetailType and Detail, as EventBridge does, and not the bus name', () => {
    expect(
      eventBusEntryBytes({ Source: 'tasker.é', DetailType: 'x', Detail: '{}', EventBusName: 'a-long-bus-name' }),
    ).toBe(9 + 1 + 2);
  });
});
