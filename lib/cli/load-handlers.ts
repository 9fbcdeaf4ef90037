import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { errorMessage } from '../domain/error-message.js';
import type { HandlerMap } from '../worker/handler-api.js';
import { CliError } from './errors.js';
import { ensureTypeScriptLoader } from './typescript-loader.js';

/** Several handlers modules merged; a callable defined by two of them is refused. */
export async function loadHandlerModules(paths: readonly string[], cwd: string): Promise<HandlerMap> {
  const merged: HandlerMap = {};
  const origin = new Map<string, string>();
  for (const path of paths) {
    for (const [name, handler] of Object.entries(await loadHandlers(path, cwd))) {
      if (origin.has(name))
        throw new CliError('invalid_handlers', `handler '${name}' is exported by both ${origin.get(name)} and ${path}`);
      origin.set(name, path);
      merged[name] = handler;
    }
  }
  return merged;
}

/**
 * Imports a handlers module (path relative to `cwd`; TypeScript is loaded with tsx when needed)
 * whose default export maps `handler.callable` names to handler functions.
 */
export async function loadHandlers(path: string, cwd: string): Promise<HandlerMap> {
  const file = resolve(cwd, path);
  if (!existsSync(file))
    throw new CliError('handlers_not_found', `handlers module not found: ${file}`, {
      hint: '--handlers takes a path relative to the current directory',
    });
  let module: { default?: unknown };
  try {
    await ensureTypeScriptLoader(file);
    module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (error) {
    throw new CliError('invalid_handlers', `cannot load handlers module ${path}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  return handlerMapOf(module.default, path);
}

function handlerMapOf(value: unknown, path: string): HandlerMap {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError(
      'invalid_handlers',
      `${path} must default-export an object mapping handler.callable names to functions (export default { 'ns.step': handler })`,
    );
  }
  const notFunctions = Object.entries(value)
    .filter(([, h]) => typeof h !== 'function')
    .map(([name]) => name);
  if (notFunctions.length > 0)
    throw new CliError('invalid_handlers', `${path}: these handlers are not functions`, { problems: notFunctions });
  return value as HandlerMap;
}
