import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as esbuild from 'esbuild';
import { errorMessage } from '../lib/domain/error-message.js';
import { HANDLER_CALLABLES } from '../lib/lambda/handler-callables.js';
import { ESM_REQUIRE_BANNER } from './bundling.js';

/** The callables of a step-handler entry's map, or why they could not be read. */
export type EntryCallables =
  | { readonly known: true; readonly callables: readonly string[] }
  | { readonly known: false; readonly reason: string };

/** Reads an entry's callables; the construct takes another (a stub) in tests. */
export type DiscoverCallables = (entry: string) => EntryCallables;

const IMPORT_TIMEOUT_MS = 60_000;

/**
 * Imports the bundle named by TASKER_ENTRY_BUNDLE and prints its handler's callables as JSON on the last line (null when
 * the handler was not made by createStepHandlerLambda; the module may print lines of its own before). It exits at once: a handler module may hold the event loop open (a pool, a timer).
 */
const CHILD = `
const entry = await import(process.env.TASKER_ENTRY_BUNDLE);
const callables = entry.handler?.[Symbol.for(${JSON.stringify(HANDLER_CALLABLES.description)})];
process.stdout.write('\\n' + JSON.stringify(Array.isArray(callables) ? callables : null) + '\\n');
process.exit(0);
`;

/**
 * The `handler.callable` names a step-handler entry's map holds, as deployed: the entry bundled with esbuild (as the
 * construct bundles it, the AWS SDK included so the bundle needs no node_modules) and imported in a child Node.js
 * process, which reads the callables `createStepHandlerLambda` puts on its handler. Unknown (with the reason) when
 * esbuild is not installed, the entry does not bundle or import, or its `handler` was made otherwise.
 *
 * @example
 * ```ts
 * entryCallables('src/step-handler.ts') // { known: true, callables: ['billing.charge', 'billing.refund'] }
 * ```
 */
export function entryCallables(entry: string): EntryCallables {
  const builder = loadEsbuild(entry);
  if (builder === undefined)
    return { known: false, reason: 'esbuild is not installed (npm install --save-dev esbuild)' };
  const dir = mkdtempSync(join(tmpdir(), 'tasker-callables-'));
  try {
    const outfile = join(dir, 'entry.mjs');
    builder.buildSync({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      mainFields: ['module', 'main'],
      banner: { js: ESM_REQUIRE_BANNER },
      external: ['pg-native'],
      logLevel: 'silent',
    });
    return importedCallables(outfile);
  } catch (error) {
    return { known: false, reason: `it does not bundle: ${buildFailure(error)}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function importedCallables(bundle: string): EntryCallables {
  const env = { ...process.env, TASKER_ENTRY_BUNDLE: pathToFileURL(bundle).href };
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD], {
    env,
    encoding: 'utf8',
    timeout: IMPORT_TIMEOUT_MS,
  });
  if (child.error) return { known: false, reason: `importing it failed: ${child.error.message}` };
  if (child.status !== 0)
    return { known: false, reason: `importing it failed: ${firstLine(child.stderr) || `exit code ${child.status}`}` };
  const callables = lastJsonLine(child.stdout);
  if (!Array.isArray(callables))
    return { known: false, reason: 'its `handler` export was not made by createStepHandlerLambda' };
  return { known: true, callables: callables.map(String) };
}

/** esbuild's first error (what, and where), or the error's message. */
function buildFailure(error: unknown): string {
  const first = (error as { errors?: { text?: string; location?: { file?: string; line?: number } | null }[] })
    .errors?.[0];
  if (first?.text === undefined) return firstLine(errorMessage(error));
  return first.location?.file ? `${first.location.file}:${first.location.line}: ${first.text}` : first.text;
}

function lastJsonLine(stdout: string): unknown {
  try {
    return JSON.parse(stdout.trimEnd().split('\n').at(-1) ?? 'null');
  } catch {
    return null;
  }
}

/** esbuild as the user's project has it (beside this package, or beside the entry), or undefined. */
function loadEsbuild(entry: string): typeof esbuild | undefined {
  for (const from of [import.meta.url, pathToFileURL(entry).href]) {
    try {
      return createRequire(from)('esbuild') as typeof esbuild;
    } catch {
      // not installed there
    }
  }
  return undefined;
}

/** The first line that says something (a Node.js error's stack starts with the file; its message is a few lines in). */
function firstLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  return lines.find((l) => /Error|error:/.test(l)) ?? lines[0] ?? '';
}
