import { describe, expect, it } from 'vitest';
import { GroupedCalls } from '../../../../lib/adapters/postgres/grouped-calls.js';

interface Pending<T> {
  readonly items: readonly string[];
  resolve(value: T): void;
  reject(reason: unknown): void;
}

/** `one` and `many` that answer only when the test says so, recording what each was called with. */
function fakeCalls() {
  const ones: Pending<string>[] = [];
  const manys: Pending<PromiseSettledResult<string>[]>[] = [];
  const one = (item: string) => new Promise<string>((resolve, reject) => ones.push({ items: [item], resolve, reject }));
  const many = (items: readonly string[]) =>
    new Promise<PromiseSettledResult<string>[]>((resolve, reject) => manys.push({ items, resolve, reject }));
  return { ones, manys, one, many };
}

const done = (value: string): PromiseSettledResult<string> => ({ status: 'fulfilled', value });
const refused = (reason: unknown): PromiseSettledResult<string> => ({ status: 'rejected', reason });
/** Lets every promise callback queued so far run. */
const settle = () => new Promise((r) => setImmediate(r));

/** Every caller's answer, or the message it was refused with. */
const outcomes = (calls: Promise<string>[]) =>
  Promise.all(
    calls.map((c) =>
      c.then(
        (v) => v,
        (e: Error) => `refused: ${e.message}`,
      ),
    ),
  );

describe('GroupedCalls', () => {
  it('sends a call that finds a free slot at once, alone', async () => {
    const f = fakeCalls();
    const grouped = new GroupedCalls(f.one, f.many, { maxInFlight: 2, maxGroup: 50 });
    const a = grouped.call('a');
    const b = grouped.call('b');
    expect(f.ones.map((p) => p.items)).toEqual([['a'], ['b']]);
    expect(grouped.queued).toBe(0);
    f.ones[0]!.resolve('A');
    f.ones[1]!.resolve('B');
    expect(await outcomes([a, b])).toEqual(['A', 'B']);
    expect(f.manys).toHaveLength(0);
  });

  it('groups the calls that arrive while every slot is busy, and answers each caller with its own result', async () => {
    const f = fakeCalls();
    const grouped = new GroupedCalls(f.one, f.many, { maxInFlight: 1, maxGroup: 50 });
    const first = grouped.call('a');
    const waiting = ['b', 'c', 'd'].map((x) => grouped.call(x));
    expect(grouped.queued).toBe(3);
    expect(f.manys).toHaveLength(0);
    f.ones[0]!.resolve('A');
    await settle();
    expect(f.manys.map((p) => p.items)).toEqual([['b', 'c', 'd']]);
    f.manys[0]!.resolve([done('B'), refused(new Error('c was refused')), done('D')]);
    expect(await outcomes([first, ...waiting])).toEqual(['A', 'B', 'refused: c was refused', 'D']);
  });

  it('sends at most maxGroup calls in one group, the rest in the next as slots free', async () => {
    const f = fakeCalls();
    const grouped = new GroupedCalls(f.one, f.many, { maxInFlight: 1, maxGroup: 2 });
    const calls = ['a', 'b', 'c', 'd', 'e'].map((x) => grouped.call(x));
    f.ones[0]!.resolve('A');
    await settle();
    expect(f.manys.map((p) => p.items)).toEqual([['b', 'c']]);
    f.manys[0]!.resolve([done('B'), done('C')]);
    await settle();
    expect(f.manys.map((p) => p.items)).toEqual([
      ['b', 'c'],
      ['d', 'e'],
    ]);
    f.manys[1]!.resolve([done('D'), done('E')]);
    expect(await outcomes(calls)).toEqual(['A', 'B', 'C', 'D', 'E']);
  });

  it('sends a group of one through `one`', async () => {
    const f = fakeCalls();
    const grouped = new GroupedCalls(f.one, f.many, { maxInFlight: 1, maxGroup: 50 });
    const calls = [grouped.call('a'), grouped.call('b')];
    f.ones[0]!.resolve('A');
    await settle();
    expect(f.ones.map((p) => p.items)).toEqual([['a'], ['b']]);
    f.ones[1]!.reject(new Error('b failed'));
    expect(await outcomes(calls)).toEqual(['A', 'refused: b failed']);
    expect(f.manys).toHaveLength(0);
  });

  it('fails every caller of a group whose call failed, and frees its slot for the next', async () => {
    const f = fakeCalls();
    const grouped = new GroupedCalls(f.one, f.many, { maxInFlight: 1, maxGroup: 50 });
    const answered = outcomes(['a', 'b', 'c'].map((x) => grouped.call(x)));
    f.ones[0]!.reject(new Error('connection lost'));
    await settle();
    f.manys[0]!.reject(new Error('connection lost'));
    expect(await answered).toEqual([
      'refused: connection lost',
      'refused: connection lost',
      'refused: connection lost',
    ]);
    const after = grouped.call('d');
    expect(f.ones.map((p) => p.items)).toEqual([['a'], ['d']]);
    f.ones[1]!.resolve('D');
    expect(await after).toBe('D');
  });

  it('fails the callers of a group answered with fewer results than items', async () => {
    const f = fakeCalls();
    const grouped = new GroupedCalls(f.one, f.many, { maxInFlight: 1, maxGroup: 50 });
    const calls = ['a', 'b', 'c'].map((x) => grouped.call(x));
    f.ones[0]!.resolve('A');
    await settle();
    f.manys[0]!.resolve([done('B')]);
    expect(await outcomes(calls)).toEqual([
      'A',
      'refused: a grouped call answered 1 of its 2 items',
      'refused: a grouped call answered 1 of its 2 items',
    ]);
  });
});
