import pino from 'pino';
import type { Logger } from '../ports/logger.js';
import { createLogger } from '../lambda/logger.js';

/**
 * The engine's JSON logs for a CLI command: to a file when given, else to stderr (never stdout,
 * which carries the progress, the summary or the --json document). Default level: error.
 */
export function cliLogger(options: { logLevel?: string; logFile?: string }): Logger {
  const destination = options.logFile
    ? pino.destination({ dest: options.logFile, sync: true, mkdir: true })
    : pino.destination({ fd: 2, sync: true });
  return createLogger({ level: options.logLevel ?? 'error', base: { service: 'tasker-cli' }, destination });
}
