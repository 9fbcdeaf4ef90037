#!/usr/bin/env node
// The `tasker` bin. In the repository checkout (lib/cli/main.ts beside this file) it runs the CLI's TypeScript sources
// through tsx, so what runs is what you edited. In an installed package it runs the compiled CLI (dist/), and loads
// tsx (an optional peer dependency) only to import a --handlers module written in TypeScript.
// SIGINT/SIGTERM stop the runtime cleanly.
import { existsSync } from 'node:fs';
import module from 'node:module';

const USAGE_EXIT = 2;
// Node.js 22.1 and later keep the compiled code of the modules on disk: later starts skip parsing them.
module.enableCompileCache?.();
const inCheckout = existsSync(new URL('./main.ts', import.meta.url));
const typeScriptHandlers = handlerModules(process.argv.slice(2)).filter((m) => /\.[cm]?tsx?$/i.test(m));
if (inCheckout || typeScriptHandlers.length > 0) await registerTsx(typeScriptHandlers);
const { runCli } = await import(inCheckout ? './main.ts' : '../../dist/lib/cli/main.js');
const controller = new AbortController();
const onSignal = (name) => {
  if (controller.signal.aborted) process.exit(130);
  process.stderr.write(`\ntasker: ${name}, stopping (again to force)\n`);
  controller.abort();
};
process.on('SIGINT', () => onSignal('SIGINT'));
process.on('SIGTERM', () => onSignal('SIGTERM'));
const code = await runCli(process.argv, undefined, controller.signal);
process.exitCode = code;
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
// Everything is closed by now; if a handle (a user's handler module, say) still keeps the loop
// alive, say so and exit rather than hang.
setTimeout(() => {
  process.stderr.write('tasker: something still holds the event loop after shutdown; exiting\n');
  process.exit(code);
}, 3_000).unref();

/** The values of every `--handlers <module>` / `--handlers=<module>` in `args`. */
function handlerModules(args) {
  return args.flatMap((arg, i) => {
    if (arg === '--handlers') return args[i + 1] === undefined ? [] : [args[i + 1]];
    return arg.startsWith('--handlers=') ? [arg.slice('--handlers='.length)] : [];
  });
}

/** tsx's loader for the rest of the process; without tsx installed, a TypeScript handlers module is a usage error. */
async function registerTsx(modules) {
  let api;
  try {
    api = await import('tsx/esm/api');
  } catch {
    const why =
      modules.length > 0
        ? `${modules.join(', ')} is TypeScript: install tsx to load it (npm install --save-dev tsx), or pass the compiled JavaScript`
        : 'the repository checkout runs the CLI from its TypeScript sources with tsx: run npm install';
    process.stderr.write(`tasker: ${why}\n`);
    process.exit(USAGE_EXIT);
  }
  api.register();
}
