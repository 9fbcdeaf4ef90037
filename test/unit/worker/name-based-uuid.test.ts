import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { nameBasedUuid } from '../../../lib/worker/name-based-uuid.js';

describe('name-based uuid', () => {
  it('matches the RFC 9562 version 5 test vector', () => {
    expect(nameBasedUuid('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('is the same for the same inputs and differs by name and namespace', () => {
    const ns = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
    expect(nameBasedUuid(ns, 'a.b')).toBe(nameBasedUuid(ns, 'a.b'));
    expect(nameBasedUuid(ns, 'a.b')).not.toBe(nameBasedUuid(ns, 'a.c'));
    expect(nameBasedUuid(ns, 'a.b')).not.toBe(nameBasedUuid('1b4e28ba-2fa1-41d2-883f-0016d3cca427', 'a.b'));
  });

  it('is a valid uuid for the contracts', () => {
    expect(
      z.uuid().safeParse(nameBasedUuid('7c9e6679-7425-40de-944b-e07fc1f90ae7', 'ecommerce.order_shipped')).success,
    ).toBe(true);
  });
});
