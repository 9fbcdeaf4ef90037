import { describe, expect, it } from 'vitest';
import { toJsonValue } from '../../../lib/worker/json-result.js';

describe('handler results as JSON', () => {
  it.each([
    ['an object', { a: 1, b: [true, null, 'x'] }, { a: 1, b: [true, null, 'x'] }],
    ['undefined', undefined, null],
    ['null', null, null],
    ['a string', 'done', 'done'],
    ['a Date, as its ISO string', new Date('2025-12-07T10:15:30.000Z'), '2025-12-07T10:15:30.000Z'],
    ['an object with undefined properties, which are dropped', { a: 1, b: undefined }, { a: 1 }],
  ])('accepts %s', (_label, value, expected) => {
    expect(toJsonValue(value)).toEqual({ ok: true, value: expected });
  });

  it('refuses a function at the top', () => {
    expect(toJsonValue(() => 1)).toEqual({ ok: false, problem: 'the result is not JSON-serialisable: the value is a function' });
  });

  it('refuses a function nested in an object, which JSON would silently drop', () => {
    const conversion = toJsonValue({ order: { total: 3, recalc: () => 4 } });
    expect(conversion).toEqual({ ok: false, problem: 'the result is not JSON-serialisable: property "recalc" is a function' });
  });

  it('refuses a BigInt', () => {
    expect(toJsonValue({ amount: 10n })).toMatchObject({ ok: false, problem: expect.stringContaining('property "amount" is a bigint') });
  });

  it('refuses a symbol', () => {
    expect(toJsonValue({ s: Symbol('x') })).toMatchObject({ ok: false, problem: expect.stringContaining('is a symbol') });
  });

  it('refuses a circular structure', () => {
    const loop: Record<string, unknown> = { name: 'loop' };
    loop.self = loop;
    expect(toJsonValue(loop)).toMatchObject({ ok: false, problem: expect.stringMatching(/not JSON-serialisable: .*circular/i) });
  });

  it('returns a copy, not the handler object', () => {
    const value = { nested: { n: 1 } };
    const conversion = toJsonValue(value);
    expect(conversion.ok && conversion.value).not.toBe(value);
  });
});
