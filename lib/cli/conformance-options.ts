import type { Command } from 'commander';
import type { CliIo } from './cli-io.js';
import { collect } from './command-options.js';
import type { ExitCode } from './exit-codes.js';

/**
 * Registers `tasker worker-conformance --namespace <ns> -- <command>`; the kit (lib/conformance) is imported only
 * when it runs.
 */
export function registerConformanceCommand(
  program: Command,
  ctx: { io: CliIo; signal: AbortSignal },
  done: (code: ExitCode) => void,
): void {
  program
    .command('worker-conformance')
    .description(
      'drive a worker in any language through the protocol scenarios on scratch queues and a bus it creates on AWS_ENDPOINT_URL (LocalStack): one PASS/FAIL line each, exit 1 on any FAIL. The worker registers the conformance handler set (docs/protocol/worker-protocol.md)',
    )
    .argument('<command...>', 'the command that starts the worker (after --), run with the queue variables set')
    .requiredOption(
      '--namespace <ns>',
      'the namespace the worker serves (its queue is TASKER_NAMESPACE_QUEUE_URLS.<ns>)',
    )
    .option('--scenario <text>', 'run only the scenarios whose name contains this (repeatable)', collect)
    .option('--show-worker-output', "print the worker's output as it comes (default: only when a scenario fails)")
    .action(async (command: string[], opts) =>
      done(await (await import('./conformance-command.js')).conformanceCommand(command, opts, ctx.io, ctx.signal)),
    );
}
