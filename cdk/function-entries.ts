import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bothGiven } from './deprecated-props.js';
import type { StepHandlerSettings, WorkerPoolSettings } from './pool-settings.js';
import type { TaskerEngineProps } from './tasker-engine-props.js';

/**
 * The entry file of each of the engine's functions. The step handler's (every Lambda pool's without one of its own) is
 * the user's: the engine has no handlers of its own to deploy, so it is undefined unless given.
 */
export interface FunctionEntrySettings {
  readonly stepHandler: string | undefined;
  readonly completion: string;
  readonly sweeper: string;
  readonly migrate: string;
  readonly api: string;
  readonly ingress: string;
}

/** The engine's own functions, whose entries ship with the package. */
export type EngineFunction = 'completion' | 'sweeper' | 'migrate' | 'api' | 'ingress';

/** `functionEntries` (the step handler's also by its deprecated name, `stepHandlerEntry`), the engine's own entries as defaults. */
export function resolveEntries(p: TaskerEngineProps): FunctionEntrySettings {
  const given = p.functionEntries ?? {};
  return {
    stepHandler: given.stepHandler ?? p.stepHandlerEntry,
    completion: given.completion ?? defaultEntry('completion'),
    sweeper: given.sweeper ?? defaultEntry('sweeper'),
    migrate: given.migrate ?? defaultEntry('migrate'),
    api: given.api ?? defaultEntry('api'),
    ingress: given.ingress ?? defaultEntry('ingress'),
  };
}

/** Both names of the step handler's entry given, and every entry file that does not exist. */
export function entriesProblems(p: TaskerEngineProps, entries: FunctionEntrySettings): string[] {
  const conflict =
    p.functionEntries?.stepHandler !== undefined && p.stepHandlerEntry !== undefined
      ? [bothGiven('stepHandlerEntry', 'functionEntries.stepHandler')]
      : [];
  return [...conflict, ...Object.entries(entries).flatMap(([name, file]) => entryFileProblems(`${name} entry`, file))];
}

/**
 * The Lambda pools left without a step-handler entry (neither `functionEntries.stepHandler` nor one of their own), as one
 * problem naming them: the engine deploys no handlers of its own, so a step-handler function needs the user's.
 */
export function missingStepHandlerEntryProblems(pools: {
  readonly defaultPool: StepHandlerSettings | false;
  readonly workerPools: readonly WorkerPoolSettings[];
}): string[] {
  const without = [
    ...(pools.defaultPool && pools.defaultPool.entry === undefined ? ['the default pool'] : []),
    ...pools.workerPools.flatMap((p) =>
      p.kind === 'lambda' && p.entry === undefined ? [`workerPools.${p.namespace}`] : [],
    ),
  ];
  if (without.length === 0) return [];
  return [
    `functionEntries.stepHandler is required: ${without.join(' and ')} run${without.length === 1 ? 's' : ''} your step handlers, and the engine deploys none of its own. ` +
      "Give a file exporting `handler = createStepHandlerLambda(yourHandlers)` (from 'tasker-serverless/handler'), or each Lambda pool an entry of its own",
  ];
}

/** `<name> file not found: <file>` unless the file exists (or is not given: whether it must be is another check's). */
export function entryFileProblems(name: string, file: string | undefined): string[] {
  return file === undefined || existsSync(file) ? [] : [`${name} file not found: ${file}`];
}

/**
 * The engine's own entry files, found next to this module, so the construct works from node_modules too: the
 * TypeScript sources in the repository, the compiled JavaScript in the package (dist/functions beside dist/cdk).
 *
 * @example
 * ```ts
 * defaultEntry('completion') // <repository>/functions/completion.ts, or <package>/dist/functions/completion.js
 * ```
 */
export function defaultEntry(name: EngineFunction): string {
  const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return fileURLToPath(new URL(`../functions/${name}.${extension}`, import.meta.url));
}

/** The engine's SQL migrations (lib/adapters/postgres/migrations), next to this package. */
export function defaultMigrationsDir(): string {
  return fileURLToPath(new URL('../lib/adapters/postgres/migrations', import.meta.url));
}
