import { describe, expect, it } from 'vitest';
import { findUnstorableValue, MAX_JSON_DEPTH, storableText } from '../../../lib/domain/storable-json.js';

/** `levels` arrays nested in one another, `[[[…]]]`, with `inner` in the innermost. */
function nested(levels: number, inner: unknown = 'x'): unknown {
  let value: unknown = [inner];
  for (let i = 1; i < levels; i += 1) value = [value];
  return value;
}

const cut = 'Great product 😀'.slice(0, 15);

describe('findUnstorableValue accepts what jsonb stores', () => {
  it.each([
    ['null', null],
    ['a plain object', { order_id: 'ord-1', total: 25, paid: true, note: null }],
    ['emoji and other complete surrogate pairs', { title: 'Great product 😀', flags: '🇫🇷👩‍👩‍👧', math: '𝔸' }],
    ['unicode text', { name: 'Zoë Ångström', city: '東京', rtl: 'مرحبا', escapes: 'tab\tnew\nline "quoted" \\' }],
    ['unicode keys', { clé: 1, '😀': 2, 'a b': 3 }],
    ['large and tiny finite numbers, and -0', [Number.MAX_VALUE, Number.MIN_VALUE, -Number.MAX_VALUE, 1e-300, -0, 0.1]],
    ['a large array', Array.from({ length: 100_000 }, (_, i) => ({ i, s: `item ${i}` }))],
    ['a long string', 'é'.repeat(1_000_000)],
    ['values JSON.stringify leaves out', { a: undefined, f: () => 1, s: Symbol('s'), arr: [undefined] }],
    ['a Date, written by its toJSON', { at: new Date(0) }],
    [
      'the same object twice (not circular)',
      (() => {
        const shared = { x: 1 };
        return { a: shared, b: [shared] };
      })(),
    ],
    [`${MAX_JSON_DEPTH} levels of nesting`, nested(MAX_JSON_DEPTH)],
  ])('%s', (_label, value) => {
    expect(findUnstorableValue(value)).toBeNull();
  });
});

describe('findUnstorableValue finds the first unstorable place', () => {
  it('a lone surrogate from a string cut inside an emoji', () => {
    expect(findUnstorableValue({ title: cut })).toEqual({
      code: 'lone_surrogate',
      path: 'title',
      message: expect.stringMatching(/^title holds a lone UTF-16 surrogate \(\\ud83d at index 14\)/),
    });
  });

  it('a lone low surrogate, and one at the very start', () => {
    expect(findUnstorableValue(['ok', '😀'.slice(1)])).toMatchObject({ code: 'lone_surrogate', path: '[1]' });
    expect(findUnstorableValue('\uDC00abc')?.message).toMatch(/^the value holds .*\\udc00 at index 0/);
  });

  it('U+0000 in a string', () => {
    expect(findUnstorableValue({ items: [{ sku: 'A\u0000B' }] })).toEqual({
      code: 'nul_character',
      path: 'items[0].sku',
      message: 'items[0].sku holds the character U+0000 (at index 1), which PostgreSQL text and jsonb cannot store',
    });
  });

  it('whichever comes first in a string with both', () => {
    expect(findUnstorableValue(`a\u0000${cut}`)?.code).toBe('nul_character');
    expect(findUnstorableValue(`${cut}\u0000`)?.code).toBe('lone_surrogate');
  });

  it.each([
    ['U+0000', { 'bad\u0000key': 1 }, 'nul_character', '["bad\\u0000key"]'],
    ['a lone surrogate', { nested: { [cut]: true } }, 'lone_surrogate', 'nested["Great product \\ud83d"]'],
  ])('%s in an object key, at that key', (_label, value, code, path) => {
    const problem = findUnstorableValue(value);
    expect(problem).toMatchObject({ code, path });
    expect(problem?.message).toMatch(/^the key at /);
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['1e400 as JSON.parse reads it', (JSON.parse('{"n": 1e400}') as { n: number }).n],
  ])('a non-finite number: %s', (_label, n) => {
    expect(findUnstorableValue({ a: [1, { n }] })).toMatchObject({ code: 'non_finite_number', path: 'a[1].n' });
  });

  it('nesting one level past the limit, at the container that goes too deep', () => {
    const problem = findUnstorableValue(nested(MAX_JSON_DEPTH + 1));
    expect(problem?.code).toBe('too_deep');
    expect(problem?.path).toBe('[0]'.repeat(MAX_JSON_DEPTH));
  });

  it('nesting 6,000 levels deep, without overflowing the stack', () => {
    let deep: unknown = { leaf: 'x' };
    for (let i = 0; i < 6_000; i += 1) deep = { child: deep };
    expect(findUnstorableValue(deep)).toMatchObject({
      code: 'too_deep',
      path: '.child'.repeat(MAX_JSON_DEPTH).slice(1),
    });
    expect(findUnstorableValue(deep, { maxDepth: 10_000 })).toBeNull();
  });

  it('a limit of its caller', () => {
    expect(findUnstorableValue({ a: { b: 1 } }, { maxDepth: 2 })).toBeNull();
    expect(findUnstorableValue({ a: { b: {} } }, { maxDepth: 2 })).toMatchObject({ code: 'too_deep', path: 'a.b' });
  });

  it('the first problem in document order', () => {
    expect(findUnstorableValue({ a: [1, 'ok', { b: NaN }], c: '\u0000' })?.path).toBe('a[2].b');
  });

  it.each([
    ['a BigInt', { id: 10n }, 'id'],
    [
      'a circular reference',
      (() => {
        const o: Record<string, unknown> = { list: [] };
        (o.list as unknown[]).push(o);
        return o;
      })(),
      'list[0]',
    ],
    [
      'a throwing toJSON',
      {
        x: {
          toJSON: () => {
            throw new Error('no');
          },
        },
      },
      'x',
    ],
    [
      'a throwing getter',
      {
        get x(): never {
          throw new Error('no');
        },
      },
      'x',
    ],
  ])('what JSON.stringify throws on: %s', (_label, value, path) => {
    expect(findUnstorableValue(value)).toMatchObject({ code: 'not_json', path });
  });

  it('what toJSON returns, not the object', () => {
    expect(findUnstorableValue({ x: { toJSON: () => 'a\u0000' } })).toMatchObject({ code: 'nul_character', path: 'x' });
  });

  it('gives messages that are storable themselves, even about keys', () => {
    for (const value of [{ [`${cut}\u0000`]: 1 }, { k: cut }, { ['\u0000'.repeat(500)]: 1 }]) {
      const problem = findUnstorableValue(value);
      expect(problem).not.toBeNull();
      expect(findUnstorableValue(problem)).toBeNull();
    }
  });

  it('shortens a long path in its message, but not in its path', () => {
    const key = 'k'.repeat(300);
    const problem = findUnstorableValue({ [key]: NaN });
    expect(problem?.path).toBe(key);
    expect(problem?.message).toMatch(/^k{200}… is NaN/);
  });
});

describe('storableText', () => {
  it.each([
    ['an emoji cut after its high surrogate', cut, 'Great product \uFFFD'],
    ['a low surrogate alone at the start', '\uDC00abc', '\uFFFDabc'],
    ['U+0000, each of them', 'a\u0000b\u0000', 'a\uFFFDb\uFFFD'],
    ['both', `${cut}\u0000`, 'Great product \uFFFD\uFFFD'],
  ])('puts U+FFFD in place of %s', (_label, text, expected) => {
    expect(storableText(text)).toBe(expected);
    expect(findUnstorableValue(storableText(text))).toBeNull();
  });

  it('leaves whole characters alone, emoji included', () => {
    expect(storableText('Great product 😀 ✓')).toBe('Great product 😀 ✓');
  });
});
