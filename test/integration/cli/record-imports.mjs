// `node --import ./record-imports.mjs …`: appends every module URL the process resolves to the file
// named by TASKER_IMPORT_LOG (a test reads which modules `tasker --help` loads).
import { register } from 'node:module';

const hooks = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (process.env.TASKER_IMPORT_LOG) appendFileSync(process.env.TASKER_IMPORT_LOG, result.url + '\\n');
  return result;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
