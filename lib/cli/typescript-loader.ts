let registered = false;

/**
 * Whether importing `file` needs a TypeScript loader first: it is TypeScript and this CLI is not
 * itself running as TypeScript (under tsx or vitest `selfUrl` ends in `.ts` and TypeScript imports
 * already work; the compiled CLI's does not).
 */
export function needsTypeScriptLoader(file: string, selfUrl: string = import.meta.url): boolean {
  return /\.[cm]?tsx?$/i.test(file) && !/\.[cm]?ts$/i.test(new URL(selfUrl).pathname);
}

/**
 * Registers tsx once, before a TypeScript handlers module is imported: tsx loads only when a
 * command imports TypeScript, never at start.
 *
 * @example
 * ```ts
 * await ensureTypeScriptLoader(file);
 * await import(pathToFileURL(file).href);
 * ```
 */
export async function ensureTypeScriptLoader(file: string): Promise<void> {
  if (registered || !needsTypeScriptLoader(file)) return;
  const { register } = await import('tsx/esm/api');
  register();
  registered = true;
}
