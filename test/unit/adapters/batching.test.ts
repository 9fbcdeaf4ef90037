import { describe, expect, it } from 'vitest';
import { chunkWithinLimits, utf8Bytes } from '../../../lib/adapters/batching.js';

describe('chunkWithinLimits', () => {
  const byLength = (text: string) => text.length;

  it('cuts at the entry limit', () => {
    const items = Array.from({ length: 7 }, (_, index) => `${index}`);
    expect(chunkWithinLimits(items, byLength, { maxEntries: 3, maxBytes: 100 })).toEqual([['0', '1', '2'], ['3', '4', '5'], ['6']]);
  });

  it('cuts before the byte limit would be passed, and allows reaching it exactly', () => {
    const items = ['aaaa', 'bbbbbb', 'cc', 'dddddddddd'];
    expect(chunkWithinLimits(items, byLength, { maxEntries: 10, maxBytes: 10 })).toEqual([['aaaa', 'bbbbbb'], ['cc'], ['dddddddddd']]);
  });

  it('returns no batch for no items', () => {
    expect(chunkWithinLimits([], byLength, { maxEntries: 10, maxBytes: 10 })).toEqual([]);
  });

  it('measures text in UTF-8 bytes', () => {
    expect(utf8Bytes('aé🎉')).toBe(1 + 2 + 4);
  });
});
