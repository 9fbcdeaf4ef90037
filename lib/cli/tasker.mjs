#!/usr/bin/env node
// The `tasker` bin: registers tsx so the CLI's TypeScript (and a --handlers module in TypeScript)
// load without a build step, then runs the CLI. SIGINT/SIGTERM stop the runtime cleanly.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('./main.ts');
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
