import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bothGiven } from './deprecated-props.js';
import type { TaskerEngineProps } from './tasker-engine-props.js';

/** The entry file of each of the engine's functions (the step handler's is every Lambda pool's without one of its own). */
export interface FunctionEntrySettings {
  readonly stepHandler: string;
  readonly completion: string;
  readonly sweeper: string;
  readonly migrate: string;
}

/** `functionEntries` (the step handler's also by its deprecated name, `stepHandlerEntry`) with the engine's own as defaults. */
export function resolveEntries(p: TaskerEngineProps): FunctionEntrySettings {
  const given = p.functionEntries ?? {};
  return {
    stepHandler: given.stepHandler ?? p.stepHandlerEntry ?? defaultEntry('step-handler'),
    completion: given.completion ?? defaultEntry('completion'),
    sweeper: given.sweeper ?? defaultEntry('sweeper'),
    migrate: given.migrate ?? defaultEntry('migrate'),
  };
}

/** Both names of the step handler's entry given, and every entry file that does not exist. */
export function entriesProblems(p: TaskerEngineProps, entries: FunctionEntrySettings): string[] {
  const conflict = p.functionEntries?.stepHandler !== undefined && p.stepHandlerEntry !== undefined ? [bothGiven('stepHandlerEntry', 'functionEntries.stepHandler')] : [];
  return [...conflict, ...Object.entries(entries).flatMap(([name, file]) => entryFileProblems(`${name} entry`, file))];
}

/** `<name> file not found: <file>` unless the file exists. */
export function entryFileProblems(name: string, file: string): string[] {
  return existsSync(file) ? [] : [`${name} file not found: ${file}`];
}

/**
 * The engine's own entry files, found next to this package (so the construct works from node_modules too).
 *
 * @example
 * ```ts
 * defaultEntry('completion') // <package>/functions/completion.ts
 * ```
 */
export function defaultEntry(name: string): string {
  return fileURLToPath(new URL(`../functions/${name}.ts`, import.meta.url));
}

/** The engine's SQL migrations (lib/adapters/postgres/migrations), next to this package. */
export function defaultMigrationsDir(): string {
  return fileURLToPath(new URL('../lib/adapters/postgres/migrations', import.meta.url));
}
