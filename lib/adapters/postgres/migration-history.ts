/**
 * The rules that keep the migrations append-only, as a pure check of the files on disk against the
 * rows of `tasker.migrations`: files are numbered 1..N with no gap and no number used twice; every
 * applied row names a file on disk whose bytes still hash to the recorded checksum; the applied
 * files are the first M of them (a pending file never sits below an applied one).
 */

/** One numbered `.sql` file: its number, its file name, its text and the sha256 (hex) of its bytes. */
export interface Migration {
  readonly id: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

/** A row of `tasker.migrations`; `checksum` is null for a file applied before checksums were recorded. */
export interface AppliedMigration {
  readonly id: number;
  readonly name: string;
  readonly checksum: string | null;
}

/** Why the history cannot be trusted; each names the file to look at. */
export type MigrationProblem =
  | { readonly kind: 'edited'; readonly file: string; readonly expected: string; readonly found: string }
  | { readonly kind: 'missing-on-disk'; readonly file: string }
  | { readonly kind: 'gap-on-disk'; readonly file: string; readonly missingId: number }
  | { readonly kind: 'duplicate-number'; readonly file: string; readonly other: string }
  | { readonly kind: 'gap-in-database'; readonly file: string; readonly appliedAfter: string };

/** What to do: record the checksums of `unrecorded` (applied before checksums existed), then apply `pending` in order. */
export type MigrationPlan =
  | { readonly ok: true; readonly pending: readonly Migration[]; readonly unrecorded: readonly Migration[] }
  | { readonly ok: false; readonly problem: MigrationProblem };

/**
 * Checks `files` (sorted by name) against `applied` and says what is left to do, or what is wrong.
 *
 * @example
 * ```ts
 * const plan = planMigrations(await readMigrations(), rows);
 * if (!plan.ok) throw new MigrationRefusedError(plan.problem);
 * ```
 */
export function planMigrations(files: readonly Migration[], applied: readonly AppliedMigration[]): MigrationPlan {
  const problem = numberingProblem(files) ?? appliedProblem(files, applied);
  if (problem) return { ok: false, problem };
  const byId = new Map(applied.map((row) => [row.id, row]));
  return {
    ok: true,
    pending: files.filter((file) => !byId.has(file.id)),
    unrecorded: files.filter((file) => byId.get(file.id)?.checksum === null),
  };
}

function numberingProblem(files: readonly Migration[]): MigrationProblem | null {
  for (const [index, file] of files.entries()) {
    const previous = files[index - 1];
    if (previous?.id === file.id) return { kind: 'duplicate-number', file: file.name, other: previous.name };
    if (file.id !== index + 1) return { kind: 'gap-on-disk', file: file.name, missingId: index + 1 };
  }
  return null;
}

function appliedProblem(files: readonly Migration[], applied: readonly AppliedMigration[]): MigrationProblem | null {
  const onDisk = new Map(files.map((file) => [file.id, file]));
  for (const row of [...applied].sort((a, b) => a.id - b.id)) {
    const file = onDisk.get(row.id);
    if (file?.name !== row.name) return { kind: 'missing-on-disk', file: row.name };
    if (row.checksum !== null && row.checksum !== file.checksum)
      return { kind: 'edited', file: row.name, expected: row.checksum, found: file.checksum };
  }
  const appliedIds = new Set(applied.map((row) => row.id));
  const lastApplied = files.findLast((file) => appliedIds.has(file.id));
  if (!lastApplied) return null;
  const hole = files.find((file) => file.id < lastApplied.id && !appliedIds.has(file.id));
  return hole ? { kind: 'gap-in-database', file: hole.name, appliedAfter: lastApplied.name } : null;
}

/** One sentence per problem, naming the file and what to do about it. */
export function describeProblem(problem: MigrationProblem): string {
  switch (problem.kind) {
    case 'edited':
      return `${problem.file} was edited after it was applied (recorded sha256 ${problem.expected}, file has ${problem.found}); migrations are append-only: restore the file and add a new migration`;
    case 'missing-on-disk':
      return `${problem.file} is applied in the database but is not among the migration files; restore it`;
    case 'gap-on-disk':
      return `migration number ${String(problem.missingId).padStart(6, '0')} is missing: the next file is ${problem.file}; number the files 1, 2, 3, … with no gap`;
    case 'duplicate-number':
      return `${problem.file} and ${problem.other} share a number; give the newer one the next free number`;
    case 'gap-in-database':
      return `${problem.file} is not applied but the later ${problem.appliedAfter} is; a new migration must come after every applied one`;
  }
}

/**
 * `migrate` refused to run any statement because the history on disk and in the database
 * disagree; `problem` says how (for an edited file: the file, the recorded and the found checksum).
 */
export class MigrationRefusedError extends Error {
  override readonly name = 'MigrationRefusedError';
  constructor(readonly problem: MigrationProblem) {
    super(`migrations refused: ${describeProblem(problem)}`);
  }

  /** The file the problem is about. */
  get file(): string {
    return this.problem.file;
  }
}
