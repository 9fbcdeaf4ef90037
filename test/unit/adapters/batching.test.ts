import { describe, expect, it } from 'vitest';
import { chunkWithinLimits, sendInBatches, type BatchSender } from '../../../lib/adapters/batching.js';

describe('chunkWithinLimits', () => {
  const byLength = (text: string) => text.length;

  it('cuts at the entry limit', () => {
    const items = Array.from({ length: 7 }, (_, index) => `${index}`);
    expect(chunkWithinLimits(items, byLength, { maxEntries: 3, maxBytes: 100 })).toEqual([
      ['0', '1', '2'],
      ['3', '4', '5'],
      ['6'],
    ]);
  });

  it('cuts before the byte limit would be passed, and allows reaching it exactly', () => {
    const items = ['aaaa', 'bbbbbb', 'cc', 'dddddddddd'];
    expect(chunkWithinLimits(items, byLength, { maxEntries: 10, maxBytes: 10 })).toEqual([
      ['aaaa', 'bbbbbb'],
      ['cc'],
      ['dddddddddd'],
    ]);
  });

  it('returns no batch for no items', () => {
    expect(chunkWithinLimits([], byLength, { maxEntries: 10, maxBytes: 10 })).toEqual([]);
  });
});

describe('sendInBatches', () => {
  function sender(): BatchSender<string, string> & { batches: (readonly string[])[] } {
    const batches: (readonly string[])[] = [];
    return {
      maxEntries: 2,
      maxBytes: 6,
      sizeOf: (text) => text.length,
      refusalOf: (text) => (text.length > 6 ? `too long: ${text}` : undefined),
      sendBatch: async (batch) => {
        batches.push(batch);
        return batch.filter((text) => text.startsWith('x')).map((text) => `failed: ${text}`);
      },
      batches,
    };
  }

  it('sends what may go in batches within the limits, one after another, keeping the order', async () => {
    const s = sender();
    expect(await sendInBatches(['a', 'bb', 'ccc', 'dddd', 'e'], s)).toEqual([]);
    expect(s.batches).toEqual([['a', 'bb'], ['ccc'], ['dddd', 'e']]);
  });

  it('returns the refusals first, without sending them, then every batch failure', async () => {
    const s = sender();
    expect(await sendInBatches(['xa', 'much too long', 'b', 'xc'], s)).toEqual([
      'too long: much too long',
      'failed: xa',
      'failed: xc',
    ]);
    expect(s.batches).toEqual([['xa', 'b'], ['xc']]);
  });
});
