import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { parseTemplateSource } from '../lib/adapters/templates/template-files.js';
import { templateKey, type TaskTemplate } from '../lib/domain/task-template.js';
import { TaskerEnginePropsError } from './errors.js';
import type { TaskerEngineSettings } from './resolve-engine-props.js';
import { entryCallables, type DiscoverCallables, type EntryCallables } from './step-handler-callables.js';

/** What the check found: steps no deployed handler map defines (refused), and entries whose map could not be read (warned). */
export interface TemplateCallablesCheck {
  readonly problems: readonly string[];
  readonly warnings: readonly string[];
}

/**
 * At synth (when the stack's assets are bundled, so not for `cdk ls` nor a stack left out with `--exclusively`), refuses
 * templates naming callables the deployed step handlers lack, and warns (`tasker:stepHandlerCallables`) about entries
 * whose map cannot be read.
 */
export function refuseMissingCallables(
  scope: IConstruct,
  settings: TaskerEngineSettings,
  discover: DiscoverCallables = entryCallables,
): void {
  if (settings.templatesDir === undefined || !Stack.of(scope).bundlingRequired) return;
  const check = checkTemplateCallables(settings, discover);
  if (check.problems.length > 0) throw new TaskerEnginePropsError(check.problems);
  for (const warning of check.warnings) Annotations.of(scope).addWarningV2('tasker:stepHandlerCallables', warning);
}

/** The Lambda pool a step runs on: what problems call it and the entry it bundles. */
interface LambdaPoolOfStep {
  readonly label: string;
  readonly entry: string;
}

/**
 * Every step of the registered templates (`templatesDir`) whose `handler.callable` the map of the step-handler entry that
 * would run it lacks: deployed, it would fail `handler_not_found` on every attempt. A step runs on its namespace's pool
 * (the step's `namespace`, else the template's), else on the default pool; steps of pull pools, and of namespaces with no
 * pool at all, are not the step handlers' (and warned about elsewhere). Each entry is read once; one problem per pool and
 * missing callable, naming the steps that use it.
 *
 * @example
 * ```ts
 * checkTemplateCallables(settings, entryCallables).problems
 * // ["the step handler of the default pool (src/step-handler.ts) does not define callable 'billing.charge', which step billing/invoice@1.0.0 charge names; it defines: billing.refund"]
 * ```
 */
export function checkTemplateCallables(
  settings: TaskerEngineSettings,
  discover: DiscoverCallables,
): TemplateCallablesCheck {
  if (settings.templatesDir === undefined) return { problems: [], warnings: [] };
  const byEntry = new Map<string, EntryCallables>();
  const read = (entry: string) => byEntry.get(entry) ?? byEntry.set(entry, discover(entry)).get(entry)!;
  const missing = new Map<
    string,
    { pool: LambdaPoolOfStep; callable: string; steps: string[]; defined: readonly string[] }
  >();
  for (const template of templatesIn(settings.templatesDir)) {
    for (const step of template.steps) {
      if (!step.handler) continue; // a wait step: no handler runs it
      const pool = lambdaPoolOf(step.namespace ?? template.namespace, settings);
      const found = pool && read(pool.entry);
      if (!pool || !found?.known || found.callables.includes(step.handler.callable)) continue;
      const key = `${pool.label}\0${step.handler.callable}`;
      const entry =
        missing.get(key) ??
        missing.set(key, { pool, callable: step.handler.callable, steps: [], defined: found.callables }).get(key)!;
      entry.steps.push(`${templateKey(template)} ${step.name}`);
    }
  }
  const problems = [...missing.values()].map(
    (m) =>
      `the step handler of ${m.pool.label} (${m.pool.entry}) does not define callable '${m.callable}', which ${stepsNaming(m.steps)}; it defines: ${listed([...m.defined].sort(), LISTED_CALLABLES)}`,
  );
  const warnings = [...byEntry].flatMap(([entry, found]) =>
    found.known
      ? []
      : [`cannot check the callables of the task templates against step-handler entry ${entry}: ${found.reason}`],
  );
  return { problems, warnings };
}

function lambdaPoolOf(namespace: string, settings: TaskerEngineSettings): LambdaPoolOfStep | undefined {
  const own = settings.workerPools.find((p) => p.namespace === namespace);
  if (own !== undefined)
    return own.kind === 'lambda' && own.entry !== undefined
      ? { label: `workerPools.${namespace}`, entry: own.entry }
      : undefined;
  if (settings.defaultPool && settings.defaultPool.entry !== undefined)
    return { label: 'the default pool', entry: settings.defaultPool.entry };
  return undefined;
}

/** The valid templates of `dir` (at any depth); an invalid file is the migration's to refuse (and `tasker templates validate`'s to explain). */
function templatesIn(dir: string): TaskTemplate[] {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.ya?ml$/i.test(f))
    .sort();
  return files.flatMap((file) => {
    const result = parseTemplateSource(readFileSync(join(dir, file), 'utf8'), file);
    return result.ok ? [result.template] : [];
  });
}

const LISTED_CALLABLES = 20;
const LISTED_STEPS = 5;

function stepsNaming(steps: readonly string[]): string {
  return steps.length === 1 ? `step ${steps[0]} names` : `${steps.length} steps name (${listed(steps, LISTED_STEPS)})`;
}

/** The first `limit` items, and how many more. */
function listed(items: readonly string[], limit: number): string {
  if (items.length === 0) return '(nothing)';
  const more = items.length - limit;
  return items.slice(0, limit).join(', ') + (more > 0 ? `, ... (${more} more)` : '');
}
