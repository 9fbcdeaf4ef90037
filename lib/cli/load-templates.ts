import { relative, resolve } from 'node:path';
import { compileValidator } from '../contracts/json-schema.js';
import { templateKey, type TaskTemplate } from '../domain/task-template.js';
import { formatTemplateProblem, loadTemplateDirectory } from '../adapters/templates/template-files.js';
import { CliUsageError } from './errors.js';
import { formatTaskRef, type TaskRef } from './task-ref.js';

/** Every template under `dir`; any problem stops the command with all of them listed. */
export async function loadTemplatesOrFail(dir: string, cwd: string): Promise<readonly TaskTemplate[]> {
  const result = await loadTemplateDirectory(resolve(cwd, dir));
  if (!result.ok) throw new CliUsageError(`the templates in ${dir} have problems:`, result.problems.map((p) => formatTemplateProblem({ ...p, file: relative(cwd, p.file) || p.file })));
  if (result.templates.length === 0) throw new CliUsageError(`no task templates (*.yaml, *.yml) found in ${dir}`);
  return result.templates;
}

/** The template a reference names (the newest version when none is given). */
export function findTemplate(templates: readonly TaskTemplate[], ref: TaskRef): TaskTemplate {
  const candidates = templates.filter((t) => t.namespace === ref.namespace && t.name === ref.name && (ref.version === undefined || t.version === ref.version));
  const newest = candidates.sort((a, b) => b.version.localeCompare(a.version, undefined, { numeric: true }))[0];
  if (newest) return newest;
  throw new CliUsageError(`unknown template ${formatTaskRef(ref)}; the templates are:`, templates.map(templateKey));
}

/** The context checked against the template's input_schema before anything starts: every problem at once. */
export function checkContext(template: TaskTemplate, context: Record<string, unknown>): void {
  if (!template.inputSchema) return;
  const verdict = compileValidator(template.inputSchema)(context);
  if (!verdict.ok) throw new CliUsageError(`the context does not match the input_schema of ${templateKey(template)}:`, verdict.problems);
}
