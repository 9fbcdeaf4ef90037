import { describe, expect, it } from 'vitest';
import { conversionError, toJsonValue } from '../../../lib/worker/json-result.js';

/** `depth` arrays, one inside the other (the outermost is level 1). */
function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i += 1) value = [value];
  return value;
}

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
    expect(toJsonValue(() => 1)).toEqual({
      ok: false,
      problem: 'the result is not JSON-serialisable: the value is a function',
    });
  });

  it('refuses a function nested in an object, which JSON would silently drop', () => {
    const conversion = toJsonValue({ order: { total: 3, recalc: () => 4 } });
    expect(conversion).toEqual({
      ok: false,
      problem: 'the result is not JSON-serialisable: property "recalc" is a function',
    });
  });

  it('refuses a BigInt', () => {
    expect(toJsonValue({ amount: 10n })).toMatchObject({
      ok: false,
      problem: expect.stringContaining('property "amount" is a bigint'),
    });
  });

  it('refuses a symbol', () => {
    expect(toJsonValue({ s: Symbol('x') })).toMatchObject({
      ok: false,
      problem: expect.stringContaining('is a symbol'),
    });
  });

  it('refuses a circular structure', () => {
    const loop: Record<string, unknown> = { name: 'loop' };
    loop.self = loop;
    expect(toJsonValue(loop)).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/not JSON-serialisable: .*circular/i),
    });
  });

  it.each([
    [
      'a string cut inside an emoji',
      { title: 'Great product 😀'.slice(0, 15) },
      'lone_surrogate',
      /^the result cannot be stored: title holds a lone UTF-16 surrogate/,
    ],
    [
      'U+0000 in a value',
      { items: [{ note: 'a\u0000b' }] },
      'nul_character',
      /^the result cannot be stored: items\[0\]\.note holds the character U\+0000/,
    ],
    [
      'U+0000 in a key',
      { 'bad\u0000key': 1 },
      'nul_character',
      /^the result cannot be stored: the key at \["bad\\u0000key"\]/,
    ],
    [
      'Infinity, which JSON.stringify would write as null',
      { ratio: 1 / 0 },
      'non_finite_number',
      /^the result cannot be stored: ratio is Infinity/,
    ],
    ['NaN at the top', Number.NaN, 'non_finite_number', /^the result cannot be stored: the value is NaN/],
    ['nesting past 100 levels', { deep: nested(101) }, 'too_deep', /is nested deeper than 100 levels/],
    ['nesting deeper than JSON.stringify can go', nested(6_000), 'too_deep', /is nested deeper than 100 levels/],
  ])('refuses what PostgreSQL cannot store: %s, naming the place', (_label, value, code, message) => {
    const conversion = toJsonValue(value);
    expect(conversion).toMatchObject({ ok: false, problem: expect.stringMatching(message), unstorable: { code } });
    expect(!conversion.ok && conversionError(conversion)).toEqual({
      error_type: 'result_not_storable',
      message: conversion.ok ? '' : conversion.problem,
      retryable: false,
      retry_after_ms: null,
      code,
    });
  });

  it('accepts a whole emoji and exactly 100 levels of nesting', () => {
    expect(toJsonValue({ title: 'Great product 😀' })).toEqual({ ok: true, value: { title: 'Great product 😀' } });
    expect(toJsonValue(nested(100))).toMatchObject({ ok: true });
  });

  it('keeps what JSON cannot hold a retryable handler_panic', () => {
    const conversion = toJsonValue({ amount: 10n });
    expect(!conversion.ok && conversionError(conversion)).toMatchObject({
      error_type: 'handler_panic',
      retryable: true,
      message: expect.stringContaining('bigint'),
    });
  });

  it('returns a copy, not the handler object', () => {
    const value = { nested: { n: 1 } };
    const conversion = toJsonValue(value);
    expect(conversion.ok && conversion.value).not.toBe(value);
  });
});
