import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A target a figure is held to: the value must be at most / at least `value`. */
export interface Goal {
  readonly op: '<=' | '>=';
  readonly value: number;
}

/** One line of the results table. `value` is null when the measurement could not be made. */
export interface Figure {
  readonly section: string;
  readonly measure: string;
  /** Where it was measured: `embedded`, `server`, `server+localstack`, or `-`. */
  readonly where: string;
  readonly value: number | null;
  readonly unit: string;
  readonly goal?: Goal;
  readonly note?: string;
}

export type Verdict = 'PASS' | 'MISS' | '';

/** PASS/MISS against the figure's goal; empty without a goal; MISS when a goal exists and nothing was measured. */
export function verdictOf(figure: Figure): Verdict {
  if (!figure.goal) return '';
  if (figure.value === null || !Number.isFinite(figure.value)) return 'MISS';
  return figure.goal.op === '<='
    ? figure.value <= figure.goal.value
      ? 'PASS'
      : 'MISS'
    : figure.value >= figure.goal.value
      ? 'PASS'
      : 'MISS';
}

/** A number with a precision that suits its size, and its unit. */
export function formatValue(value: number | null, unit: string): string {
  if (value === null || !Number.isFinite(value)) return 'n/a';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  const text = value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return unit === '' ? text : `${text} ${unit}`;
}

export function formatGoal(goal: Goal | undefined, unit: string): string {
  return goal ? `${goal.op === '<=' ? '≤' : '≥'} ${formatValue(goal.value, unit)}` : '';
}

const HEADERS = ['Section', 'Measure', 'Where', 'Value', 'Target', 'Verdict', 'Note'] as const;

function rowOf(figure: Figure): string[] {
  return [
    figure.section,
    figure.measure,
    figure.where,
    formatValue(figure.value, figure.unit),
    formatGoal(figure.goal, figure.unit),
    verdictOf(figure),
    figure.note ?? '',
  ];
}

/** A plain-text table, one row per figure, columns padded to their widest cell. */
export function renderTable(figures: readonly Figure[]): string {
  const rows = [HEADERS.slice(), ...figures.map(rowOf)];
  const widths = HEADERS.map((_, column) => Math.max(...rows.map((row) => [...row[column]!].length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => (i === 3 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join(' | ')
      .replace(/[\s|]+$/, '');
  const rule = widths.map((w) => '-'.repeat(w)).join('-+-');
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
}

export interface TargetTally {
  readonly passed: number;
  readonly missed: number;
}

export function tallyTargets(figures: readonly Figure[]): TargetTally {
  const verdicts = figures.map(verdictOf);
  return { passed: verdicts.filter((v) => v === 'PASS').length, missed: verdicts.filter((v) => v === 'MISS').length };
}

/** The JSON document: the run's settings and machine, every figure with its verdict, and each benchmark's raw details. */
export function resultsDocument(
  run: Record<string, unknown>,
  figures: readonly Figure[],
  details: Record<string, unknown>,
): Record<string, unknown> {
  return {
    run,
    figures: figures.map((f) => ({ ...f, verdict: verdictOf(f) || null })),
    targets: tallyTargets(figures),
    details,
  };
}

/** `results-2025-01-31T10-20-30-123Z.json`: sortable, and legal on every file system. */
export function resultsFileName(at: Date): string {
  return `results-${at.toISOString().replace(/[:.]/g, '-')}.json`;
}

export async function writeResults(dir: string, at: Date, document: Record<string, unknown>): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, resultsFileName(at));
  await writeFile(file, `${JSON.stringify(document, null, 2)}\n`);
  return file;
}
