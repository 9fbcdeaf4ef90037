import { relative, resolve } from 'node:path';
import { compileValidator } from '../contracts/json-schema.js';
import { templateKey, type TaskTemplate } from '../domain/task-template.js';
import {
  formatTemplateProblem,
  loadTemplateDirectory,
  type TemplateFileProblem,
} from '../adapters/templates/template-files.js';
import { err, type CliIo } from './cli-io.js';
import { CliError } from './errors.js';
import { claimedTemplate } from './claimed-template.js';
import { formatTaskRef, type TaskRef } from './task-ref.js';

const VALIDATE_HINT = 'tasker templates validate <dir> lists every problem with its file and line';

/** The valid templates of a directory and the problems of the files that are not. */
export interface LoadedTemplates {
  readonly dir: string;
  /** What the problems' file names are relative to. */
  readonly cwd: string;
  readonly templates: readonly TaskTemplate[];
  readonly problems: readonly TemplateFileProblem[];
}

/** Every template under `dir`, and every problem; no template file at all is refused. */
export async function loadTemplates(dir: string, cwd: string): Promise<LoadedTemplates> {
  const result = await loadTemplateDirectory(resolve(cwd, dir));
  const problems = result.ok ? [] : result.problems.map((p) => ({ ...p, file: relative(cwd, p.file) || p.file }));
  if (result.templates.length === 0 && problems.length === 0)
    throw new CliError('no_templates', `no task templates (*.yaml, *.yml) found in ${dir}`);
  return { dir, cwd, templates: result.templates, problems };
}

/** Every template under `dir`; any problem stops the command with all of them listed. */
export async function loadTemplatesOrFail(dir: string, cwd: string): Promise<readonly TaskTemplate[]> {
  const loaded = await loadTemplates(dir, cwd);
  if (loaded.problems.length > 0)
    throw new CliError('invalid_templates', `the templates in ${dir} have problems:`, {
      problems: loaded.problems.map(formatTemplateProblem),
      hint: VALIDATE_HINT,
    });
  return loaded.templates;
}

/** One warning on stderr for the files with problems: they cannot run, the other templates can. */
export function warnTemplateProblems(io: CliIo, loaded: LoadedTemplates): void {
  if (loaded.problems.length === 0) return;
  const files = new Set(loaded.problems.map((p) => p.file));
  err(
    io,
    `warning: ${files.size} template file${files.size === 1 ? '' : 's'} in ${loaded.dir} cannot be used (the other templates can):`,
  );
  for (const problem of loaded.problems) err(io, `  ${formatTemplateProblem(problem)}`);
}

/**
 * The template a reference names (the newest version when none is given). A file with problems
 * that declares the reference fails it with those problems, rather than running another version;
 * an unknown reference lists the templates there are.
 */
export function findTemplate(loaded: LoadedTemplates, ref: TaskRef): TaskTemplate {
  const { templates, problems, cwd } = loaded;
  const broken = problems.filter((p) => claims(claimedTemplate(resolve(cwd, p.file)), ref));
  if (broken.length > 0)
    throw new CliError('invalid_template', `the template ${formatTaskRef(ref)} has problems:`, {
      problems: broken.map(formatTemplateProblem),
      hint: VALIDATE_HINT,
    });
  const candidates = templates.filter((t) => claims(t, ref));
  const newest = candidates.sort((a, b) => b.version.localeCompare(a.version, undefined, { numeric: true }))[0];
  if (newest) return newest;
  const unreadable = [
    ...new Set(problems.filter((p) => claimedTemplate(resolve(cwd, p.file)) === null).map((p) => p.file)),
  ];
  const hint =
    unreadable.length === 0
      ? undefined
      : `it may be in a file that cannot be read as a template: ${unreadable.join(', ')}`;
  throw new CliError('unknown_template', `unknown template ${formatTaskRef(ref)}; the templates are:`, {
    problems: templates.map(templateKey),
    ...(hint ? { hint } : {}),
  });
}

function claims(t: { namespace: string; name: string; version: string } | null, ref: TaskRef): boolean {
  return (
    t !== null &&
    t.namespace === ref.namespace &&
    t.name === ref.name &&
    (ref.version === undefined || t.version === ref.version)
  );
}

/** The context checked against the template's input_schema before anything starts: every problem at once. */
export function checkContext(template: TaskTemplate, context: Record<string, unknown>): void {
  if (!template.inputSchema) return;
  const verdict = compileValidator(template.inputSchema)(context);
  if (!verdict.ok)
    throw new CliError('invalid_context', `the context does not match the input_schema of ${templateKey(template)}:`, {
      problems: verdict.problems,
    });
}
