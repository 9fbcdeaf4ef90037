import { Option, type Command } from 'commander';
import type { CliIo } from './cli-io.js';
import { handlersOption, LOG_LEVELS } from './command-options.js';
import type { ExitCode } from './exit-codes.js';

/** The pull worker's drain default (DEFAULT_DRAIN_TIMEOUT_MS of lib/container/pull-worker-process.ts; a test keeps them equal). */
export const DRAIN_TIMEOUT_HELP =
  'after SIGTERM, how long running handlers may take before they are left to redelivery (default: 25000)';

/**
 * Registers `tasker worker` on the program; `done` receives the command's exit code. The command's
 * module (the AWS SDK clients, the pull worker) is imported only when it runs.
 */
export function registerWorkerCommand(
  program: Command,
  ctx: { io: CliIo; signal: AbortSignal },
  done: (code: ExitCode) => void,
): void {
  program
    .command('worker')
    .description(
      "pull worker: run a namespace's step handlers from its SQS dispatch queue until SIGTERM/SIGINT, then drain (running handlers finish and are completed) and exit 0",
    )
    .requiredOption(
      '--namespace <ns>',
      "the worker pool's namespace (its queue: TASKER_NAMESPACE_QUEUE_URLS, else TASKER_DISPATCH_QUEUE_URL)",
    )
    .addOption(handlersOption(false))
    .option('--concurrency <n>', 'handlers running at once (default TASKER_MAX_CONCURRENT_HANDLERS, else 10)')
    .option('--drain-timeout <ms>', DRAIN_TIMEOUT_HELP)
    .option('--queue-url <url>', "the dispatch queue, instead of the namespace's from the environment")
    .addOption(
      new Option('--log-level <level>', 'log level (JSON lines on stderr; default LOG_LEVEL, else info)').choices([
        ...LOG_LEVELS,
      ]),
    )
    .option('--log-file <file>', 'write the logs to this file instead of stderr')
    .action(async (opts) => done(await (await import('./worker-command.js')).workerCommand(opts, ctx.io, ctx.signal)));
}
