import { describe, expect, it } from 'vitest';
import { TemplateCache, type TemplateRevision } from '../../../../lib/adapters/postgres/template-cache.js';
import { buildTemplate } from '../../../helpers/template-builder.js';

/** A cache on a clock the test moves. */
function cacheAt(start = 1_000, settings: { maxAgeMs?: number; maxEntries?: number } = {}) {
  const clock = { t: start };
  const cache = new TemplateCache({
    maxAgeMs: settings.maxAgeMs ?? 10_000,
    ...(settings.maxEntries === undefined ? {} : { maxEntries: settings.maxEntries }),
    now: () => clock.t,
  });
  return { cache, clock };
}

const template = (name = 'invoice', version = '1.0.0') =>
  buildTemplate({ namespace: 'billing', name, version, steps: [{ name: 'only' }] });
const rev = (n: number): TemplateRevision => ({ namedTaskId: String(n), revision: `2026-11-30 17:00:00.00000${n}+00` });

describe('TemplateCache', () => {
  it('finds what it kept, by namespace, name and version', () => {
    const { cache } = cacheAt();
    const t = template();
    expect(cache.find('billing', 'invoice', '1.0.0')).toBeNull();
    cache.keep('billing', 'invoice', '1.0.0', t, rev(1));
    expect(cache.find('billing', 'invoice', '1.0.0')).toBe(t);
    expect(cache.find('billing', 'other', '1.0.0')).toBeNull();
    expect(cache.find('shipping', 'invoice', '1.0.0')).toBeNull();
  });

  it('answers until maxAgeMs has passed since it was kept, then no more', () => {
    const { cache, clock } = cacheAt(1_000, { maxAgeMs: 500 });
    const t = template();
    cache.keep('billing', 'invoice', undefined, t, rev(1));
    clock.t = 1_499;
    expect(cache.find('billing', 'invoice', undefined)).toBe(t);
    clock.t = 1_500;
    expect(cache.find('billing', 'invoice', undefined)).toBeNull();
    // An expired lookup is gone for good, even if the clock went back.
    clock.t = 1_000;
    expect(cache.find('billing', 'invoice', undefined)).toBeNull();
  });

  it('keeps a lookup without a version apart from one of a concrete version', () => {
    const { cache } = cacheAt();
    const newest = template('invoice', '2.0.0');
    const pinned = template('invoice', '1.0.0');
    cache.keep('billing', 'invoice', undefined, newest, rev(2));
    expect(cache.find('billing', 'invoice', '2.0.0'), 'the newest is not kept under its version').toBeNull();
    cache.keep('billing', 'invoice', '1.0.0', pinned, rev(1));
    expect(cache.find('billing', 'invoice', undefined)).toBe(newest);
    expect(cache.find('billing', 'invoice', '1.0.0')).toBe(pinned);

    cache.forget('billing', 'invoice', undefined);
    expect(cache.find('billing', 'invoice', undefined)).toBeNull();
    expect(cache.find('billing', 'invoice', '1.0.0')).toBe(pinned);
  });

  it('knows the revision of the very object it handed out, not of an equal copy', () => {
    const { cache } = cacheAt();
    const t = template();
    cache.keep('billing', 'invoice', '1.0.0', t, rev(7));
    expect(cache.revisionOf(t)).toEqual(rev(7));
    const copy = structuredClone(t);
    expect(copy).toEqual(t);
    expect(cache.revisionOf(copy)).toBeUndefined();
    expect(cache.revisionOf(template('never_kept'))).toBeUndefined();
  });

  it('forgets one lookup; the others stay', () => {
    const { cache } = cacheAt();
    const a = template('a');
    const b = template('b');
    cache.keep('billing', 'a', '1.0.0', a, rev(1));
    cache.keep('billing', 'b', '1.0.0', b, rev(2));
    cache.forget('billing', 'a', '1.0.0');
    expect(cache.find('billing', 'a', '1.0.0')).toBeNull();
    expect(cache.find('billing', 'b', '1.0.0')).toBe(b);
  });

  it('clears every lookup', () => {
    const { cache } = cacheAt();
    cache.keep('billing', 'a', '1.0.0', template('a'), rev(1));
    cache.keep('billing', 'b', undefined, template('b'), rev(2));
    cache.clear();
    expect(cache.find('billing', 'a', '1.0.0')).toBeNull();
    expect(cache.find('billing', 'b', undefined)).toBeNull();
  });

  it('holds at most maxEntries lookups, evicting the oldest kept first', () => {
    const { cache, clock } = cacheAt(1_000, { maxEntries: 2 });
    const [a, b, c] = [template('a'), template('b'), template('c')];
    cache.keep('billing', 'a', '1.0.0', a, rev(1));
    clock.t += 1;
    cache.keep('billing', 'b', '1.0.0', b, rev(2));
    clock.t += 1;
    cache.keep('billing', 'c', '1.0.0', c, rev(3));
    expect(cache.find('billing', 'a', '1.0.0')).toBeNull();
    expect(cache.find('billing', 'b', '1.0.0')).toBe(b);
    expect(cache.find('billing', 'c', '1.0.0')).toBe(c);
  });

  it('keeping a lookup again makes it the newest: it outlives the others, both in age and in eviction', () => {
    const { cache, clock } = cacheAt(1_000, { maxAgeMs: 100, maxEntries: 2 });
    const [a, b, c] = [template('a'), template('b'), template('c')];
    cache.keep('billing', 'a', '1.0.0', a, rev(1));
    cache.keep('billing', 'b', '1.0.0', b, rev(2));
    clock.t = 1_080;
    const a2 = template('a');
    cache.keep('billing', 'a', '1.0.0', a2, rev(4));
    expect(cache.revisionOf(a2)).toEqual(rev(4));

    // b is now the oldest: a third lookup evicts it, not a.
    cache.keep('billing', 'c', '1.0.0', c, rev(3));
    expect(cache.find('billing', 'b', '1.0.0')).toBeNull();
    expect(cache.find('billing', 'a', '1.0.0')).toBe(a2);

    // a's age counts from 1_080: alive at 1_150 (it would have expired at 1_100).
    clock.t = 1_150;
    expect(cache.find('billing', 'a', '1.0.0')).toBe(a2);
    clock.t = 1_180;
    expect(cache.find('billing', 'a', '1.0.0')).toBeNull();
  });

  it('defaults to at most 500 lookups', () => {
    const { cache } = cacheAt();
    const first = template('t0');
    cache.keep('billing', 't0', undefined, first, rev(0));
    for (let i = 1; i <= 500; i++) cache.keep('billing', `t${i}`, undefined, template(`t${i}`), rev(i));
    expect(cache.find('billing', 't0', undefined)).toBeNull();
    expect(cache.find('billing', 't1', undefined)).not.toBeNull();
    expect(cache.find('billing', 't500', undefined)).not.toBeNull();
  });
});
