import { CommanderError, type Command } from 'commander';
import { CliError } from './errors.js';
import { EXIT } from './exit-codes.js';

/** commander's error codes, as the stable codes of `tasker`'s error document. */
const CODES: Record<string, string> = {
  'commander.unknownOption': 'unknown_option',
  'commander.unknownCommand': 'unknown_command',
  'commander.missingArgument': 'missing_argument',
  'commander.optionMissingArgument': 'missing_option_value',
  'commander.missingMandatoryOptionValue': 'missing_option',
  'commander.conflictingOption': 'conflicting_options',
  'commander.excessArguments': 'excess_arguments',
  'commander.invalidArgument': 'invalid_option',
  'commander.help': 'missing_command',
};

/**
 * Makes commander's usage errors, on the program and every subcommand, CliErrors: printed in
 * `tasker`'s one style (`tasker: unknown option '--x'`, a hint naming the command's --help) or as
 * a --json error document, with exit code 2. `--help` and `--version` still end with exit 0.
 */
export function usageErrors(program: Command): Command {
  for (const command of [program, ...descendants(program)]) {
    command.exitOverride((error) => {
      if (error.exitCode === 0) throw error;
      throw asCliError(error, command);
    });
  }
  return program;
}

function asCliError(error: CommanderError, command: Command): CliError {
  const code = CODES[error.code] ?? 'usage';
  const message =
    code === 'missing_command' ? `${pathOf(command)} needs a command` : error.message.replace(/^error: /, '');
  return new CliError(code, message, {
    hint: `${pathOf(command)} --help for usage`,
    exitCode: EXIT.usage,
    cause: error,
  });
}

function descendants(command: Command): Command[] {
  return command.commands.flatMap((c) => [c, ...descendants(c)]);
}

/** `tasker task show`. */
function pathOf(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Whether commander ended on purpose with exit 0 (`--help`, `--version`). */
export function isCleanExit(error: unknown): boolean {
  return error instanceof CommanderError && error.exitCode === 0;
}
