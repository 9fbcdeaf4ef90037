import { Option, type Command } from 'commander';
import type { CliIo } from './cli-io.js';
import { collect } from './command-options.js';
import type { ExitCode } from './exit-codes.js';

/** `tasker dev --pull <ns>` (repeatable): the namespace's dispatch queue is left to an outside pull worker. */
export function pullOption(): Option {
  return new Option(
    '--pull <namespace>',
    "leave this namespace's dispatch queue to an outside pull worker (any language; docs/protocol/worker-protocol.md): no in-process step handler on it; needs --transport aws and the namespace in TASKER_NAMESPACE_QUEUE_URLS (repeatable)",
  ).argParser(collect);
}

/**
 * Registers `tasker local-aws create|delete`: the engine's queues and bus on the configured endpoint (LocalStack),
 * with the variables `tasker dev --transport aws`, `tasker worker` and any protocol worker read.
 */
export function registerLocalAwsCommand(program: Command, ctx: { io: CliIo }, done: (code: ExitCode) => void): void {
  const group = program
    .command('local-aws')
    .description("the engine's SQS queues and EventBridge bus on LocalStack (AWS_ENDPOINT_URL)");
  const withSpec = (command: Command) =>
    command
      .option('--prefix <prefix>', 'queue and bus names start with this', 'tasker-local')
      .option('--namespace <ns>', 'a namespace with a dispatch queue of its own (repeatable)', collect);
  withSpec(
    group
      .command('create')
      .description(
        'create the queues (dispatch, one per --namespace, completion, their DLQs, poison, domain-event DLQ) and the bus; print the environment as export lines (or --json)',
      )
      .option('--json', 'print the environment as one JSON object'),
  ).action(async (opts) => done(await (await import('./local-aws-command.js')).localAwsCreate(opts, ctx.io)));
  withSpec(
    group.command('delete').description('delete what `local-aws create` made with that prefix and namespaces'),
  ).action(async (opts) => done(await (await import('./local-aws-command.js')).localAwsDelete(opts, ctx.io)));
}
