/**
 * Most problems reported for one input (a template, a file): enough to fix a screenful at a time,
 * few enough that a generated file with a mistake on every line does not bury its first problems
 * under tens of thousands of lines. The rest are counted in one closing line.
 */
export const MAX_REPORTED_PROBLEMS = 100;

/** `... and 12 more problems`. */
export function moreProblemsMessage(hidden: number): string {
  return `... and ${hidden} more problem${hidden === 1 ? '' : 's'}`;
}

/**
 * The first `max` problems, then — when there were more — one made by `more` from how many were
 * left out. Reads `problems` once, lazily, and holds no more than `max` of them: a generator of
 * millions of problems costs only the time to count them.
 *
 * @example
 * firstProblems(['a', 'b', 'c'], (n) => `+${n}`, 2); // ['a', 'b', '+1']
 */
export function firstProblems<T>(problems: Iterable<T>, more: (hidden: number) => T, max = MAX_REPORTED_PROBLEMS): T[] {
  const shown: T[] = [];
  let hidden = 0;
  for (const problem of problems) {
    if (shown.length < max) shown.push(problem);
    else hidden += 1;
  }
  return hidden === 0 ? shown : [...shown, more(hidden)];
}
