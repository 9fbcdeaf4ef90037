import { describe, expect, it } from 'vitest';
import type { HandlerMap } from '../../../lib/worker/handler-api.js';
import { HandlerRegistrationError } from '../../../lib/worker/errors.js';
import { createHandlerRegistry } from '../../../lib/worker/handler-registry.js';

describe('handler registry', () => {
  const ship = () => 'shipped';
  const registry = createHandlerRegistry({ 'ecommerce.ship_order': ship, 'a.first': () => 1 });

  it('resolves a handler by its callable name', () => {
    expect(registry.resolve('ecommerce.ship_order')).toBe(ship);
  });

  it('returns null for an unknown callable', () => {
    expect(registry.resolve('ecommerce.refund')).toBeNull();
  });

  it.each(['toString', 'constructor', '__proto__', 'hasOwnProperty'])(
    'never resolves the inherited name %s',
    (name) => {
      expect(registry.resolve(name)).toBeNull();
    },
  );

  it('lists the callables, sorted', () => {
    expect(registry.callables()).toEqual(['a.first', 'ecommerce.ship_order']);
  });

  it('refuses an entry that is not a function', () => {
    const map = { 'a.good': () => 1, 'a.bad': 'not a handler' } as unknown as HandlerMap;
    expect(() => createHandlerRegistry(map)).toThrow(HandlerRegistrationError);
    expect(() => createHandlerRegistry(map)).toThrow('handler "a.bad" is not a function');
  });

  it('is not affected by later changes to the map', () => {
    const map: HandlerMap = { 'a.one': () => 1 };
    const snapshot = createHandlerRegistry(map);
    map['a.two'] = () => 2;
    expect(snapshot.resolve('a.two')).toBeNull();
  });
});
