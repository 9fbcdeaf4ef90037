import { Command } from 'commander';
import { processIo, type CliIo } from './cli-io.js';
import { describeFailure, printFailure } from './cli-failure.js';
import { withRuntimeOptions } from './command-options.js';
import { isCleanExit, usageErrors } from './commander-errors.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { packageVersion } from './package-version.js';
import { STEP_TIMEOUT_HELP } from './step-timeout.js';
import { registerWorkerCommand } from './worker-options.js';
import { registerInitCommand } from './init-command.js';
import { pullOption, registerLocalAwsCommand } from './local-aws-options.js';
import { registerConformanceCommand } from './conformance-options.js';

/**
 * The `tasker` program. Only commander and the option definitions load at start: each command's
 * module (and what it needs: PGlite, the embedded runtime, the AWS SDK, log-update) is imported
 * when the command runs, so `tasker --help` and `tasker --version` stay fast.
 */

/** Process-level things a command may need: the signal SIGINT/SIGTERM abort. */
export interface CliContext {
  readonly io: CliIo;
  readonly signal: AbortSignal;
}

/** `tasker`: its commands; each action stores its exit code in `result`. */
export function buildProgram(ctx: CliContext, result: { code: ExitCode }): Command {
  const program = new Command('tasker')
    .description(
      'tasker-serverless locally: run workflow tasks on an embedded PostgreSQL with in-process SQS/EventBridge and the real Lambda handlers',
    )
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('--debug', 'print the stack trace of an error')
    .configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(s),
      outputError: () => undefined,
    });
  const set = (code: ExitCode) => {
    result.code = code;
  };

  const templates = program.command('templates').description('task templates');
  templates
    .command('validate <dir>')
    .description(
      'check every *.yaml/*.yml under <dir>: lists the templates, or every problem with file, path and line (exit 1)',
    )
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, opts) =>
      set(await (await import('./templates-command.js')).validateTemplatesCommand(dir, opts, ctx.io)),
    );

  withRuntimeOptions(
    program
      .command('run <task>')
      .description(
        'run one task (namespace/name[@version]) to a final state on the embedded runtime; exit 0 only if it completed',
      )
      .requiredOption(
        '--templates <dir>',
        'directory of task templates (a file with problems is skipped with a warning; running it fails with its problems)',
      )
      .option('--context <json>', 'the task context: a JSON object, or @file.json', '{}')
      .option(
        '--json',
        'print one JSON document: the task, each step (state, attempts, result, error) and the domain events; a failure prints {"error": {"code", "message"}}',
      )
      .option('--no-progress', 'plain progress lines even on a terminal (no live view)')
      .option('--quiet', 'no progress, only the summary')
      .option('--timeout <seconds>', 'give up waiting after this long (exit 1)', '60')
      .option('--step-timeout <seconds>', STEP_TIMEOUT_HELP),
  ).action(async (task: string, opts) =>
    set(await (await import('./run-command.js')).runCommand(task, opts, ctx.io, ctx.signal)),
  );

  withRuntimeOptions(
    program
      .command('dev')
      .description(
        'keep the runtime up and accept tasks over HTTP on 127.0.0.1 (POST /tasks, GET /tasks/:uuid) until Ctrl-C',
      )
      .requiredOption('--templates <dir>', 'directory of task templates')
      .option('--port <port>', 'port (0: any free port)', '3710')
      .option('--host <host>', 'interface to listen on', '127.0.0.1')
      .option('--quiet', 'no progress lines')
      .addOption(pullOption()),
  ).action(async (opts) => set(await (await import('./dev-command.js')).devCommand(opts, ctx.io, ctx.signal)));

  const task = program.command('task').description('inspect tasks');
  task
    .command('show <uuid>')
    .description('a task with its steps, a DAG picture and its transitions')
    .option('--database-url <url>', 'PostgreSQL server (default DATABASE_URL)')
    .option('--data-dir <dir>', 'PGlite data written by tasker dev|run --data-dir')
    .option('--mermaid', 'print the DAG as a Mermaid flowchart')
    .option('--json', 'print the task, steps and transitions as JSON')
    .action(async (uuid: string, opts) =>
      set(await (await import('./task-show-command.js')).taskShowCommand(uuid, opts, ctx.io)),
    );

  const step = program.command('step').description("act on a task's steps");
  step
    .command('signal <task> <step>')
    .description("signal a wait step (type: wait): its payload becomes the step's result; exit 1 when refused")
    .option('--payload <json>', 'the signal payload: JSON, or @file.json', 'null')
    .option('--url <url>', 'a running tasker dev (or tasker run with a wait step): signal through its HTTP API')
    .option(
      '--token <token>',
      `the server's token for --url (default ${'$'}TASKER_DEV_TOKEN, or the --data-dir token file)`,
    )
    .option('--database-url <url>', 'PostgreSQL server (default DATABASE_URL)')
    .option('--data-dir <dir>', 'PGlite data written by tasker dev|run --data-dir (when no process has it open)')
    .option('--json', 'print the outcome as JSON')
    .action(async (taskUuid: string, stepName: string, opts) =>
      set(await (await import('./step-signal-command.js')).stepSignalCommand(taskUuid, stepName, opts, ctx.io)),
    );

  program
    .command('migrate')
    .description('apply pending SQL migrations')
    .option('--database-url <url>', 'PostgreSQL server (default DATABASE_URL)')
    .option('--data-dir <dir>', 'a PGlite data directory (created when missing)')
    .action(async (opts) => set(await (await import('./migrate-command.js')).migrateCommand(opts, ctx.io)));

  // `tasker worker`: the pull worker for one namespace (lib/container/pull-worker-process.ts).
  registerWorkerCommand(program, ctx, set);
  registerInitCommand(program, ctx, set);
  registerLocalAwsCommand(program, ctx, set);
  registerConformanceCommand(program, ctx, set);
  return usageErrors(program);
}

/**
 * Runs `tasker` with `argv` (node, script, ...args); resolves with the exit code. A failure prints
 * one `tasker: …` line with its hint (or, with `--json`, an error document on stdout); the stack
 * trace only with `--debug`.
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo = processIo(),
  signal: AbortSignal = new AbortController().signal,
): Promise<ExitCode> {
  const result: { code: ExitCode } = { code: EXIT.ok };
  try {
    await buildProgram({ io, signal }, result).parseAsync([...argv]);
    return result.code;
  } catch (error) {
    if (isCleanExit(error)) return EXIT.ok;
    const failure = describeFailure(error);
    printFailure(io, failure, { ...flagsOf(argv), error });
    return failure.exitCode;
  }
}

/** `--json` and `--debug` anywhere among the arguments (before `--`): a failure may come before commander parsed them. */
function flagsOf(argv: readonly string[]): { json: boolean; debug: boolean } {
  const args = argv.slice(2);
  const end = args.indexOf('--');
  const options = end === -1 ? args : args.slice(0, end);
  return { json: options.includes('--json'), debug: options.includes('--debug') };
}
