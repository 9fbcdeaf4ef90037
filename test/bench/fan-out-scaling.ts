import type { Figure } from './report.js';
import { round } from './stats.js';
import type { LoadRun } from './throughput.js';

/** One fan-out run: its width N (1→N→1) and what it cost. */
export interface FanOutRun {
  readonly width: number;
  readonly run: Pick<LoadRun, 'steps' | 'engineCpuMs' | 'databaseCpuMs'>;
}

const perStep = (ms: number | null, steps: number): number | null => (ms === null || steps <= 0 ? null : ms / steps);

/**
 * How a fan-out's cost per step grows with its width: PostgreSQL CPU per step of each run (server
 * only: its backends, read from /proc), and, with two widths or more, the widest run's CPU per
 * step ÷ the narrowest's. 1.0 means the cost per step does not depend on N; N_wide ÷ N_narrow means
 * it grows linearly with N (the fan-out as a whole is quadratic). PostgreSQL CPU is compared when
 * both runs have it, else the process CPU (PGlite runs inside the process when embedded).
 *
 * @example
 * ```ts
 * result.figures.push(...fanOutScaling('server', [{ width: 250, run: narrow }, { width: 5000, run: wide }]));
 * ```
 */
export function fanOutScaling(where: string, runs: readonly FanOutRun[]): Figure[] {
  const figures: Figure[] = runs.flatMap(({ width, run }) => {
    const database = perStep(run.databaseCpuMs, run.steps);
    if (database === null) return [];
    const note = `${round(run.databaseCpuMs!, 0)} ms over ${run.steps} steps (server backends of the engine's pool, /proc)`;
    return [
      {
        section: 'cpu',
        measure: `fan-out 1→${width}→1: PostgreSQL CPU per step`,
        where,
        value: database,
        unit: 'ms',
        note,
      },
    ];
  });
  const ratio = widthRatio(runs);
  if (ratio)
    figures.push({
      section: 'cpu',
      measure: `fan-out ${ratio.what} per step: N=${ratio.wide} ÷ N=${ratio.narrow}`,
      where,
      value: ratio.value,
      unit: '×',
      note: ratio.note,
    });
  return figures;
}

interface WidthRatio {
  readonly what: string;
  readonly narrow: number;
  readonly wide: number;
  readonly value: number;
  readonly note: string;
}

function widthRatio(runs: readonly FanOutRun[]): WidthRatio | null {
  const sorted = [...runs].sort((a, b) => a.width - b.width);
  const narrow = sorted[0];
  const wide = sorted.at(-1);
  if (!narrow || !wide || narrow.width === wide.width) return null;
  const database = [
    perStep(narrow.run.databaseCpuMs, narrow.run.steps),
    perStep(wide.run.databaseCpuMs, wide.run.steps),
  ] as const;
  const usesDatabase = database[0] !== null && database[1] !== null;
  const [a, b] = usesDatabase
    ? database
    : [perStep(narrow.run.engineCpuMs, narrow.run.steps), perStep(wide.run.engineCpuMs, wide.run.steps)];
  if (a === null || b === null || a <= 0) return null;
  const what = usesDatabase ? 'PostgreSQL CPU' : 'process CPU';
  const linear = wide.width / narrow.width;
  const note = `${round(a, 2)} → ${round(b, 2)} ms per step; 1.0 = flat, ${round(linear, 1)} = grows linearly with N`;
  return { what, narrow: narrow.width, wide: wide.width, value: b / a, note };
}
