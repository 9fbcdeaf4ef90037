import { Option, type Command } from 'commander';

/** The engine log levels `--log-level` accepts (pino's). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/**
 * `--handlers <module>`, repeatable, with no default shown: `required` makes commander refuse a
 * command without it ("required option '--handlers <module>' not specified").
 */
export function handlersOption(required: boolean): Option {
  const option = new Option(
    '--handlers <module>',
    'ES module (JS or TS) whose default export maps handler.callable names to handler functions (repeatable)',
  ).argParser(collect);
  return required ? option.makeOptionMandatory() : option;
}

/** The options of commands that start the runtime (`run`, `dev`). */
export function withRuntimeOptions(command: Command): Command {
  return command
    .addOption(handlersOption(true))
    .option(
      '--data-dir <dir>',
      'keep PGlite data here, so tasker task show --data-dir can read it later (one process at a time: the directory is locked while in use)',
    )
    .option('--database-url <url>', 'use this PostgreSQL server (default DATABASE_URL; else PGlite)')
    .addOption(
      new Option(
        '--transport <kind>',
        'queues and bus: memory (in-process), aws (SQS/EventBridge from TASKER_*_QUEUE_URL and AWS_ENDPOINT_URL), auto',
      )
        .choices(['auto', 'memory', 'aws'])
        .default('auto'),
    )
    .option(
      '--stack-template <file>',
      'take the Lambda and queue settings from a synthesized stack (cdk.out/*.template.json)',
    )
    .option('--sweep-interval <seconds>', 'how often the sweeper runs', '2')
    .addOption(
      new Option('--log-level <level>', 'engine log level (JSON lines on stderr)')
        .choices([...LOG_LEVELS])
        .default('error'),
    )
    .option('--log-file <file>', 'write the engine logs to this file instead of stderr');
}

/** Collects a repeatable option's values. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
