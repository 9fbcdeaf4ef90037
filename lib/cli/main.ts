import { Command, CommanderError, Option } from 'commander';
import { err, processIo, type CliIo } from './cli-io.js';
import { LOG_LEVELS } from './cli-logger.js';
import { devCommand } from './dev-command.js';
import { CliUsageError } from './errors.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { registerInitCommand } from './init-command.js';
import { migrateCommand } from './migrate-command.js';
import { runCommand } from './run-command.js';
import { taskShowCommand } from './task-show-command.js';
import { validateTemplatesCommand } from './templates-command.js';
import { registerWorkerCommand } from './worker-command.js';

/** Process-level things a command may need: the signal SIGINT/SIGTERM abort. */
export interface CliContext {
  readonly io: CliIo;
  readonly signal: AbortSignal;
}

/** `tasker`: its commands; each action stores its exit code in `result`. */
export function buildProgram(ctx: CliContext, result: { code: ExitCode }): Command {
  const program = new Command('tasker')
    .description('tasker-serverless locally: run workflow tasks on an embedded PostgreSQL with in-process SQS/EventBridge and the real Lambda handlers')
    .showHelpAfterError('(tasker --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.io.stdout.write(s), writeErr: (s) => ctx.io.stderr.write(s) });
  const set = (code: ExitCode) => void (result.code = code);

  const templates = program.command('templates').description('task templates');
  templates
    .command('validate <dir>')
    .description('check every *.yaml/*.yml under <dir>: lists the templates, or every problem with file, path and line (exit 1)')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, opts) => set(await validateTemplatesCommand(dir, opts, ctx.io)));

  withRuntimeOptions(
    program
      .command('run <task>')
      .description('run one task (namespace/name[@version]) to a final state on the embedded runtime; exit 0 only if it completed')
      .requiredOption('--templates <dir>', 'directory of task templates')
      .option('--context <json>', "the task context: a JSON object, or @file.json", '{}')
      .option('--json', 'print one JSON document: the task, each step (state, attempts, result, error) and the domain events')
      .option('--no-progress', 'plain progress lines even on a terminal (no live view)')
      .option('--quiet', 'no progress, only the summary')
      .option('--timeout <seconds>', 'give up waiting after this long (exit 1)', '60'),
  ).action(async (task: string, opts) => set(await runCommand(task, opts, ctx.io, ctx.signal)));

  withRuntimeOptions(
    program
      .command('dev')
      .description('keep the runtime up and accept tasks over HTTP on 127.0.0.1 (POST /tasks, GET /tasks/:uuid) until Ctrl-C')
      .requiredOption('--templates <dir>', 'directory of task templates')
      .option('--port <port>', 'port (0: any free port)', '3710')
      .option('--host <host>', 'interface to listen on', '127.0.0.1')
      .option('--quiet', 'no progress lines'),
  ).action(async (opts) => set(await devCommand(opts, ctx.io, ctx.signal)));

  const task = program.command('task').description('inspect tasks');
  task
    .command('show <uuid>')
    .description('a task with its steps, a DAG picture and its transitions')
    .option('--database-url <url>', 'PostgreSQL server (default DATABASE_URL)')
    .option('--data-dir <dir>', 'PGlite data written by tasker dev|run --data-dir')
    .option('--mermaid', 'print the DAG as a Mermaid flowchart')
    .option('--json', 'print the task, steps and transitions as JSON')
    .action(async (uuid: string, opts) => set(await taskShowCommand(uuid, opts, ctx.io)));

  program
    .command('migrate')
    .description('apply pending SQL migrations')
    .option('--database-url <url>', 'PostgreSQL server (default DATABASE_URL)')
    .option('--data-dir <dir>', 'a PGlite data directory (created when missing)')
    .action(async (opts) => set(await migrateCommand(opts, ctx.io)));

  // `tasker worker`: the pull worker for one namespace (lib/container/pull-worker-process.ts).
  registerWorkerCommand(program, ctx, set);
  registerInitCommand(program, ctx, set);
  return program;
}

/** The options of commands that start the runtime. */
function withRuntimeOptions(command: Command): Command {
  return command
    .requiredOption('--handlers <module>', 'ES module (JS or TS) whose default export maps handler.callable names to handler functions (repeatable)', collect, [])
    .option('--data-dir <dir>', 'keep PGlite data here, so tasker task show --data-dir can read it later')
    .option('--database-url <url>', 'use this PostgreSQL server (default DATABASE_URL; else PGlite)')
    .addOption(new Option('--transport <kind>', 'queues and bus: memory (in-process), aws (SQS/EventBridge from TASKER_*_QUEUE_URL and AWS_ENDPOINT_URL), auto').choices(['auto', 'memory', 'aws']).default('auto'))
    .option('--stack-template <file>', 'take the Lambda and queue settings from a synthesized stack (cdk.out/*.template.json)')
    .option('--sweep-interval <seconds>', 'how often the sweeper runs', '2')
    .addOption(new Option('--log-level <level>', 'engine log level (JSON lines on stderr)').choices([...LOG_LEVELS]).default('error'))
    .option('--log-file <file>', 'write the engine logs to this file instead of stderr');
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Runs `tasker` with `argv` (node, script, ...args); resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = processIo(), signal: AbortSignal = new AbortController().signal): Promise<ExitCode> {
  const result: { code: ExitCode } = { code: EXIT.ok };
  try {
    await buildProgram({ io, signal }, result).parseAsync([...argv]);
    return result.code;
  } catch (error) {
    return failureCode(error, io);
  }
}

function failureCode(error: unknown, io: CliIo): ExitCode {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (error instanceof CliUsageError) {
    err(io, `tasker: ${error.message}`);
    for (const problem of error.problems) err(io, `  - ${problem}`);
    return error.exitCode;
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  err(io, `tasker: ${message}`);
  return EXIT.usage;
}
