import { describe, expect, it } from 'vitest';
import {
  formatGoal,
  formatValue,
  renderTable,
  resultsDocument,
  resultsFileName,
  tallyTargets,
  verdictOf,
  type Figure,
} from '../../bench/report.js';

const figure = (value: number | null, goal?: Figure['goal']): Figure => ({
  section: 's',
  measure: 'm',
  where: 'server',
  value,
  unit: 'ms',
  ...(goal ? { goal } : {}),
});

describe('verdictOf', () => {
  it('passes an at-most goal at or under the bound and misses above it', () => {
    expect(verdictOf(figure(25, { op: '<=', value: 25 }))).toBe('PASS');
    expect(verdictOf(figure(25.01, { op: '<=', value: 25 }))).toBe('MISS');
  });

  it('passes an at-least goal at or over the bound and misses below it', () => {
    expect(verdictOf(figure(1000, { op: '>=', value: 1000 }))).toBe('PASS');
    expect(verdictOf(figure(999, { op: '>=', value: 1000 }))).toBe('MISS');
  });

  it('misses a goal that could not be measured, and gives no verdict without a goal', () => {
    expect(verdictOf(figure(null, { op: '<=', value: 6 }))).toBe('MISS');
    expect(verdictOf(figure(Number.NaN, { op: '<=', value: 6 }))).toBe('MISS');
    expect(verdictOf(figure(3))).toBe('');
  });
});

describe('formatValue and formatGoal', () => {
  it('keeps fewer decimals as numbers grow, groups thousands, and names the unit', () => {
    expect(formatValue(3.14159, 'ms')).toBe('3.14 ms');
    expect(formatValue(31.4159, 'ms')).toBe('31.4 ms');
    expect(formatValue(1234.5, 'steps/s')).toBe('1,235 steps/s');
    expect(formatValue(2.75, '')).toBe('2.75');
  });

  it('shows n/a for what was not measured', () => {
    expect(formatValue(null, 'ms')).toBe('n/a');
    expect(formatValue(Number.POSITIVE_INFINITY, 'ms')).toBe('n/a');
  });

  it('writes goals with ≤ and ≥', () => {
    expect(formatGoal({ op: '<=', value: 25 }, 'ms')).toBe('≤ 25.0 ms');
    expect(formatGoal({ op: '>=', value: 1000 }, 'steps/s')).toBe('≥ 1,000 steps/s');
    expect(formatGoal(undefined, 'ms')).toBe('');
  });
});

describe('renderTable', () => {
  it('pads every column to its widest cell and right-aligns values', () => {
    const table = renderTable([
      figure(5, { op: '<=', value: 25 }),
      { ...figure(1234), measure: 'a longer measure', note: 'n=3' },
    ]);
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^Section \| Measure +\| Where +\| +Value \| Target +\| Verdict \| Note$/);
    expect(lines[2]).toContain('|  5.00 ms | ≤ 25.0 ms | PASS');
    expect(lines[2]!.endsWith('PASS')).toBe(true);
    expect(lines[3]).toContain('| a longer measure |');
    expect(lines[3]).toContain('| 1,234 ms |');
    expect(lines[3]!.endsWith('| n=3')).toBe(true);
    const pipes = (line: string) => [...line].flatMap((c, i) => (c === '|' ? [i] : []));
    expect(pipes(lines[2]!)).toEqual(pipes(lines[3]!).slice(0, pipes(lines[2]!).length));
  });
});

describe('results document', () => {
  it('records each figure with its verdict and counts targets met and missed', () => {
    const figures = [figure(5, { op: '<=', value: 25 }), figure(50, { op: '<=', value: 25 }), figure(1)];
    expect(tallyTargets(figures)).toEqual({ passed: 1, missed: 1 });
    const doc = resultsDocument({ quick: true }, figures, { chain: { n: 3 } });
    expect(doc.targets).toEqual({ passed: 1, missed: 1 });
    expect((doc.figures as Array<{ verdict: string | null }>).map((f) => f.verdict)).toEqual(['PASS', 'MISS', null]);
    expect(doc.details).toEqual({ chain: { n: 3 } });
  });

  it('names the file by its UTC timestamp without characters file systems refuse', () => {
    expect(resultsFileName(new Date('2025-01-31T10:20:30.123Z'))).toBe('results-2025-01-31T10-20-30-123Z.json');
  });
});
