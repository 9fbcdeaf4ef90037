import { describe, expect, it } from 'vitest';
import { firstProblems, MAX_REPORTED_PROBLEMS, moreProblemsMessage } from '../../../lib/domain/reported-problems.js';

describe('firstProblems', () => {
  const more = (hidden: number) => `+${hidden}`;

  it('keeps every problem up to the limit', () => {
    expect(firstProblems(['a', 'b'], more, 2)).toEqual(['a', 'b']);
    expect(firstProblems([], more)).toEqual([]);
  });

  it('closes with how many were left out', () => {
    expect(firstProblems(['a', 'b', 'c', 'd'], more, 2)).toEqual(['a', 'b', '+2']);
  });

  it('counts a generator of a million problems while holding only the first ones', () => {
    function* many(): Generator<number> {
      for (let i = 0; i < 1_000_000; i += 1) yield i;
    }
    const shown = firstProblems(many(), (hidden) => -hidden);
    expect(shown).toHaveLength(MAX_REPORTED_PROBLEMS + 1);
    expect(shown.at(-1)).toBe(-(1_000_000 - MAX_REPORTED_PROBLEMS));
  });
});

describe('moreProblemsMessage', () => {
  it('says how many more, in the singular or plural', () => {
    expect(moreProblemsMessage(1)).toBe('... and 1 more problem');
    expect(moreProblemsMessage(12)).toBe('... and 12 more problems');
  });
});
