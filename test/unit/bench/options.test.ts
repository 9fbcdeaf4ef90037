import { describe, expect, it } from 'vitest';
import { FULL_SIZES, QUICK_SIZES } from '../../bench/context.js';
import { BENCHMARKS, BenchUsageError, parseOptions } from '../../bench/options.js';

describe('parseOptions', () => {
  it('runs everything at full size on both databases by default', () => {
    const o = parseOptions([]);
    expect(o.only).toEqual(BENCHMARKS);
    expect(o.sizes).toEqual(FULL_SIZES);
    expect(o.databases).toEqual(['embedded', 'server']);
    expect(o.transports).toBeNull();
    expect(o.concurrency).toBe(8);
    expect(o.outDir).toBe('.bench');
    expect(o.against).toBeNull();
  });

  it('takes the migration the SQL loop compares against', () => {
    expect(parseOptions(['--only', 'sqlloop', '--against', '26']).against).toBe(26);
    expect(() => parseOptions(['--against', 'latest'])).toThrow(/--against must be a whole number/);
  });

  it('shrinks every size with --quick, and lets sizes and lists be chosen', () => {
    const o = parseOptions([
      '--quick',
      '--only',
      'chain,peer',
      '--db',
      'server',
      '--transport',
      'memory',
      '--tasks',
      '50',
      '--concurrency',
      '4',
    ]);
    expect(o.sizes).toEqual({ ...QUICK_SIZES, oneStepTasks: 50 });
    expect(o.only).toEqual(['chain', 'peer']);
    expect(o.databases).toEqual(['server']);
    expect(o.transports).toEqual(['memory']);
    expect(o.concurrency).toBe(4);
  });

  it('takes a list of fan-out widths, each run once, smallest first', () => {
    expect(parseOptions(['--fanout', '5000,250,1000']).sizes.fanOutWidths).toEqual([250, 1000, 5000]);
    expect(parseOptions(['--fanout', '250, 250']).sizes.fanOutWidths).toEqual([250]);
    expect(parseOptions(['--quick', '--fanout', '300']).sizes).toEqual({ ...QUICK_SIZES, fanOutWidths: [300] });
    expect(() => parseOptions(['--fanout', '250,0'])).toThrow(/--fanout must be a whole number/);
    expect(() => parseOptions(['--fanout', ','])).toThrow(/--fanout takes whole numbers/);
  });

  it('refuses unknown benchmarks, bad numbers and unknown flags with a usage error', () => {
    expect(() => parseOptions(['--only', 'chain,nope'])).toThrow(BenchUsageError);
    expect(() => parseOptions(['--only', ''])).toThrow(/--only takes/);
    expect(() => parseOptions(['--tasks', '0'])).toThrow(/--tasks must be a whole number/);
    expect(() => parseOptions(['--fanout', '2.5'])).toThrow(BenchUsageError);
    expect(() => parseOptions(['--db', 'oracle'])).toThrow(BenchUsageError);
    expect(() => parseOptions(['--frobnicate'])).toThrow(BenchUsageError);
  });
});
