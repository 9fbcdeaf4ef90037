import { templateKey } from '../domain/task-template.js';
import { formatTemplateProblem, loadTemplateDirectory } from '../adapters/templates/template-files.js';
import { err, out, type CliIo } from './cli-io.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { relative, resolve } from 'node:path';

/**
 * `tasker templates validate <dir>`: lists the templates, or every problem with file, path and line.
 * With --json, a failed check has `error` (code `invalid_templates`) beside its problems, as every
 * --json failure of `tasker` does.
 */
export async function validateTemplatesCommand(dir: string, options: { json?: boolean }, io: CliIo): Promise<ExitCode> {
  const result = await loadTemplateDirectory(resolve(io.cwd, dir));
  if (options.json) {
    const problems = result.ok ? [] : result.problems.map((p) => ({ ...p, file: relative(io.cwd, p.file) || p.file }));
    const error = result.ok
      ? {}
      : {
          error: {
            code: 'invalid_templates',
            message: `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${dir}`,
          },
        };
    out(
      io,
      JSON.stringify({ ok: result.ok, templates: result.templates.map(templateKey), problems, ...error }, null, 2),
    );
    return result.ok ? EXIT.ok : EXIT.failed;
  }
  if (!result.ok) {
    err(io, `${result.problems.length} problem${result.problems.length === 1 ? '' : 's'} in ${dir}:`);
    for (const problem of result.problems)
      err(io, `  ${formatTemplateProblem({ ...problem, file: relative(io.cwd, problem.file) || problem.file })}`);
    return EXIT.failed;
  }
  out(io, `${result.templates.length} valid template${result.templates.length === 1 ? '' : 's'} in ${dir}:`);
  for (const t of result.templates)
    out(
      io,
      `  ${templateKey(t)}  (${t.steps.length} step${t.steps.length === 1 ? '' : 's'})${t.description ? `  ${t.description}` : ''}`,
    );
  return EXIT.ok;
}
